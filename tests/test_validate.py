"""SHACL results come back as data that names the node, the property, the value, the
message and the data file to fix; a valid graph conforms; the rendering shows it all."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from essgraph import vocab
from essgraph.errors import RdfSyntaxError, ShapesError
from essgraph.load import load_paths, parse_file
from essgraph.validate import (
    ValidationReport,
    load_shapes,
    quads_to_rdflib,
    render,
    shorten,
    validate,
)

DATA = Path(__file__).parent / "data" / "validate"
ORGA = vocab.ID + "organisation/"
SKOS_PREFLABEL = vocab.SKOS + "prefLabel"


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return quads_to_rdflib(parse_file(DATA / "shapes.ttl"))


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    return quads_to_rdflib(parse_file(DATA / "ontology.ttl"))


def invalid_report(shapes: rdflib.Graph, ontology: rdflib.Graph | None) -> ValidationReport:
    files = [DATA / "invalid-a.ttl", DATA / "invalid-b.trig"]
    quads, origin = load_paths(files, graph_for=lambda p: vocab.GRAPH_SOURCE + "000")
    return validate(quads_to_rdflib(quads), shapes, ontology=ontology, origin=origin)


def keyed(report: ValidationReport) -> set[tuple[str, str, str | None, str | None, str | None]]:
    return {(r.severity, r.focus_node, r.path, r.value, r.source_file) for r in report.results}


def test_invalid_graph_results_name_node_path_value_and_file(
    shapes: rdflib.Graph, ontology: rdflib.Graph
) -> None:
    report = invalid_report(shapes, ontology)
    a, b = str(DATA / "invalid-a.ttl"), str(DATA / "invalid-b.trig")
    assert not report.conforms
    assert keyed(report) == {
        ("Violation", ORGA + "sans-nom", SKOS_PREFLABEL, None, a),
        ("Violation", ORGA + "sans-nom", vocab.ESS + "siren", "12345", a),
        ("Warning", ORGA + "sans-nom", vocab.FOAF + "homepage", "www.example.org", a),
        # a Cooperative is an Organisation through the ontology
        ("Violation", ORGA + "coop-b", SKOS_PREFLABEL, None, b),
        # a sequence path, in SPARQL syntax
        ("Violation", ORGA + "coop-b", f"<{vocab.ESS}memberOf>/<{SKOS_PREFLABEL}>", None, b),
    }
    assert len(report.violations) == 4


def test_result_details(shapes: rdflib.Graph, ontology: rdflib.Graph) -> None:
    report = invalid_report(shapes, ontology)
    (siren,) = [r for r in report.results if r.path == vocab.ESS + "siren"]
    assert siren.message == "A SIREN has 9 digits"  # English first
    assert siren.messages == ["A SIREN has 9 digits", "Un SIREN a 9 chiffres"]
    assert siren.constraint == "PatternConstraintComponent"
    assert siren.source_shape == f"{vocab.ESS}OrganisationShape[{vocab.ESS}siren]"
    assert report.graph is not None


def test_without_the_ontology_subclasses_are_not_targeted(shapes: rdflib.Graph) -> None:
    report = invalid_report(shapes, None)
    assert (
        "Violation",
        ORGA + "coop-b",
        SKOS_PREFLABEL,
        None,
        str(DATA / "invalid-b.trig"),
    ) not in keyed(report)


def test_warnings_alone_conform(shapes: rdflib.Graph) -> None:
    data = rdflib.Graph().parse(
        data=f"""<{ORGA}x> a <{vocab.ESS}Organisation> ; <{SKOS_PREFLABEL}> "X" ;
                 <{vocab.FOAF}homepage> "x.org" .""",
        format="turtle",
    )
    report = validate(data, shapes)
    assert report.conforms
    assert [r.severity for r in report.results] == ["Warning"]


def test_valid_graph_conforms(shapes: rdflib.Graph, ontology: rdflib.Graph) -> None:
    quads, origin = load_paths([DATA / "valid.ttl"])
    report = validate(quads_to_rdflib(quads), shapes, ontology=ontology, origin=origin)
    assert report.conforms
    assert report.results == []
    assert render(report).strip() == "0 violations, 0 warnings"


def test_a_dataset_is_validated_as_the_union_of_its_graphs(shapes: rdflib.Graph) -> None:
    """The label is in one graph, the organisation's type in another."""
    iri, graph_a, graph_b = ox.NamedNode(ORGA + "x"), ox.NamedNode("urn:a"), ox.NamedNode("urn:b")
    quads = [
        ox.Quad(
            iri, ox.NamedNode(vocab.RDF + "type"), ox.NamedNode(vocab.ESS + "Organisation"), graph_a
        ),
        ox.Quad(iri, ox.NamedNode(SKOS_PREFLABEL), ox.Literal("X", language="fr"), graph_b),
    ]
    dataset = quads_to_rdflib(quads, dataset=True)
    assert isinstance(dataset, rdflib.Dataset)
    assert validate(dataset, shapes).conforms


