"""What only the remote backend does: reaching the endpoint, its failures, the time limit,
choosing it from the settings, and the SPARQL endpoint served in front of it."""

from __future__ import annotations

import gc
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

import virtuoso
from essgraph import vocab
from essgraph.config import Settings
from essgraph.errors import ConfigError, ParameterError, QueryTimeout, StoreError
from essgraph.store import open_store
from essgraph.store.publish import publish
from essgraph.store.remote import RemoteStore, bind_values, names_dataset, projection
from essgraph.web import create_app

UNDER = vocab.GRAPH + "remote-test/"
GRAPH = UNDER + "source/000"
THING = vocab.ID + "organisation/remote-test"


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> virtuoso.Virtuoso:
    return virtuoso.shared_server(tmp_path_factory)


@pytest.fixture(scope="session")
def remote_data(virtuoso_server: virtuoso.Virtuoso, tmp_path_factory) -> virtuoso.Virtuoso:
    """One resource in graph:remote-test/source/000 on the shared server."""
    path = tmp_path_factory.mktemp("remote-build") / "build"
    store = ox.Store(str(path))
    store.add(ox.Quad(ox.NamedNode(THING), ox.NamedNode(vocab.SKOS + "prefLabel"),
                      ox.Literal("Essai distant", language="fr"), ox.NamedNode(GRAPH)))
    store.flush()
    del store
    gc.collect()
    publish(path, virtuoso_server.gsp_url, graphs_under=UNDER, progress=lambda _m: None)
    return virtuoso_server


