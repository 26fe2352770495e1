"""The native SHACL engine (essgraph.shacl) gives the report pySHACL gives, on the project's
real data, on broken copies of it and on the validation tests' own shapes; it refuses any
SHACL construct it does not implement instead of passing it silently."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from click.testing import CliRunner

from essgraph import build, reason, shacl, territories, validate, vocab
from essgraph.cli import essgraph
from essgraph.config import Settings
from essgraph.errors import ConfigError, ShapesError
from essgraph.load import load_paths, parse_file

ROOT = Path(__file__).resolve().parents[1]
VALIDATE_DATA = Path(__file__).parent / "data" / "validate"
ESS, PROV, SKOS = vocab.ESS, "http://www.w3.org/ns/prov#", vocab.SKOS
XSD = vocab.XSD


def rows(report: validate.ValidationReport) -> list[tuple]:
    """Every field a report shows, sorted, duplicates kept."""
    return sorted(
        (r.severity, r.focus_node, r.path or "", r.value or "", r.constraint, r.source_shape,
         tuple(r.messages), r.source_file or "")
        for r in report.results
    )


# --- the project's data, in the "used" scope, as `essgraph validate` checks it ------------


@pytest.fixture(scope="module")
def real() -> tuple[Settings, build.Loaded, set[str], ox.Store]:
    settings = Settings.load(env={}).with_(
        data_dir=ROOT / "data", ontology_dir=ROOT / "ontology", shapes_dir=ROOT / "shapes",
        territories_scope="used",
    )
    loaded = build.load_sources(settings)
    used = territories.territories_used(loaded.data_quads)
    dataset = ox.Store()
    dataset.extend(loaded.quads)
    dataset.extend(build.territory_quads(settings, used))
    reason.materialise(dataset)
    return settings, loaded, used, dataset


def both(real, dataset: ox.Store) -> tuple[validate.ValidationReport, validate.ValidationReport]:
    settings, loaded, used, _ = real
    native = build.check(settings, dataset, loaded.origin, used)
    reference = build.check(settings, dataset, loaded.origin, used, engine="pyshacl")
    return native, reference


def test_the_real_data_conforms_with_the_same_warnings_in_both_engines(real) -> None:
    native, reference = both(real, real[3])
    assert native.conforms and reference.conforms
    assert rows(native) == rows(reference)
    assert [r.constraint for r in native.warnings] == ["MinCountConstraintComponent"]


def first(store: ox.Store, query: str) -> ox.QuerySolution:
    solutions = list(store.query(query, use_default_graph_as_union=True))
    assert solutions, query
    return solutions[0]


def test_broken_copies_of_the_real_data_give_the_same_report(real) -> None:
    """One copy with a mistake of each kind; both engines must report the same results."""
    source = real[3]
    data = ox.Store()
    data.extend(source)
    graph = ox.NamedNode(vocab.GRAPH_SOURCE + "001")

    def add(s: object, p: str, o: object) -> None:
        data.add(ox.Quad(s, ox.NamedNode(p), o, graph))

    # a required property deleted: every skos:prefLabel of an organisation
    org = first(source, f"SELECT ?o WHERE {{ ?o a <{ESS}Association> }} ORDER BY ?o")["o"]
    for q in list(data.quads_for_pattern(org, ox.NamedNode(SKOS + "prefLabel"), None)):
        data.remove(q)
    # a second value of a maxCount 1 property
    citation = first(source, f"SELECT ?c WHERE {{ ?c a <{ESS}Citation> }} ORDER BY ?c")["c"]
    add(citation, ESS + "quote", ox.Literal("une autre citation"))
    # a wrong datatype and a wrong class
    commune = first(source, f"SELECT ?t WHERE {{ ?t a <{ESS}Commune> ; <{ESS}population> ?p }}"
                            " ORDER BY ?t")["t"]
    add(commune, ESS + "population", ox.Literal("beaucoup"))
    add(org, ESS + "locatedIn", citation)
    # a SIREN with a wrong Luhn key (derived from a document), and one of 8 digits
    add(org, ESS + "siren", ox.Literal("123456788"))
    authority = first(source, f"SELECT ?a WHERE {{ ?a a <{ESS}LocalAuthority> ; <{ESS}siren> ?s }}"
                              " ORDER BY ?a")["a"]
    add(authority, ESS + "siren", ox.Literal("12345678"))
    # a date of the wrong type (nested sh:node: pySHACL's sh:detail results too)
    milestone = first(source, f"SELECT ?m WHERE {{ ?m a <{ESS}Milestone> }} ORDER BY ?m")["m"]
    for q in list(data.quads_for_pattern(milestone, ox.NamedNode(ESS + "date"), None)):
        data.remove(q)
    add(milestone, ESS + "date", ox.Literal("mars 2018"))
    # a contact detail, and a resource no longer derived from its document
    add(org, vocab.DCT + "description", ox.Literal("écrire à jean.dupont@example.org"))
    event = first(source, f"SELECT ?e WHERE {{ ?e a <{ESS}Event> }} ORDER BY ?e")["e"]
    for q in list(data.quads_for_pattern(event, ox.NamedNode(PROV + "wasDerivedFrom"), None)):
        data.remove(q)

    native, reference = both(real, data)
    assert not native.conforms and not reference.conforms
    assert rows(native) == rows(reference)
    found = {(r.focus_node, r.constraint.removesuffix("ConstraintComponent"))
             for r in native.results}
    assert {
        (org.value, "QualifiedMinCount"), (citation.value, "MaxCount"),
        (commune.value, "Datatype"), (org.value, "Class"), (authority.value, "Pattern"),
        (milestone.value, "Node"), ("mars 2018", "Or"), (event.value, "QualifiedMinCount"),
    } <= found
    sparql = [r for r in native.results if r.constraint == "SPARQLConstraintComponent"]
    assert any("123456788" in r.message for r in sparql)  # Luhn
    assert any("jean.dupont@example.org" in r.message for r in sparql)  # contact details
    assert any(event.value in r.message for r in sparql)  # citation without derivation


# --- the validation tests' own shapes: sequence paths, warnings, sh:datatype xsd:string ---


def test_the_validation_test_shapes_give_the_same_results() -> None:
    shapes = validate.quads_to_rdflib(parse_file(VALIDATE_DATA / "shapes.ttl"))
    ontology = list(parse_file(VALIDATE_DATA / "ontology.ttl"))
    quads, origin = load_paths([VALIDATE_DATA / "invalid-a.ttl", VALIDATE_DATA / "invalid-b.trig"],
                               graph_for=lambda p: vocab.GRAPH_SOURCE + "000")
    store = ox.Store()
    store.extend(quads)
    store.extend(ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(vocab.GRAPH_ONTOLOGY))
                 for q in ontology)
    native = shacl.validate_store(store, shapes, origin)
    reference = validate.validate(validate.quads_to_rdflib(quads), shapes,
                                  ontology=validate.quads_to_rdflib(ontology), origin=origin)

    def without_generic_messages(report: validate.ValidationReport) -> list[tuple]:
        # essh:MembershipShape has no sh:message: the generic wording differs (module doc)
        return sorted(row[:6] + row[7:] for row in rows(report))

    assert without_generic_messages(native) == without_generic_messages(reference)
    assert native.conforms is False and len(native.violations) == 4
    (generic,) = [r for r in native.results if r.source_shape.endswith("MembershipShape")]
    assert generic.message  # a message is always given


# --- constructs the engine does not implement fail loudly --------------------------------

PREAMBLE = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
"""


