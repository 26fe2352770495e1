"""The ontology, the SKOS schemes and the SHACL shapes catch what they promise to catch.

Each case of tests/data/shapes/ is a small graph, read together with ontology/*.ttl and
tests/data/shapes/context.ttl (a source document, a citation, the reference dataset and a
few reference territories), and validated by pySHACL directly with no inference: the
fixtures state the types and the sub-property values the build's reasoner would add. The
test asserts which results come out: their focus node, path and constraint component.
Nested results (sh:detail of sh:node, sh:or…) are left out; only the report's own
sh:result count.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pyshacl
import pytest
import rdflib
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "data" / "shapes"

ESS = Namespace("https://w3id.org/essgraph/ontology#")
SH = Namespace("http://www.w3.org/ns/shacl#")
ID = "https://w3id.org/essgraph/id/"
CONCEPT = "https://w3id.org/essgraph/concept/"
ONTOLOGY_IRI = URIRef("https://w3id.org/essgraph/ontology")

PREFIXES = {
    "essid:": ID,
    "ess:": str(ESS),
    "skos:": str(SKOS),
    "prov:": "http://www.w3.org/ns/prov#",
    "schema:": "https://schema.org/",
    "igeo:": "http://rdf.insee.fr/def/geo#",
    "org:": "http://www.w3.org/ns/org#",
    "foaf:": "http://xmlns.com/foaf/0.1/",
    "qb:": "http://purl.org/linked-data/cube#",
    "dct:": "http://purl.org/dc/terms/",
    "owl:": str(OWL),
}


# --- loading -------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def ontology() -> Graph:
    """ontology/*.ttl: the OWL ontology, the concept schemes and the Data Cube structure."""
    g = Graph()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        g.parse(path)
    return g


@lru_cache(maxsize=1)
def shapes() -> Graph:
    g = Graph()
    for path in sorted((ROOT / "shapes").glob("*.ttl")):
        g.parse(path)
    return g


@lru_cache(maxsize=1)
def context() -> Graph:
    return Graph().parse(CASES / "context.ttl")


def case_graph(*names: str) -> Graph:
    """The ontology and the shared context plus the named case files."""
    g = Graph()
    for triple in ontology():
        g.add(triple)
    for triple in context():
        g.add(triple)
    for name in names:
        g.parse(CASES / f"{name}.ttl")
    return g


def short(term: rdflib.term.Node | None, graph: Graph) -> str | None:
    """A compact, comparable rendering of a focus node or a result path."""
    if term is None:
        return None
    if isinstance(term, BNode):
        inverse = graph.value(term, SH.inversePath)
        if inverse is not None:
            return "^" + short(inverse, graph)
        alternatives = graph.value(term, SH.alternativePath)
        if alternatives is not None:
            members = rdflib.collection.Collection(graph, alternatives)
            return "|".join(short(p, graph) for p in members)
        return "_:blank"
    text = str(term)
    for prefix, namespace in PREFIXES.items():
        if text.startswith(namespace):
            return prefix + text[len(namespace):]
    return text


def results(data: Graph) -> tuple[bool, set[tuple[str | None, str | None, str]], Graph]:
    """Validate `data`; return conforms, the top-level results as (focus, path, component)
    and the report graph."""
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes(), inference="none")
    rows = set()
    for result in report.objects(None, SH.result):
        component = str(report.value(result, SH.sourceConstraintComponent))
        rows.add((
            short(report.value(result, SH.focusNode), report),
            short(report.value(result, SH.resultPath), report),
            component.removeprefix(str(SH)).removesuffix("ConstraintComponent"),
        ))
    return conforms, rows, report


# --- the valid graph -----------------------------------------------------------------------


def test_valid_graph_conforms():
    conforms, rows, _ = results(case_graph("valid"))
    assert conforms, sorted(rows, key=str)


def test_valid_graph_uses_every_class_of_the_ontology():
    """So that "the valid graph conforms" says something about every class's shape."""
    data = Graph().parse(CASES / "valid.ttl") + context()
    used = set(data.objects(None, RDF.type))
    onto = ontology()
    wanted = {c for c in onto.subjects(RDF.type, OWL.Class) if str(c).startswith(str(ESS))}
    # Classes whose instances come only from the territorial reference, or that the valid
    # graph shows through a subclass of theirs.
    indirect = {
        ESS.Actor, ESS.Organisation, ESS.PublicBody, ESS.Territory, ESS.EPCI,
        ESS.Neighbourhood, ESS.PolicyInstrument,
    }
    reference_only = {
        ESS.CommunauteUrbaine, ESS.CommunauteAgglomeration, ESS.CommunauteCommunes,
        ESS.CommuneDeleguee, ESS.CommuneAssociee, ESS.MunicipalArrondissement,
    }
    missing = wanted - used - indirect - reference_only
    assert not missing, sorted(missing)


def test_the_known_sirens_pass_the_luhn_check():
    """246700488, 242100410, 200066009, 247100589 and 216704825 are real SIRENs; the valid
    graph carries all five and the SPARQL Luhn constraint accepts them."""
    data = case_graph("valid")
    sirens = {str(o) for o in data.objects(None, ESS.siren)}
    assert sirens >= {"246700488", "242100410", "200066009", "247100589", "216704825"}
    _, rows, _ = results(data)
    assert not [r for r in rows if r[2] == "SPARQL"]


# --- one small invalid graph per constraint --------------------------------------------------

ORG, POL, EVT = "essid:organisation/x", "essid:politique/x", "essid:evenement/x"
SRC900 = "essid:source/900"

CASE_RESULTS = {
    # labels
    "label-no-french": {(ORG, "skos:prefLabel", "QualifiedMinCount")},
    "label-two-french": {(ORG, "skos:prefLabel", "UniqueLang")},
    "label-untagged": {(ORG, "skos:prefLabel", "Datatype")},
    # provenance: source document and citation
    "fact-no-source": {
        (POL, "prov:wasDerivedFrom", "QualifiedMinCount"),
        # its citation quotes source/900, which the policy is not derived from
        (SRC900, "ess:citation", "SPARQL"),
    },
    "fact-derived-from-non-document": {
        (EVT, "prov:wasDerivedFrom", "QualifiedMinCount"),
        (SRC900, "ess:citation", "SPARQL"),
        ("essid:organisation/y", None, "Or"),  # essh:DerivedFromTarget
    },
    "fact-no-citation": {(EVT, "ess:citation", "MinCount")},
    "organisation-unsourced": {(ORG, None, "Or")},
    "country-unsourced": {("essid:territoire/pays/de", None, "Or")},
    "citation-incomplete": {
        ("essid:citation/900/b", "ess:section", "MinCount"),
        ("essid:citation/900/b", "ess:quote", "MaxCount"),
    },
    "citation-quote-too-long": {("essid:citation/900/b", "ess:quote", "MaxLength")},
    "citation-wrong-document": {("essid:source/901", "ess:citation", "SPARQL")},
    "source-document-incomplete": {
        ("essid:source/902", "ess:seedFile", "MinCount"),
        ("essid:source/902", "dct:issued|dct:date", "MinCount"),
    },
    "derived-from-unknown": {("essid:reference/sans-version", None, "Or")},
    # datatypes
    "date-wrong-type": {
        ("essid:jalon/x", "ess:date", "Node"),
        (EVT, "schema:startDate", "Node"),
    },
    "population-not-integer": {
        ("essid:territoire/commune/67043", "ess:population", "Datatype"),
        ("essid:territoire/commune/67043", "ess:population", "MinInclusive"),
    },
    # values from the concept schemes
    "concept-wrong-scheme": {(POL, "ess:theme", "Node"), (POL, "ess:lever", "Node")},
    "concept-unknown": {(ORG, "ess:legalForm", "Class"), (ORG, "ess:legalForm", "Node")},
    # codes
    "commune-code": {("essid:territoire/commune/6748", "igeo:codeINSEE", "Pattern")},
    "siren-pattern": {("essid:collectivite/commune/21231", "ess:siren", "Pattern")},
    # one query per source document: the focus is the document, the value the SIREN
    "siren-luhn": {(SRC900, "ess:siren", "SPARQL")},
    # territories and authorities of the reference
    "territory-unidentified": {
        ("essid:territoire/departement/99", "prov:wasDerivedFrom", "MinCount"),
        ("essid:territoire/departement/99", None, "Or"),
    },
    "epci-no-type": {("essid:territoire/epci/242100410", "ess:epciType", "MinCount")},
    "local-authority-unidentified": {("essid:collectivite/departement/67", None, "Or")},
    "located-in-not-territory": {(ORG, "ess:locatedIn", "Class")},
    # policies, milestones, bodies, events
    "milestone-incomplete": {
        ("essid:jalon/x", "ess:milestoneType", "MinCount"),
        ("essid:jalon/x", "ess:date", "MaxCount"),
        ("essid:jalon/x", "^ess:milestone", "MinCount"),
    },
    "policy-wrong-links": {
        (POL, "ess:adoptedBy|ess:heldBy|ess:carriedBy", "Node"),
        (POL, "ess:appliesTo", "Class"),
    },
    "meeting-no-body": {(EVT, "ess:meetingOf", "MinCount")},
    "event-wrong-links": {
        (EVT, "schema:location", "Or"),
        (EVT, "schema:organizer|ess:eventPartner|ess:presenter|ess:animator|schema:attendee",
         "Node"),
        (EVT, "ess:editionNumber", "MinInclusive"),
    },
    "public-role-incomplete": {
        ("essid:mandat/x", "org:member", "MinCount"),
        ("essid:mandat/x", "ess:roleLabel", "MinCount"),
        ("essid:mandat/x", "org:organization", "Class"),
    },
    # partnerships
    "partnership-same-party-twice": {("essid:partenariat/x", "ess:party", "MinCount")},
    "partnership-provider-is-recipient": {
        ("essid:partenariat/x", "ess:party", "MinCount"),
        ("essid:partenariat/x", "ess:provider", "Disjoint"),
    },
    "partnership-incomplete": {
        ("essid:partenariat/x", "ess:party", "Node"),
        ("essid:partenariat/x", "ess:nature", "MinCount"),
    },
    # indicators
    "indicator-incomplete": {
        ("essid:indicateur/900-x", None, "Or"),
        ("essid:indicateur/900-x", "qb:dataSet", "MinCount"),
        ("essid:indicateur/900-x", "qb:dataSet", "HasValue"),
        ("essid:indicateur/900-x", "ess:value", "Node"),
        ("essid:indicateur/900-x", "ess:unit", "MinCount"),
        ("essid:indicateur/900-x", "ess:subject", "MinCount"),
    },
    "indicator-wrong-codes": {
        ("essid:indicateur/900-x", "ess:unit", "Node"),
        ("essid:indicateur/900-x", "ess:measure", "Node"),
    },
    # personal data
    "person-contact": {
        ("essid:personne/x", "foaf:mbox", "MaxCount"),
        ("essid:personne/x", "schema:telephone", "MaxCount"),
        (SRC900, "foaf:mbox", "SPARQL"),
        (SRC900, "schema:telephone", "SPARQL"),
    },
    "literal-email": {(SRC900, "dct:description", "SPARQL")},
    "literal-phone": {
        (SRC900, "ess:quote", "SPARQL"),
        (SRC900, "dct:description", "SPARQL"),
    },
    # without the reasoner, provider/recipient give no ess:party (see the test below)
    "partnership-by-inference": {("essid:partenariat/x", "ess:party", "MinCount")},
}


@pytest.mark.parametrize("case", sorted(CASE_RESULTS))
def test_invalid_case_is_caught(case):
    conforms, rows, _ = results(case_graph(case))
    assert not conforms
    assert rows == CASE_RESULTS[case]


def test_an_undated_source_document_is_only_a_warning():
    """Some documents state no date (source 004); a date must not be invented."""
    _, _, report = results(case_graph("source-document-incomplete"))
    severities = {
        short(report.value(r, SH.resultPath), report): report.value(r, SH.resultSeverity)
        for r in report.objects(None, SH.result)
    }
    assert severities == {"dct:issued|dct:date": SH.Warning, "ess:seedFile": SH.Violation}


def test_every_case_file_is_tested():
    files = {p.stem for p in CASES.glob("*.ttl")} - {"context", "valid"}
    assert files == set(CASE_RESULTS)


def test_results_carry_french_and_english_messages():
    """pySHACL 0.40 drops the language tag of a SPARQL constraint's message once it has
    filled in the {?var} placeholders, so those two messages arrive untagged (the shapes
    do tag them: see test_every_constraint_has_french_and_english_messages)."""
    _, _, report = results(case_graph("indicator-incomplete", "literal-phone", "siren-luhn"))
    for result in report.objects(None, SH.result):
        messages = list(report.objects(result, SH.resultMessage))
        langs = {m.language for m in messages}
        shape = short(report.value(result, SH.sourceShape), report)
        if langs == {None}:
            component = report.value(result, SH.sourceConstraintComponent)
            assert component == SH.SPARQLConstraintComponent
            assert len(messages) == 2, shape
        else:
            assert {"fr", "en"} <= langs, shape


def test_contact_message_names_the_resource_and_the_value():
    _, _, report = results(case_graph("literal-email"))
    messages = [str(m) for m in report.objects(None, SH.resultMessage)]
    assert any(ID + "projet/x" in m and "jean.dupont@example.org" in m for m in messages)


FACT_CLASSES = [
    "Person", "PublicRole", "GovernanceBody", "PublicPolicy", "Milestone", "Event", "Venue",
    "Project", "Partnership", "Indicator", "Neighbourhood", "ForeignCity", "Association",
]


def test_every_fact_class_requires_a_source_and_a_citation():
    """One unsourced, uncited resource of each class of the source graphs."""
    g = case_graph()
    for cls in FACT_CLASSES:
        x = URIRef(f"{ID}test/{cls}")
        g.add((x, RDF.type, ESS[cls]))
        g.add((x, SKOS.prefLabel, Literal("x", lang="fr")))
    _, rows, _ = results(g)
    for cls in FACT_CLASSES:
        focus = f"essid:test/{cls}"
        if cls == "Association":  # an organisation may also be a reference authority: sh:or
            assert (focus, None, "Or") in rows
        else:
            assert {(focus, "prov:wasDerivedFrom", "QualifiedMinCount"),
                    (focus, "ess:citation", "MinCount")} <= rows, cls


# --- after the build's reasoner ----------------------------------------------------------


def materialised(*names: str) -> Graph:
    """The case graph after essgraph.reason.materialise, as the build validates it."""
    ox = pytest.importorskip("pyoxigraph")
    reason = pytest.importorskip("essgraph.reason")
    from essgraph import vocab

    store = ox.Store()
    onto = ox.NamedNode(vocab.GRAPH_ONTOLOGY)
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=onto)
    data = ox.NamedNode(vocab.GRAPH_SOURCE + "900")
    for path in [CASES / "context.ttl", *(CASES / f"{n}.ttl" for n in names)]:
        store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=data)
    reason.materialise(store)
    # pyoxigraph terms print as N-Triples terms: the union of the graphs as N-Triples.
    lines = "".join(f"{q.subject} {q.predicate} {q.object} .\n" for q in store)
    return Graph().parse(data=lines, format="nt")


def test_valid_graph_still_conforms_after_reasoning():
    """Domains, ranges, sub-properties and inverses add no violation to good data."""
    conforms, rows, _ = results(materialised("valid"))
    assert conforms, sorted(rows, key=str)


def test_parties_from_provider_and_recipient_count_after_reasoning():
    conforms, rows, _ = results(materialised("partnership-by-inference"))
    assert conforms, sorted(rows, key=str)


def test_owl_rl_closure_is_consistent_and_types_nothing_wrongly():
    """owlrl's full OWL-RL closure of the ontology with the valid graph: no owl:Nothing,
    no class clash between kinds of things, and the entailments the model relies on."""
    owlrl = pytest.importorskip("owlrl")
    g = Graph()
    for name in ("essgraph.ttl", "indicateurs.ttl"):
        g.parse(ROOT / "ontology" / name)
    g += context()
    g.parse(CASES / "valid.ttl")
    g.parse(CASES / "partnership-by-inference.ttl")
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(g)

    assert not list(g.subjects(RDF.type, OWL.Nothing))
    kinds = [ESS.Territory, ESS.Actor, ESS.GovernanceBody, ESS.PolicyInstrument, ESS.Milestone,
             ESS.Event, ESS.Venue, ESS.Project, ESS.Partnership, ESS.Indicator, ESS.Citation,
             ESS.SourceDocument, ESS.PublicRole]
    for node in set(g.subjects(RDF.type, None)):
        if not isinstance(node, URIRef) or not str(node).startswith(ID):
            continue
        clash = [k for k in kinds if (node, RDF.type, k) in g]
        assert len(clash) <= 1, (node, clash)

    def iri(path: str) -> URIRef:
        return URIRef(ID + path)

    strasbourg, region = iri("territoire/commune/67482"), iri("territoire/region/44")
    assert (strasbourg, ESS.within, iri("territoire/pays/fr")) in g  # transitive
    assert (region, ESS.contains, strasbourg) in g  # inverse of within
    assert (iri("territoire/commune/67482"), ESS.governedBy, iri("collectivite/commune/67482")) in g
    assert (iri("instance/conseil-test"), URIRef(PREFIXES["org:"] + "hasMember"),
            iri("organisation/pole-test")) in g
    assert (iri("partenariat/x"), ESS.party, iri("collectivite/commune/67482")) in g
    assert (iri("organisation/pole-test"), RDFS.label, Literal("Pôle de test", lang="fr")) in g
    assert (iri("organisation/scop-test"), RDF.type, URIRef("https://schema.org/Cooperative")) in g
    assert (iri("citation/900/a"), URIRef(PREFIXES["prov:"] + "wasDerivedFrom"),
            iri("source/900")) in g


# --- the ontology's and the schemes' own hygiene ------------------------------------------


def ess_terms() -> set[URIRef]:
    g = ontology()
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    return {s for k in kinds for s in g.subjects(RDF.type, k) if str(s).startswith(str(ESS))}


def test_every_term_has_french_and_english_label_and_definition():
    g = ontology()
    problems = []
    for term in sorted(ess_terms()):
        for prop in (RDFS.label, SKOS.definition):
            langs = {o.language for o in g.objects(term, prop)}
            if not {"fr", "en"} <= langs:
                problems.append(f"{term} {prop}: {sorted(map(str, langs))}")
        if (term, RDFS.isDefinedBy, ONTOLOGY_IRI) not in g:
            problems.append(f"{term}: no rdfs:isDefinedBy")
    assert not problems, problems


def test_properties_are_typed_object_or_datatype():
    g = ontology()
    used = {p for p in g.subjects()
            if str(p).startswith(str(ESS)) and str(p)[len(str(ESS))].islower()}
    typed = {p for p in used if (p, RDF.type, OWL.ObjectProperty) in g
             or (p, RDF.type, OWL.DatatypeProperty) in g}
    assert used == typed, sorted(used - typed)


def test_every_ess_term_of_the_model_is_defined():
    model = (ROOT / "docs" / "MODEL.md").read_text(encoding="utf-8")
    named = {ESS[m] for m in re.findall(r"\bess:([A-Za-z][A-Za-z0-9]*)", model)}
    missing = named - ess_terms()
    assert not missing, sorted(missing)


def test_ontology_metadata():
    g = ontology()
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in g
    assert (ONTOLOGY_IRI, OWL.versionIRI, URIRef("https://w3id.org/essgraph/ontology/1.0.0")) in g
    dct = Namespace(PREFIXES["dct:"])
    for prop in (dct.title, dct.description):
        assert {o.language for o in g.objects(ONTOLOGY_IRI, prop)} >= {"fr", "en"}
    assert (ONTOLOGY_IRI, dct.license,
            URIRef("https://www.etalab.gouv.fr/licence-ouverte-open-licence/")) in g


def concepts() -> set[URIRef]:
    return set(ontology().subjects(RDF.type, SKOS.Concept))


def test_every_concept_has_labels_definitions_and_one_scheme():
    g = ontology()
    problems = []
    for c in sorted(concepts()):
        for prop in (SKOS.prefLabel, SKOS.definition):
            langs = [o.language for o in g.objects(c, prop)]
            if sorted(langs) != ["en", "fr"]:
                problems.append(f"{c} {prop}: {langs}")
        schemes = list(g.objects(c, SKOS.inScheme))
        m = re.fullmatch(re.escape(CONCEPT) + r"([a-z0-9-]+)/([a-z0-9]+(?:-[a-z0-9]+)*)", str(c))
        if len(schemes) != 1 or not m or str(schemes[0]) != CONCEPT + m.group(1):
            problems.append(f"{c}: scheme {schemes}")
        elif (schemes[0], RDF.type, SKOS.ConceptScheme) not in g:
            problems.append(f"{c}: {schemes[0]} is not a skos:ConceptScheme")
        top = (c, SKOS.topConceptOf, schemes[0]) in g if schemes else False
        broader = list(g.objects(c, SKOS.broader))
        if top == bool(broader):
            problems.append(f"{c}: needs either skos:topConceptOf or skos:broader")
    assert not problems, problems


SCHEMES = ["forme-juridique", "famille-ess", "type-siae", "theme", "levier", "type-jalon",
           "nature-partenariat", "mesure", "unite", "qualificatif", "statut-indicateur",
           "type-epci"]


def test_every_scheme_exists():
    g = ontology()
    for scheme in SCHEMES:
        s = URIRef(CONCEPT + scheme)
        assert (s, RDF.type, SKOS.ConceptScheme) in g
        assert {o.language for o in g.objects(s, SKOS.prefLabel)} == {"fr", "en"}


def test_every_code_listed_in_the_model_exists():
    """MODEL.md lists codes as `concept:{scheme}/*` (code, code, …)."""
    model = (ROOT / "docs" / "MODEL.md").read_text(encoding="utf-8")
    model = re.sub(r"\s+", " ", model)
    missing = []
    for scheme, codes in re.findall(r"`concept:([a-z-]+)/\*`\s*\(([^)]*)\)", model):
        for code in (c.strip() for c in codes.split(",")):
            known = URIRef(f"{CONCEPT}{scheme}/{code}") in concepts()
            if re.fullmatch(r"[a-z0-9-]+", code) and not known:
                missing.append(f"{scheme}/{code}")
    assert not missing, missing


def test_epci_types_match_the_reference_codes():
    g = ontology()
    notations = {str(g.value(URIRef(f"{CONCEPT}type-epci/{c}"), SKOS.notation))
                 for c in ("metro", "cu", "ca", "cc")}
    assert notations == {"METRO", "CU", "CA", "CC"}


def test_every_constraint_has_french_and_english_messages():
    """Named shapes, property shapes and SPARQL constraints: a message in each language."""
    g = shapes()
    constraining = set(g.subjects(SH.property, None)) | set(g.objects(None, SH.property)) \
        | set(g.objects(None, SH.sparql))
    constraining |= {s for s in g.subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef)}
    constraining -= {s for s in constraining
                     if not any(True for _ in g.predicate_objects(s))}
    problems = []
    for node in constraining:
        has_constraint = any(
            p not in (RDF.type, RDFS.comment, RDFS.label, SH.message, SH.path, SH.property,
                      SH.prefixes, SH.sparql, SH.targetClass, SH.targetNode, SH.targetSubjectsOf,
                      SH.targetObjectsOf)
            for p in g.predicates(node))
        if not has_constraint:
            continue
        langs = {m.language for m in g.objects(node, SH.message)}
        if not {"fr", "en"} <= langs:
            problems.append((node.n3(g.namespace_manager), g.value(node, SH.path)))
    assert not problems, problems


# --- the build's native engine gives pySHACL's report -----------------------------------


def native_and_pyshacl(data: Graph) -> tuple[list[tuple], list[tuple]]:
    """Both engines' results on `data`, as sorted comparable rows (every field a report
    shows: severity, focus, path, value, constraint, source shape, all messages)."""
    ox = pytest.importorskip("pyoxigraph")
    from essgraph import shacl, validate

    def rows(report: validate.ValidationReport) -> list[tuple]:
        return sorted(
            (r.severity, r.focus_node, r.path or "", r.value or "", r.constraint,
             r.source_shape, tuple(r.messages))
            for r in report.results
        )

    store = ox.Store()
    store.load(data.serialize(format="nt").encode(), format=ox.RdfFormat.N_TRIPLES)
    reference = validate.validate(data, shapes())
    native = shacl.validate_store(store, shapes())
    assert native.conforms == reference.conforms
    return rows(native), rows(reference)


@pytest.mark.parametrize("case", ["valid", *sorted(CASE_RESULTS)])
def test_native_engine_reports_what_pyshacl_reports(case):
    native, reference = native_and_pyshacl(case_graph(case))
    assert native == reference


def test_native_engine_agrees_on_every_fact_class_unsourced():
    g = case_graph()
    for cls in FACT_CLASSES:
        x = URIRef(f"{ID}test/{cls}")
        g.add((x, RDF.type, ESS[cls]))
        g.add((x, SKOS.prefLabel, Literal("x", lang="fr")))
    native, reference = native_and_pyshacl(g)
    assert native == reference
    assert native


def test_native_engine_agrees_after_reasoning():
    native, reference = native_and_pyshacl(materialised("valid", "partnership-by-inference"))
    assert native == reference
