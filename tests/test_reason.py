"""reason.materialise entails what owlrl's OWL-RL closure entails, for the vocabulary the
ontology declares, and nothing is written twice."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import owlrl
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS

from essgraph import vocab
from essgraph.reason import materialise
from essgraph.validate import quads_to_rdflib

DATA = Path(__file__).parent / "data" / "reason"
ROOT = Path(__file__).resolve().parents[1]
ESSID = vocab.ID

Key = tuple[str, str, str]

CLASS_TYPES = (OWL.Class, RDFS.Class)
PROPERTY_TYPES = (
    RDF.Property,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
    OWL.SymmetricProperty,
    OWL.TransitiveProperty,
)


def declared_vocabulary(ontology: rdflib.Graph) -> tuple[set[str], set[str]]:
    """Classes and properties the ontology declares or uses in an axiom, as IRIs."""
    classes = {str(s) for t in CLASS_TYPES for s in ontology.subjects(RDF.type, t)}
    properties = {str(s) for t in PROPERTY_TYPES for s in ontology.subjects(RDF.type, t)}
    for p in (RDFS.subClassOf, OWL.equivalentClass):
        for s, o in ontology.subject_objects(p):
            classes |= {str(s), str(o)}
    for p in (RDFS.domain, RDFS.range):
        classes |= {str(o) for o in ontology.objects(None, p)}
        properties |= {str(s) for s in ontology.subjects(p, None)}
    for p in (RDFS.subPropertyOf, OWL.equivalentProperty, OWL.inverseOf):
        for s, o in ontology.subject_objects(p):
            properties |= {str(s), str(o)}
    return classes, properties


def covered(triples: Iterable[Key], classes: set[str], properties: set[str]) -> set[Key]:
    """The triples about the declared vocabulary, with an IRI subject."""
    return {
        (s, p, o)
        for s, p, o in triples
        if s.startswith("<")
        and (p in properties or (p == str(RDF.type) and o.strip("<>") in classes))
    }


def literal_key(lexical: str, datatype: str | None, language: str | None) -> str:
    """A literal by value: the store keeps "426.50"^^xsd:decimal as "426.5", rdflib keeps
    the lexical form."""
    if language:
        return f"{lexical!r}@{language.lower()}"
    datatype = datatype or vocab.XSD + "string"
    value = rdflib.Literal(lexical, datatype=datatype).value
    if isinstance(value, Decimal):
        value = value.normalize()
    return f"{lexical if value is None else value!r}^^{datatype}"


def rdflib_key(s: rdflib.term.Node, p: rdflib.term.Node, o: rdflib.term.Node) -> Key:
    if isinstance(o, rdflib.Literal):
        obj = literal_key(str(o), o.datatype and str(o.datatype), o.language)
    else:
        obj = o.n3()
    return (s.n3(), str(p), obj)


def oxigraph_key(q: ox.Quad) -> Key:
    o = q.object
    if isinstance(o, ox.Literal):
        obj = literal_key(o.value, o.datatype.value, o.language)
    else:
        obj = str(o)
    return (str(q.subject), q.predicate.value, obj)


def loaded_store(ontology_files: list[Path], data_files: list[Path]) -> ox.Store:
    """The ontology in its graph, each data file in a source graph, as the build does."""
    store = ox.Store()
    for path in ontology_files:
        store.load(
            path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(vocab.GRAPH_ONTOLOGY)
        )
    for i, path in enumerate(data_files):
        fmt = ox.RdfFormat.TRIG if path.suffix == ".trig" else ox.RdfFormat.TURTLE
        store.load(path=str(path), format=fmt, to_graph=ox.NamedNode(f"{vocab.GRAPH_SOURCE}{i:03}"))
    return store


def owlrl_closure(store: ox.Store) -> set[Key]:
    graph = quads_to_rdflib(list(store))
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    return {rdflib_key(s, p, o) for s, p, o in graph}


def materialised(ontology_files: list[Path], data_files: list[Path]) -> tuple[ox.Store, set[Key]]:
    store = loaded_store(ontology_files, data_files)
    materialise(store)
    return store, {oxigraph_key(q) for q in store}


def compare(ontology_files: list[Path], data_files: list[Path]) -> tuple[set[Key], set[Key]]:
    """Both reasoners start from the same snapshot of the files (read once)."""
    store = loaded_store(ontology_files, data_files)
    ontology = quads_to_rdflib(
        store.quads_for_pattern(None, None, None, ox.NamedNode(vocab.GRAPH_ONTOLOGY))
    )
    classes, properties = declared_vocabulary(ontology)
    expected = covered(owlrl_closure(store), classes, properties)
    materialise(store)
    return expected, covered({oxigraph_key(q) for q in store}, classes, properties)


def test_same_entailments_as_owlrl_on_the_curated_graph() -> None:
    expected, actual = compare([DATA / "ontology.ttl"], [DATA / "data.ttl"])
    assert actual - expected == set(), "entailed by reason.py but not by owlrl"
    assert expected - actual == set(), "entailed by owlrl but not by reason.py"


def iri(path: str) -> str:
    return f"<{ESSID}{path}>"


def test_curated_graph_has_each_kind_of_entailment() -> None:
    """Guards the comparison above against an empty or trivial closure."""
    _store, triples = materialised([DATA / "ontology.ttl"], [DATA / "data.ttl"])
    ess, rdf_type = vocab.ESS, vocab.RDF + "type"
    strasbourg = iri("territoire/commune/67482")
    for triple in [
        (strasbourg, ess + "within", iri("territoire/pays/fr")),  # spo + transitive
        (iri("territoire/pays/fr"), ess + "contains", strasbourg),  # inverse
        (strasbourg, rdf_type, f"<{ess}Territory>"),  # domain
        (iri("territoire/commune/21231"), rdf_type, f"<{vocab.SCHEMA}Place>"),  # subclass
        (iri("collectivite/commune/21231"), ess + "governs", iri("territoire/commune/21231")),
        (iri("collectivite/commune/21231"), rdf_type, f"<{vocab.PROV}Agent>"),  # range+sco
        (iri("organisation/asso-b"), ess + "partnerOf", iri("organisation/coop-a")),  # symp
        (iri("organisation/coop-a"), vocab.ORG + "memberOf", iri("organisation/cress-grand-est")),
        (iri("organisation/cress-grand-est"), rdf_type, f"<{ess}Reseau>"),  # equivalentClass
        (iri("organisation/reseau-x"), rdf_type, f"<{ess}Network>"),
        (iri("partenariat/p1"), ess + "party", iri("collectivite/commune/67482")),
        (strasbourg, vocab.RDFS + "label", "'Strasbourg'@fr"),
    ]:
        assert triple in triples


def test_inferences_go_to_the_target_graph_once() -> None:
    store, _ = materialised([DATA / "ontology.ttl"], [DATA / "data.ttl"])
    inferred = ox.NamedNode(vocab.GRAPH_INFERENCES)
    in_target = {
        (q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, inferred)
    }
    elsewhere = {(q.subject, q.predicate, q.object) for q in store if q.graph_name != inferred}
    assert in_target and not in_target & elsewhere
    again = materialise(store)
    assert again.total == 0
    assert again.rounds >= 1


def test_stats_count_each_rule() -> None:
    store = ox.Store()
    store.load(
        path=str(DATA / "ontology.ttl"),
        format=ox.RdfFormat.TURTLE,
        to_graph=ox.NamedNode(vocab.GRAPH_ONTOLOGY),
    )
    store.load(path=str(DATA / "data.ttl"), format=ox.RdfFormat.TURTLE)
    stats = materialise(store)
    assert all(n > 0 for n in stats.added.values()), stats.added
    inferred = store.quads_for_pattern(None, None, None, ox.NamedNode(vocab.GRAPH_INFERENCES))
    assert stats.total == len(list(inferred))
    assert stats.rounds >= 3  # directlyWithin -> within -> within (transitive) -> contains


REAL_ONTOLOGY = ROOT / "ontology" / "essgraph.ttl"
REAL_DATA = sorted((ROOT / "data").glob("*.trig"))


@pytest.mark.skipif(
    not REAL_ONTOLOGY.exists() or not REAL_DATA,
    reason="ontology/essgraph.ttl or data/*.trig not written yet",
)
def test_same_entailments_as_owlrl_on_the_real_graph() -> None:
    ontology_files = sorted((ROOT / "ontology").glob("*.ttl"))
    expected, actual = compare(ontology_files, REAL_DATA)
    assert sorted(actual - expected)[:20] == [], "entailed by reason.py but not by owlrl"
    assert sorted(expected - actual)[:20] == [], "entailed by owlrl but not by reason.py"