def shapes_of(text: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=PREAMBLE + text, format="turtle")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("ex:S a sh:NodeShape ; sh:targetNode ex:x ; sh:closed true .", "closed"),
        ("ex:S a sh:NodeShape ; sh:targetNode ex:x ; sh:xone ( [ sh:class ex:A ] ) .", "xone"),
        ("ex:S a sh:NodeShape ; sh:targetNode ex:x ; sh:property [ sh:path ex:p ; "
         "sh:lessThan ex:q ] .", "lessThan"),
        ("ex:S a sh:NodeShape ; sh:targetNode ex:x ; sh:property [ sh:path ex:p ; "
         "sh:equals ex:q ] .", "equals"),
        ("ex:S a sh:NodeShape ; sh:targetNode ex:x ; sh:sparql [ sh:ask \"ASK {}\" ] .",
         "sh:select"),
        ("ex:S a sh:NodeShape ; sh:targetNode ex:x ; sh:node ex:S .", "recursive"),
    ],
)
def test_an_unimplemented_construct_is_an_error_naming_it_and_the_shape(text, named) -> None:
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://example.org/x"), ox.NamedNode("http://example.org/p"),
                      ox.Literal("1")))
    with pytest.raises(ShapesError) as info:
        shacl.validate_store(store, shapes_of(text))
    assert named in info.value.message
    assert "http://example.org/S" in info.value.message
    assert info.value.code == "SHAPES_INVALID"


