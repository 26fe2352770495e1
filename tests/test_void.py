"""/.well-known/void: a VoID description that parses in every offered format, whose counts
match the store (counted here independently, by walking the quads), linked from the
service description, and recounted when a new build becomes current."""

from __future__ import annotations

import gc
import os
from collections import Counter, defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib import RDF, RDFS, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

import web_fixtures
from essgraph import vocab, void
from essgraph.web import create_app
from web_fixtures import BASE_URL, make_store, web_settings_for

web_store = web_fixtures.web_store
web_settings = web_fixtures.web_settings
web_app = web_fixtures.web_app
web_client = web_fixtures.web_client

VOID = Namespace(void.VOID)
SD = Namespace(void.SD)
DOCUMENT = BASE_URL + ".well-known/void"
DATASET = URIRef(DOCUMENT + "#dataset")


def expected_counts(store_dir: Path) -> dict:
    """What the description must say, counted by walking the store's quads."""
    store = ox.Store.read_only(str(store_dir / "current"))
    graphs: Counter[str] = Counter()
    properties: Counter[str] = Counter()
    instances: dict[str, set[str]] = defaultdict(set)
    subjects: set[str] = set()
    for quad in store:
        graphs[quad.graph_name.value] += 1
        properties[quad.predicate.value] += 1
        if quad.predicate.value == vocab.RDF + "type" and isinstance(quad.object, ox.NamedNode):
            instances[quad.object.value].add(str(quad.subject))
            if isinstance(quad.subject, ox.NamedNode) and quad.subject.value.startswith(vocab.ID):
                subjects.add(quad.subject.value)  # entities: typed resources of the uriSpace
    total = len(store)
    del store
    gc.collect()
    return {
        "triples": total,
        "graphs": dict(graphs),
        "properties": dict(properties),
        "classes": {c: len(s) for c, s in instances.items()},
        "entities": len(subjects),
    }


def parse(response, fmt: str) -> rdflib.Graph:
    assert response.status_code == 200, response.data
    return rdflib.Graph().parse(data=response.data, format=fmt)


def integer(graph: rdflib.Graph, subject, predicate) -> int:
    value = graph.value(subject, predicate)
    assert isinstance(value, Literal), (subject, predicate)
    return int(value)


def test_counts_match_the_store(web_client, web_store: Path) -> None:
    r = web_client.get("/.well-known/void")
    assert r.mimetype == "text/turtle"
    graph = parse(r, "turtle")
    expected = expected_counts(web_store)

    assert (DATASET, RDF.type, VOID.Dataset) in graph
    assert graph.value(DATASET, VOID.sparqlEndpoint) == URIRef(BASE_URL + "sparql")
    assert graph.value(DATASET, VOID.uriSpace) == Literal("https://w3id.org/essgraph/id/")
    assert integer(graph, DATASET, VOID.triples) == expected["triples"]
    assert integer(graph, DATASET, VOID.entities) == expected["entities"]

    subsets = {str(s): integer(graph, s, VOID.triples)
               for s in graph.objects(DATASET, VOID.subset)}
    assert subsets == expected["graphs"]
    assert sum(subsets.values()) == expected["triples"]

    classes = {str(graph.value(p, VOID["class"])): integer(graph, p, VOID.entities)
               for p in graph.objects(DATASET, VOID.classPartition)}
    assert classes == expected["classes"]
    assert integer(graph, DATASET, VOID.classes) == len(classes)

    properties = {str(graph.value(p, VOID.property)): integer(graph, p, VOID.triples)
                  for p in graph.objects(DATASET, VOID.propertyPartition)}
    assert properties == expected["properties"]
    assert integer(graph, DATASET, VOID.properties) == len(properties)

    vocabularies = {str(v) for v in graph.objects(DATASET, VOID.vocabulary)}
    assert {vocab.ESS, vocab.SKOS, vocab.RDF} <= vocabularies
    assert vocab.ID not in vocabularies


