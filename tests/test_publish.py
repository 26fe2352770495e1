"""Publishing a build into Virtuoso with the Graph Store Protocol: each graph replaced whole,
graphs the build no longer has removed, counts checked; authentication and failures.
The graphs live under graph:publish-test/ on the shared server."""

from __future__ import annotations

import gc
import socket
from pathlib import Path

import pyoxigraph as ox
import pytest

import virtuoso
from essgraph import vocab
from essgraph.errors import StoreError
from essgraph.store.embedded import EmbeddedStore
from essgraph.store.publish import chunks, publish, sibling_sparql_url
from essgraph.store.remote import RemoteStore
from essgraph.store.results import SelectResult

UNDER = vocab.GRAPH + "publish-test/"
G_A = UNDER + "source/000"
G_B = UNDER + "source/001"
LABEL = ox.NamedNode(vocab.SKOS + "prefLabel")
VALUE = ox.NamedNode(vocab.ESS + "value")


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> virtuoso.Virtuoso:
    return virtuoso.shared_server(tmp_path_factory)


def make_build(path: Path, quads: list[ox.Quad]) -> Path:
    store = ox.Store(str(path))
    store.extend(quads)
    store.flush()
    del store
    gc.collect()
    return path


def labelled(graph: str, *names: str) -> list[ox.Quad]:
    return [ox.Quad(ox.NamedNode(f"{vocab.ID}x/{name}"), LABEL, ox.Literal(name, language="fr"),
                    ox.NamedNode(graph)) for name in names]


def remote_rows(server: virtuoso.Virtuoso, query: str) -> list[tuple]:
    result = RemoteStore(server.sparql_url, graphs_under=UNDER).query(query)
    assert isinstance(result, SelectResult)
    return sorted(tuple(str(t) for t in row) for row in result.rows)


def quiet(_message: str) -> None:
    pass


def test_publishing_replaces_each_graph_whole(virtuoso_server, tmp_path: Path) -> None:
    first = make_build(tmp_path / "one", labelled(G_A, "ancien", "garde") + labelled(G_B, "b"))
    report = publish(first, virtuoso_server.gsp_url, graphs_under=UNDER, progress=quiet)
    assert report.triples_per_graph == {G_A: 2, G_B: 1}
    assert report.total == 3

    second = make_build(tmp_path / "two", labelled(G_A, "garde", "nouveau"))
    report = publish(second, virtuoso_server.gsp_url, graphs_under=UNDER, progress=quiet)
    assert report.triples_per_graph == {G_A: 2}
    assert report.deleted_graphs == [G_B]  # the build no longer has it
    labels = remote_rows(virtuoso_server, f"SELECT ?g ?l WHERE {{ GRAPH ?g {{ ?s {LABEL} ?l }} }}")
    assert labels == [(f"<{G_A}>", '"garde"@fr'), (f"<{G_A}>", '"nouveau"@fr')]


def test_large_graphs_go_in_chunks_and_keep_their_blank_nodes(virtuoso_server,
                                                              tmp_path: Path) -> None:
    graph = ox.NamedNode(G_A)
    quads = [ox.Quad(ox.NamedNode(f"{vocab.ID}n/{i}"), VALUE, ox.Literal(str(i),
             datatype=ox.NamedNode(vocab.XSD + "integer")), graph) for i in range(25)]
    address = ox.BlankNode("adresse")
    quads += [
        ox.Quad(ox.NamedNode(f"{vocab.ID}n/0"), ox.NamedNode(vocab.SCHEMA + "address"), address,
                graph),
        ox.Quad(address, ox.NamedNode(vocab.SCHEMA + "postalCode"), ox.Literal("21000"), graph),
    ]
    build = make_build(tmp_path / "big", quads)
    report = publish(build, virtuoso_server.gsp_url, graphs_under=UNDER, chunk_triples=10,
                     progress=quiet)
    assert report.triples_per_graph == {G_A: 27}
    joined = remote_rows(virtuoso_server, (
        f"SELECT ?code WHERE {{ <{vocab.ID}n/0> <{vocab.SCHEMA}address> ?a . "
        f"?a <{vocab.SCHEMA}postalCode> ?code }}"))
    assert joined == [('"21000"',)]


def test_chunks_put_blank_node_triples_first() -> None:
    s, p = ox.NamedNode("http://x/s"), ox.NamedNode("http://x/p")
    plain = [ox.Triple(s, p, ox.Literal(str(i))) for i in range(5)]
    blank = [ox.Triple(s, p, ox.BlankNode("a")), ox.Triple(ox.BlankNode("a"), p, s)]
    parts = chunks(plain + blank, 2)
    assert parts[0] == blank
    assert sum(len(part) for part in parts) == 7
    assert chunks([], 10) == [[]]


def test_publishing_with_digest_authentication(virtuoso_server, tmp_path: Path) -> None:
    build = make_build(tmp_path / "auth", labelled(G_A, "authentifie"))
    store = EmbeddedStore(build)
    report = publish(store, virtuoso_server.gsp_auth_url, auth=virtuoso.DBA, graphs_under=UNDER,
                     progress=quiet)
    assert report.triples_per_graph == {G_A: 1}
    with pytest.raises(StoreError) as info:
        publish(store, virtuoso_server.gsp_auth_url, auth=("dba", "wrong"), graphs_under=UNDER,
                progress=quiet)
    assert "refused" in info.value.message
    assert info.value.where == virtuoso_server.gsp_auth_url
    store.close()


def test_an_unreachable_graph_store_is_a_store_error(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    build = make_build(tmp_path / "x", labelled(G_A, "x"))
    with pytest.raises(StoreError) as info:
        publish(build, f"http://127.0.0.1:{port}/sparql-graph-crud", progress=quiet)
    assert "cannot reach" in info.value.message


def test_the_sparql_endpoint_is_found_next_to_the_graph_store() -> None:
    assert sibling_sparql_url("http://h:8890/sparql-graph-crud-auth") == "http://h:8890/sparql"
    assert sibling_sparql_url("sparql+http://h/x/sparql-graph-crud?a=b") == "http://h/x/sparql"


def test_build_publish_pushes_the_new_build_into_the_remote_store(
    virtuoso_server, runner, settings
) -> None:
    """`essgraph build --publish` builds, switches, then replaces the remote graphs."""
    from essgraph.cli import essgraph

    result = runner.invoke(
        essgraph, ["build", "--publish", virtuoso_server.gsp_auth_url,
                   "--publish-user", "dba", "--publish-password", "dba"],
    )
    assert result.exit_code == 0, result.output
    assert "published to" in result.output
    with EmbeddedStore(settings.store_dir / "current") as local:
        per_graph = dict(
            (row[0].value, int(row[1].value))
            for row in local.query(
                "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
            ).rows
        )
    remote = RemoteStore(virtuoso_server.sparql_url)
    for graph, n in per_graph.items():
        counted = remote.query(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        )
        assert int(counted.rows[0][0].value) == n, graph
