"""One contract, two backends: the embedded pyoxigraph build and a real Virtuoso 7.

The same small dataset (two named graphs, typed literals, language tags, a blank node, one
triple stated in both graphs) is written into a pyoxigraph build and published into
Virtuoso with the Graph Store Protocol; every test runs against both and the results are
compared after sorting, with blank nodes compared by shape (their labels are the backend's).
The remote graphs live under graph:contract/, so other modules sharing the server do not
touch them.
"""

from __future__ import annotations

import gc
import io
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

import virtuoso
from essgraph import vocab
from essgraph.errors import ParameterError, QueryError
from essgraph.store import AskResult, GraphResult, SelectResult, Store
from essgraph.store.embedded import EmbeddedStore
from essgraph.store.publish import publish
from essgraph.store.remote import RemoteStore

UNDER = vocab.GRAPH + "contract/"
G_SOURCE = UNDER + "source/000"
G_ONTOLOGY = UNDER + "ontologie"
POLE = vocab.ID + "organisation/pole-ess-21"
RESEAU = vocab.ID + "organisation/reseau-ess"

DATA = f"""
@prefix ess: <{vocab.ESS}> .
@prefix skos: <{vocab.SKOS}> .
@prefix schema: <{vocab.SCHEMA}> .
@prefix org: <{vocab.ORG}> .
@prefix rdfs: <{vocab.RDFS}> .
@prefix owl: <{vocab.OWL}> .
@prefix xsd: <{vocab.XSD}> .

<{G_SOURCE}> {{
  <{POLE}> a ess:Organisation ;
    skos:prefLabel "Pôle ESS 21"@fr, "ESS hub 21"@en-GB ;
    skos:altLabel "PES21" ;
    schema:foundingDate "2001"^^xsd:gYear ;
    ess:date "2024-03-05"^^xsd:date ;
    ess:population 1234 ;
    ess:value 12.5 ;
    ess:periodFromDocument true ;
    schema:address [ schema:streetAddress "1 rue \\"Haute\\"\\n\\tDijon" ;
                     schema:postalCode "21000" ] ;
    org:memberOf <{RESEAU}> .
  <{RESEAU}> a ess:Network ; skos:prefLabel "Réseau ESS"@fr .
  ess:Network rdfs:subClassOf ess:Organisation .
}}

<{G_ONTOLOGY}> {{
  ess:Organisation a owl:Class ; rdfs:label "Organisation"@fr, "Organisation"@en .
  ess:Network rdfs:subClassOf ess:Organisation .
}}
"""
N_QUADS = 20  # statements over both graphs (the subClassOf triple counts twice)


@pytest.fixture(scope="session")
def contract_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pyoxigraph database of DATA, written like a build's."""
    path = tmp_path_factory.mktemp("contract-build") / "build"
    store = ox.Store(str(path))
    store.load(DATA.encode(), format=ox.RdfFormat.TRIG)
    store.flush()
    del store
    gc.collect()
    return path


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> virtuoso.Virtuoso:
    return virtuoso.shared_server(tmp_path_factory)


@pytest.fixture(scope="session")
def remote_contract(
    virtuoso_server: virtuoso.Virtuoso, contract_build: Path
) -> Iterator[RemoteStore]:
    publish(contract_build, virtuoso_server.gsp_url, graphs_under=UNDER,
            progress=lambda _m: None)
    store = RemoteStore(virtuoso_server.sparql_url, graphs_under=UNDER, timeout=30)
    yield store
    store.close()


@pytest.fixture(params=["embedded", "remote"])
def store(request: pytest.FixtureRequest, contract_build: Path) -> Iterator[Store]:
    if request.param == "embedded":
        embedded = EmbeddedStore(contract_build)
        yield embedded
        embedded.close()
    else:
        yield request.getfixturevalue("remote_contract")


@pytest.fixture
def both(contract_build: Path, remote_contract: RemoteStore) -> Iterator[tuple[Store, Store]]:
    embedded = EmbeddedStore(contract_build)
    yield embedded, remote_contract
    embedded.close()


def n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def xsd(name: str) -> ox.NamedNode:
    return n(vocab.XSD + name)


def rows(result: SelectResult) -> list[tuple]:
    """Sorted rows, blank nodes replaced by a marker (labels differ between backends)."""
    assert isinstance(result, SelectResult)
    return sorted(tuple(_plain(t) for t in row) for row in result.rows)


def triples(result: GraphResult) -> list[tuple]:
    assert isinstance(result, GraphResult)
    return sorted({(_plain(t.subject), _plain(t.predicate), _plain(t.object))
                   for t in result.triples})