def test_targets_follow_subclasses_found_in_the_data() -> None:
    shapes = shapes_of("ex:S a sh:NodeShape ; sh:targetClass ex:A ; "
                       "sh:property [ sh:path ex:p ; sh:minCount 1 ] .")
    store = ox.Store()
    ex = "http://example.org/"
    store.add(ox.Quad(ox.NamedNode(ex + "B"), ox.NamedNode(vocab.RDFS + "subClassOf"),
                      ox.NamedNode(ex + "A"), ox.NamedNode("urn:onto")))
    store.add(ox.Quad(ox.NamedNode(ex + "b"), ox.NamedNode(vocab.RDF + "type"),
                      ox.NamedNode(ex + "B"), ox.NamedNode("urn:data")))
    report = shacl.validate_store(store, shapes)
    assert [(r.focus_node, r.constraint) for r in report.results] == [
        (ex + "b", "MinCountConstraintComponent")
    ]


def test_an_ill_typed_literal_fails_its_datatype() -> None:
    ex = "http://example.org/"
    shapes = shapes_of("@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
                       "ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:n ; "
                       "sh:property [ sh:path ex:n ; sh:datatype xsd:integer ] .")
    store = ox.Store()
    for name, value in (("good", "12"), ("bad", "douze")):
        store.add(ox.Quad(ox.NamedNode(ex + name), ox.NamedNode(ex + "n"),
                          ox.Literal(value, datatype=ox.NamedNode(XSD + "integer"))))
    report = shacl.validate_store(store, shapes)
    assert [(r.focus_node, r.value) for r in report.results] == [(ex + "bad", "douze")]


# --- the build and the CLI -----------------------------------------------------------------


def test_check_refuses_an_unknown_engine(real) -> None:
    settings, loaded, used, dataset = real
    with pytest.raises(ConfigError):
        build.check(settings, dataset, loaded.origin, used, engine="jena")


def test_validate_command_runs_either_engine(settings: Settings, monkeypatch) -> None:
    for name in ("data_dir", "ontology_dir", "shapes_dir", "territories_dir", "store_dir"):
        monkeypatch.setenv(f"ESSGRAPH_{name.upper()}", str(getattr(settings, name)))
    runner = CliRunner()
    outputs = []
    for engine in ("native", "pyshacl"):
        result = runner.invoke(essgraph, ["validate", "--engine", engine])
        assert result.exit_code == 0, result.output
        outputs.append(result.output.rsplit("\n\n", 1)[-1])
    assert outputs[0] == outputs[1]
    result = runner.invoke(essgraph, ["validate", "--engine", "jena"])
    assert result.exit_code == 2