@pytest.mark.parametrize(("accept", "media_type", "fmt"), [
    ("application/n-triples", "application/n-triples", "nt"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
    ("text/turtle;q=0.5, application/n-triples;q=0.9", "application/n-triples", "nt"),
])
def test_negotiates_graph_formats(web_client, accept: str, media_type: str, fmt: str) -> None:
    turtle = parse(web_client.get("/.well-known/void"), "turtle")
    r = web_client.get("/.well-known/void", headers={"Accept": accept})
    assert r.mimetype == media_type
    assert "Accept" in r.headers["Vary"]
    assert isomorphic(parse(r, fmt), turtle)


def test_format_parameter_and_refusals(web_client) -> None:
    r = web_client.get("/.well-known/void", query_string={"format": "jsonld"})
    assert r.mimetype == "application/ld+json"
    r = web_client.get("/.well-known/void", headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 406
    assert r.get_json()["error"] == "NOT_ACCEPTABLE"
    assert web_client.get("/.well-known/void", query_string={"format": "png"}).get_json()[
        "error"] == "UNKNOWN_FORMAT"


def test_service_description_links_the_void(web_client) -> None:
    graph = parse(web_client.get("/sparql"), "turtle")
    service = graph.value(predicate=RDF.type, object=SD.Service)
    assert (service, RDFS.seeAlso, URIRef(DOCUMENT)) in graph
    dataset = graph.value(service, SD.defaultDataset)
    assert dataset == DATASET
    assert (dataset, RDF.type, VOID.Dataset) in graph and (dataset, RDF.type, SD.Dataset) in graph


def test_a_new_build_is_recounted(tmp_path: Path) -> None:
    store_dir = make_store(tmp_path / "store", build_id="first")
    app = create_app(web_settings_for(store_dir))
    try:
        client = app.test_client()
        first = integer(parse(client.get("/.well-known/void"), "turtle"), DATASET, VOID.triples)
        # A second build with one more statement, switched in as `current`.
        make_store(tmp_path / "second", build_id="second")
        second = tmp_path / "second" / "builds" / "second"
        store = ox.Store(str(second))
        store.add(ox.Quad(ox.NamedNode(vocab.ID + "x"), ox.NamedNode(vocab.RDFS + "label"),
                          ox.Literal("x"), ox.NamedNode(vocab.GRAPH + "extra")))
        store.flush()
        del store
        gc.collect()
        os.rename(second, store_dir / "builds" / "second")
        (store_dir / "current").unlink()
        os.symlink(Path("builds") / "second", store_dir / "current")
        graph = parse(client.get("/.well-known/void"), "turtle")
        assert integer(graph, DATASET, VOID.triples) == first + 1
        assert URIRef(vocab.GRAPH + "extra") in set(graph.objects(DATASET, VOID.subset))
    finally:
        app.extensions["essgraph"].close()


def test_count_store_and_describe_without_a_server() -> None:
    store = ox.Store()
    g = ox.NamedNode(vocab.GRAPH + "g")
    person, thing = ox.NamedNode("http://example.org/Person"), ox.NamedNode(vocab.ID + "a")
    store.add(ox.Quad(thing, ox.NamedNode(vocab.RDF + "type"), person, g))
    store.add(ox.Quad(thing, ox.NamedNode(vocab.RDF + "type"), ox.BlankNode(), g))
    stats = void.count_store(store)
    assert stats.graphs == {vocab.GRAPH + "g": 2}
    assert stats.classes == {"http://example.org/Person": 1}  # blank-node classes left out
    assert stats.entities == 1 and stats.triples == 2
    assert stats.vocabularies == ["http://example.org/", vocab.RDF]
    triples = void.describe(stats, document="http://x/.well-known/void",
                            endpoint="http://x/sparql")
    assert ox.Triple(ox.NamedNode("http://x/.well-known/void#dataset"),
                     ox.NamedNode(void.VOID + "triples"),
                     ox.Literal("2", datatype=ox.NamedNode(vocab.XSD + "integer"))) in triples


def test_namespace() -> None:
    assert void.namespace(vocab.ESS + "Organisation") == vocab.ESS
    assert void.namespace("https://schema.org/Place") == "https://schema.org/"
    assert void.namespace("urn:x:y") == ""
    assert void.namespace("http://example.org") == ""