def _plain(term: object) -> str:
    return "_:b" if isinstance(term, ox.BlankNode) else ("" if term is None else str(term))


# --- each term kind ------------------------------------------------------------------------


def test_select_returns_every_term_kind(store: Store) -> None:
    result = store.query(f"SELECT ?p ?o WHERE {{ <{POLE}> ?p ?o }}")
    assert isinstance(result, SelectResult)
    assert result.variables == ["p", "o"]
    objects = {o for _, o in result.rows}
    assert ox.Literal("Pôle ESS 21", language="fr") in objects
    assert ox.Literal("ESS hub 21", language="en-gb") in objects
    assert ox.Literal("PES21") in objects
    assert ox.Literal("2001", datatype=xsd("gYear")) in objects
    assert ox.Literal("2024-03-05", datatype=xsd("date")) in objects
    assert ox.Literal("1234", datatype=xsd("integer")) in objects
    assert ox.Literal("12.5", datatype=xsd("decimal")) in objects
    assert ox.Literal("true", datatype=xsd("boolean")) in objects
    assert n(RESEAU) in objects
    assert sum(isinstance(o, ox.BlankNode) for o in objects) == 1


def test_blank_nodes_can_be_followed_and_keep_their_name(store: Store) -> None:
    result = store.query(
        f"SELECT ?a ?street WHERE {{ <{POLE}> <{vocab.SCHEMA}address> ?a . "
        f"?a <{vocab.SCHEMA}streetAddress> ?street }}"
    )
    assert isinstance(result, SelectResult)
    [(address, street)] = result.rows
    assert isinstance(address, ox.BlankNode)
    assert street == ox.Literal('1 rue "Haute"\n\tDijon')
    graph = store.query(f"CONSTRUCT {{ <{POLE}> <{vocab.SCHEMA}address> ?a . "
                        f"?a ?p ?o }} WHERE {{ <{POLE}> <{vocab.SCHEMA}address> ?a . ?a ?p ?o }}")
    assert isinstance(graph, GraphResult)
    assert {t.subject for t in graph.triples if t.subject != n(POLE)} == {
        t.object for t in graph.triples if t.subject == n(POLE)
    }


def test_unbound_values_are_none(store: Store) -> None:
    result = store.query(
        f"SELECT ?s ?alt WHERE {{ ?s a <{vocab.ESS}Network> "
        f"OPTIONAL {{ ?s <{vocab.SKOS}altLabel> ?alt }} }}"
    )
    assert isinstance(result, SelectResult)
    assert result.rows == [(n(RESEAU), None)]


# --- query forms ---------------------------------------------------------------------------


def test_ask_true_and_false(store: Store) -> None:
    assert store.query(f"ASK {{ <{POLE}> a <{vocab.ESS}Organisation> }}") == AskResult(True)
    assert store.query(f"ASK {{ <{RESEAU}> a <{vocab.ESS}Organisation> }}") == AskResult(False)


def test_construct(store: Store) -> None:
    result = store.query(
        f"CONSTRUCT {{ ?s <{vocab.RDFS}label> ?l }} WHERE {{ ?s <{vocab.SKOS}prefLabel> ?l }}"
    )
    assert triples(result) == sorted([
        (f"<{POLE}>", f"<{vocab.RDFS}label>", '"Pôle ESS 21"@fr'),
        (f"<{POLE}>", f"<{vocab.RDFS}label>", '"ESS hub 21"@en-gb'),
        (f"<{RESEAU}>", f"<{vocab.RDFS}label>", '"Réseau ESS"@fr'),
    ])


def test_describe_gives_the_resource_s_statements(store: Store) -> None:
    result = store.query(f"DESCRIBE <{RESEAU}>")
    assert isinstance(result, GraphResult)
    assert {(t.predicate, t.object) for t in result.triples if t.subject == n(RESEAU)} == {
        (n(vocab.RDF + "type"), n(vocab.ESS + "Network")),
        (n(vocab.SKOS + "prefLabel"), ox.Literal("Réseau ESS", language="fr")),
    }


# --- parameters, dataset, size -------------------------------------------------------------