def test_render_shows_every_piece(shapes: rdflib.Graph, ontology: rdflib.Graph) -> None:
    text = render(invalid_report(shapes, ontology))
    for piece in [
        "Violation: essid:organisation/sans-nom",
        "path:    ess:siren",
        "value:   12345",
        "message: A SIREN has 9 digits",
        "Un SIREN a 9 chiffres",
        "shape:   ess:OrganisationShape[ess:siren] (PatternConstraintComponent)",
        f"file:    {DATA / 'invalid-a.ttl'}",
        "Warning: essid:organisation/sans-nom",
        "path:    ess:memberOf/skos:prefLabel",
    ]:
        assert piece in text
    assert text.rstrip().splitlines()[-1] == "4 violations, 1 warnings"


def test_quads_to_rdflib_keeps_terms() -> None:
    s, p = ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p")
    quads = [
        ox.Quad(s, p, ox.Literal("plain"), ox.NamedNode("urn:g")),
        ox.Quad(s, p, ox.Literal("chat", language="fr")),
        ox.Quad(s, p, ox.Literal("42", datatype=ox.NamedNode(vocab.XSD + "integer"))),
        ox.Quad(s, p, ox.BlankNode("b1")),
    ]
    graph = quads_to_rdflib(quads)
    objects = set(graph.objects(rdflib.URIRef(s.value), rdflib.URIRef(p.value)))
    assert objects == {
        rdflib.Literal("plain"),
        rdflib.Literal("chat", lang="fr"),
        rdflib.Literal("42", datatype=rdflib.XSD.integer),
        rdflib.BNode("b1"),
    }
    dataset = quads_to_rdflib(quads, dataset=True)
    assert {str(g.identifier) for g in dataset.graphs() if len(g)} >= {"urn:g"}


def test_load_shapes_reads_every_turtle_file(tmp_path: Path) -> None:
    (tmp_path / "a.ttl").write_bytes((DATA / "shapes.ttl").read_bytes())
    (tmp_path / "b.ttl").write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n<urn:s> a sh:NodeShape .\n"
    )
    shapes = load_shapes(tmp_path)
    assert (rdflib.URIRef("urn:s"), rdflib.RDF.type, rdflib.SH.NodeShape) in shapes
    assert (rdflib.URIRef(vocab.ESS + "OrganisationShape"), None, None) in shapes


def test_load_shapes_reports_a_broken_file_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "broken.ttl").write_text("<urn:s> a <urn:C> .\n<urn:s> a .\n")
    with pytest.raises(RdfSyntaxError) as info:
        load_shapes(tmp_path)
    assert info.value.where.startswith(f"{tmp_path / 'broken.ttl'}:2:")


def test_unusable_shapes_are_an_error() -> None:
    shapes = rdflib.Graph().parse(
        data="""@prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:s> a sh:NodeShape ; sh:targetNode <urn:x> ; sh:minCount "many" .""",
        format="turtle",
    )
    data = rdflib.Graph().parse(data="<urn:x> <urn:p> 1 .", format="turtle")
    with pytest.raises(ShapesError) as info:
        validate(data, shapes)
    assert info.value.code == "SHAPES_INVALID"


def test_shorten_uses_the_longest_namespace() -> None:
    assert shorten(vocab.ID + "organisation/x") == "essid:organisation/x"
    assert shorten(vocab.GRAPH + "source/001") == "graph:source/001"
    assert shorten("urn:other") == "urn:other"