@pytest.fixture
def silent_server() -> Iterator[str]:
    """An HTTP endpoint that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    listener.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- failures ------------------------------------------------------------------------------


def test_an_unreachable_endpoint_is_a_store_error() -> None:
    store = RemoteStore(f"sparql+http://127.0.0.1:{free_port()}/sparql", timeout=5)
    with pytest.raises(StoreError) as info:
        store.query("ASK { ?s ?p ?o }")
    assert info.value.code == "STORE"
    assert "cannot reach" in info.value.message
    assert info.value.where == store.url


def test_a_silent_endpoint_times_out(silent_server: str) -> None:
    store = RemoteStore(silent_server, timeout=0.5, graphs_under=None)
    started = time.monotonic()
    with pytest.raises(QueryTimeout) as info:
        store.query("ASK { ?s ?p ?o }")
    assert time.monotonic() - started < 5
    assert info.value.status == 503


def test_a_missing_endpoint_path_is_a_store_error(remote_data: virtuoso.Virtuoso) -> None:
    url = f"http://127.0.0.1:{remote_data.http_port}/no-such-endpoint"
    with pytest.raises(StoreError) as info:
        RemoteStore(url).query("ASK { ?s ?p ?o }")
    assert info.value.code == "STORE"


def test_a_closed_store_refuses_queries(remote_data: virtuoso.Virtuoso) -> None:
    store = RemoteStore(remote_data.sparql_url)
    store.close()
    with pytest.raises(StoreError):
        store.query("ASK { ?s ?p ?o }")


def test_blank_nodes_cannot_be_bound() -> None:
    with pytest.raises(ParameterError) as info:
        bind_values("SELECT ?s WHERE { ?s ?p ?o }", {"s": ox.BlankNode("b")}, "select")
    assert info.value.where == "s"
    with pytest.raises(ParameterError):
        bind_values("SELECT ?s WHERE { ?s ?p ?o }", {"s) } #": ox.NamedNode("http://x")},
                    "select")


def test_query_text_helpers() -> None:
    assert projection("SELECT ?a (COUNT(?b) AS ?n) WHERE { ?a ?p ?b } GROUP BY ?a") == {"a", "n"}
    assert projection("PREFIX x: <http://x#> SELECT DISTINCT * { ?s ?p ?o }") is None
    assert names_dataset("SELECT * FROM <http://g> WHERE { ?s ?p ?o }")
    assert not names_dataset('SELECT * WHERE { ?s ?p "FROM" } # FROM')
    assert names_dataset("CONSTRUCT { ?s ?p ?o } FROM NAMED <http://g> WHERE { ?s ?p ?o }")


# --- choosing the backend ------------------------------------------------------------------


def test_open_store_returns_a_remote_store_for_an_endpoint_url(tmp_path: Path) -> None:
    settings = Settings.load(env={}, store_dir=tmp_path, query_timeout=3.0,
                             store_url="sparql+http://127.0.0.1:8890/sparql")
    store = open_store(settings)
    assert isinstance(store, RemoteStore)
    assert store.url == "http://127.0.0.1:8890/sparql"
    assert store.timeout == 3.0
    assert isinstance(open_store(settings.with_(store_url="https://example.org/sparql")),
                      RemoteStore)
    with pytest.raises(ConfigError) as info:
        open_store(settings.with_(store_url="ftp://example.org/sparql"))
    assert info.value.where == "ESSGRAPH_STORE_URL"


def test_the_remote_store_reads_the_published_graph(remote_data: virtuoso.Virtuoso) -> None:
    store = RemoteStore(remote_data.sparql_url, graphs_under=UNDER)
    assert store.graphs() == (GRAPH,)
    assert store.count_triples() == 1


def test_dump_pages_through_large_graphs(remote_data: virtuoso.Virtuoso, tmp_path: Path) -> None:
    graph = UNDER + "pages"
    lines = "".join(f"<{vocab.ID}x/{i}> <{vocab.ESS}value> {i} .\n" for i in range(25))
    path = tmp_path / "pages.nt"
    path.write_text(lines)
    remote_data.bulk_load(path, graph)
    store = RemoteStore(remote_data.sparql_url, graphs_under=graph)
    store.page_size = 10
    assert len(store.graph_triples(graph)) == 25


# --- the SPARQL endpoint in front of Virtuoso ----------------------------------------------


@pytest.fixture
def remote_client(remote_data: virtuoso.Virtuoso, tmp_path: Path):
    settings = Settings.load(env={}, store_dir=tmp_path / "store", query_timeout=10.0,
                             store_url="sparql+" + remote_data.sparql_url)
    app = create_app(settings)
    app.testing = True
    yield app.test_client()
    app.extensions["essgraph"].close()


def test_sparql_endpoint_answers_from_the_remote_store(remote_client) -> None:
    query = f"SELECT ?l WHERE {{ <{THING}> <{vocab.SKOS}prefLabel> ?l }}"
    response = remote_client.get("/sparql", query_string={"query": query},
                                 headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["X-Essgraph-Build"] == "remote"
    assert json.loads(response.data)["results"]["bindings"] == [
        {"l": {"type": "literal", "value": "Essai distant", "xml:lang": "fr"}}
    ]
    response = remote_client.get("/sparql", query_string={
        "query": f"CONSTRUCT WHERE {{ <{THING}> ?p ?o }}", "format": "nt"})
    assert response.status_code == 200
    assert b"Essai distant" in response.data
    health = remote_client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["graphs"] >= 1


def test_the_guard_still_applies_in_front_of_the_remote_store(remote_client) -> None:
    service = remote_client.get("/sparql", query_string={
        "query": "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"})
    assert service.status_code == 400
    assert service.get_json()["error"] == "QUERY_REJECTED"
    update = remote_client.post("/sparql", data={"query": f"DROP GRAPH <{GRAPH}>"})
    assert update.status_code == 403
    assert update.get_json()["error"] == "UPDATE_FORBIDDEN"
    update = remote_client.post("/sparql", data="CLEAR ALL",
                                content_type="application/sparql-update")
    assert update.status_code == 403
    unknown = remote_client.get("/sparql", query_string={
        "query": "SELECT * FROM <http://example.org/elsewhere> WHERE { ?s ?p ?o }"})
    assert unknown.status_code == 400
    syntax = remote_client.get("/sparql", query_string={"query": "SELECT ?s WHERE { ?s ?p }"})
    assert syntax.status_code == 400
    assert syntax.get_json()["error"] == "QUERY_SYNTAX"