def test_substitutions_bind_terms(store: Store) -> None:
    query = f"SELECT ?s ?l WHERE {{ ?s <{vocab.SKOS}prefLabel> ?l }}"
    result = store.query(query, substitutions={"s": n(RESEAU)})
    assert isinstance(result, SelectResult)
    assert result.rows == [(n(RESEAU), ox.Literal("Réseau ESS", language="fr"))]
    # a literal with quotes, a newline and a tab is bound as a term, not pasted as text
    street = ox.Literal('1 rue "Haute"\n\tDijon')
    result = store.query(
        f"SELECT ?a ?street WHERE {{ ?a <{vocab.SCHEMA}streetAddress> ?street }}",
        substitutions={"street": street},
    )
    assert isinstance(result, SelectResult)
    assert [row[1] for row in result.rows] == [street]
    hostile = ox.Literal('x" } } ; DROP ALL ; SELECT * { "')
    result = store.query(query, substitutions={"l": hostile})
    assert isinstance(result, SelectResult) and result.rows == []


def test_substitution_of_a_variable_not_projected_is_refused(store: Store) -> None:
    with pytest.raises(ParameterError) as info:
        store.query(f"SELECT ?l WHERE {{ ?s <{vocab.SKOS}prefLabel> ?l }}",
                    substitutions={"s": n(RESEAU)})
    assert info.value.where == "s"


def test_count_triples_counts_statements_of_every_graph(store: Store) -> None:
    assert store.count_triples() == N_QUADS


def test_default_graph_is_the_union_of_the_named_graphs(store: Store) -> None:
    result = store.query(f"SELECT ?l WHERE {{ <{vocab.ESS}Organisation> ?p ?l . "
                         "FILTER(isLiteral(?l)) }")
    assert rows(result) == sorted([('"Organisation"@fr',), ('"Organisation"@en',)])
    result = store.query(f"SELECT ?g WHERE {{ GRAPH ?g {{ <{vocab.ESS}Network> ?p ?o }} }}")
    assert rows(result) == sorted([(f"<{G_ONTOLOGY}>",), (f"<{G_SOURCE}>",)])
    # and only them: nothing of the server's own graphs (Virtuoso's virtrdf#, DAV/, ...)
    result = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert isinstance(result, SelectResult)
    assert int(result.rows[0][0].value) == N_QUADS


def test_a_syntax_error_is_a_query_error(store: Store) -> None:
    with pytest.raises(QueryError) as info:
        store.query("SELECT ?s WHERE {\n  ?s ?p \n}")
    assert info.value.code == "QUERY_SYNTAX"
    assert info.value.where and info.value.where.startswith("line 3")


def test_dump_keeps_the_graphs(store: Store) -> None:
    out = io.BytesIO()
    store.dump(out, "nq")
    quads = list(ox.parse(out.getvalue(), format=ox.RdfFormat.N_QUADS))
    assert len(quads) == N_QUADS
    assert {q.graph_name.value for q in quads} == {G_SOURCE, G_ONTOLOGY}
    out = io.BytesIO()
    store.dump(out, "nt")
    assert len(list(ox.parse(out.getvalue(), format=ox.RdfFormat.N_TRIPLES))) == N_QUADS - 1


# --- the same answers from both backends ---------------------------------------------------

SAME = [
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o }",
    "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT DISTINCT ?o WHERE { ?s ?p ?o FILTER(isLiteral(?o)) }",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    f"SELECT ?s (LANG(?l) AS ?lang) WHERE {{ ?s <{vocab.SKOS}prefLabel> ?l }}",
    f"SELECT ?o (DATATYPE(?o) AS ?dt) WHERE {{ <{POLE}> ?p ?o "
    'FILTER(isLiteral(?o) && LANG(?o) = "") }',
]


@pytest.mark.parametrize("query", SAME)
def test_both_backends_answer_the_same(both: tuple[Store, Store], query: str) -> None:
    embedded, remote = both
    assert rows(remote.query(query)) == rows(embedded.query(query))


def test_both_backends_construct_the_same(both: tuple[Store, Store]) -> None:
    embedded, remote = both
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    assert triples(remote.query(query)) == triples(embedded.query(query))


def test_known_difference_datatype_of_a_language_string(both: tuple[Store, Store]) -> None:
    """Virtuoso 7.2 follows SPARQL 1.0 here: DATATYPE("x"@fr) is an error (unbound), where
    RDF 1.1 engines answer rdf:langString. Queries should test LANG() first."""
    embedded, remote = both
    query = f"SELECT (DATATYPE(?l) AS ?dt) WHERE {{ <{RESEAU}> <{vocab.SKOS}prefLabel> ?l }}"
    assert rows(embedded.query(query)) == [(f"<{vocab.RDF}langString>",)]
    assert rows(remote.query(query)) == [("",)]
