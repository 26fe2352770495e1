"""Publish a build into a remote store with the SPARQL 1.1 Graph Store HTTP Protocol.

One `PUT ?graph=<iri>` per named graph, so each graph is replaced whole: what a source no
longer says disappears from the remote store too. Graphs of essgraph's namespace that the
build no longer has (a removed source) are deleted (`prune=True`, graphs under
`graphs_under`). Then every graph is
counted through the SPARQL endpoint and compared with the build.

Virtuoso 7: the Graph Store endpoint is `/sparql-graph-crud-auth` with HTTP digest
authentication (a user with SPARQL_UPDATE, e.g. `auth=("dba", password)`), or
`/sparql-graph-crud` without authentication, which only works once the anonymous user is
allowed to write: `isql-vt 1111 dba dba exec='grant SPARQL_UPDATE to "SPARQL";'` — the tests
do this on their private server; never on a public one. Bodies are N-Triples sent as
`text/turtle` (N-Triples is Turtle): Virtuoso files `application/n-triples` under text/plain
and may refuse it.

Large graphs go in several requests: a PUT with the first chunk, then POSTs (which add) —
between them a reader sees part of the graph. Every triple with a blank node goes in the
first chunk, because blank node labels only hold within one document.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pyoxigraph as ox
import requests

from .. import vocab
from ..errors import StoreError
from .embedded import EmbeddedStore
from .remote import RemoteStore
from .results import GraphResult, SelectResult

Auth = tuple[str, str] | requests.auth.AuthBase | None
Progress = Callable[[str], None]
BODY_TYPE = "text/turtle; charset=utf-8"


@dataclass
class PublishReport:
    """What was published: triples per graph (as counted back from the endpoint)."""

    endpoint: str
    triples_per_graph: dict[str, int] = field(default_factory=dict)
    deleted_graphs: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.triples_per_graph.values())


def publish(
    source: Path | str | EmbeddedStore,
    gsp_url: str,
    *,
    auth: Auth = None,
    sparql_url: str | None = None,
    prune: bool = True,
    graphs_under: str = vocab.GRAPH,
    chunk_triples: int = 100_000,
    timeout: float = 300.0,
    progress: Progress | None = None,
) -> PublishReport:
    """Replace each named graph of the remote store with the build's; check the counts.

    `source` is a build directory (or an open EmbeddedStore); `gsp_url` the Graph Store
    endpoint; `sparql_url` the query endpoint used to check, by default the `sparql` next
    to `gsp_url` (Virtuoso's layout). `auth` is (user, password) for digest authentication.
    `prune` deletes the remote graphs under `graphs_under` that the build does not have.
    """
    started = time.monotonic()
    say = progress or (lambda message: print(message, file=sys.stderr))
    store = source if isinstance(source, EmbeddedStore) else EmbeddedStore(Path(source))
    session = requests.Session()
    if isinstance(auth, tuple):
        session.auth = requests.auth.HTTPDigestAuth(*auth)
    elif auth is not None:
        session.auth = auth
    remote = RemoteStore(
        sparql_url or sibling_sparql_url(gsp_url), timeout=timeout, graphs_under=graphs_under
    )
    report = PublishReport(gsp_url)
    try:
        expected: dict[str, int] = {}
        for graph in named_graphs(store):
            triples = graph_triples(store, graph)
            for i, chunk in enumerate(chunks(triples, chunk_triples)):
                _send(session, "PUT" if i == 0 else "POST", gsp_url, graph, chunk, timeout)
            expected[graph] = len(triples)
            say(f"published {len(triples)} triples to {graph}")
        if prune:
            for graph in remote.graphs(refresh=True):
                if graph not in expected:
                    _delete(session, gsp_url, graph, timeout)
                    report.deleted_graphs.append(graph)
                    say(f"deleted {graph} (not in the build)")
        report.triples_per_graph = count_graphs(remote, expected)
    finally:
        session.close()
        if not isinstance(source, EmbeddedStore):
            store.close()
    wrong = {g: (n, report.triples_per_graph.get(g, 0)) for g, n in expected.items()
             if report.triples_per_graph.get(g, 0) != n}
    if wrong:
        detail = ", ".join(f"{g}: {n} sent, {m} found" for g, (n, m) in wrong.items())
        raise StoreError(f"the remote store does not hold what was published ({detail})",
                         where=gsp_url)
    report.seconds = round(time.monotonic() - started, 3)
    return report


def sibling_sparql_url(gsp_url: str) -> str:
    """http://host/sparql-graph-crud(-auth) -> http://host/sparql."""
    parts = urlsplit(gsp_url.removeprefix("sparql+"))
    path = parts.path.rsplit("/", 1)[0] + "/sparql"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def named_graphs(store: EmbeddedStore) -> list[str]:
    result = store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g")
    assert isinstance(result, SelectResult)
    return [row[0].value for row in result.rows if row[0] is not None]


def graph_triples(store: EmbeddedStore, graph: str) -> list[ox.Triple]:
    # The IRI is written by pyoxigraph (str(NamedNode)), not pasted.
    result = store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {ox.NamedNode(graph)} "
                         "{ ?s ?p ?o } }")
    assert isinstance(result, GraphResult)
    return result.triples


def chunks(triples: list[ox.Triple], size: int) -> list[list[ox.Triple]]:
    """At least one chunk (an empty graph is still PUT); blank-node triples all in the first."""
    with_bnodes = [t for t in triples if _has_bnode(t)]
    others = [t for t in triples if not _has_bnode(t)]
    first = max(size, len(with_bnodes))
    ordered = with_bnodes + others
    out = [ordered[:first]]
    out += [ordered[i:i + size] for i in range(first, len(ordered), size)]
    return out


def _has_bnode(triple: ox.Triple) -> bool:
    return isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode)


def count_graphs(remote: RemoteStore, graphs: dict[str, int]) -> dict[str, int]:
    """Triples per graph on the endpoint, for the graphs just published."""
    counts = dict.fromkeys(graphs, 0)
    if not graphs:
        return counts
    result = remote.query(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
        default_graphs=list(graphs),
        named_graphs=list(graphs),
    )
    assert isinstance(result, SelectResult)
    for g, n in result.rows:
        if g is not None and n is not None and g.value in counts:
            counts[g.value] = int(n.value)
    return counts


def _send(session: requests.Session, method: str, url: str, graph: str,
          triples: list[ox.Triple], timeout: float) -> None:
    body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    _call(session, method, url, graph, timeout, data=body,
          headers={"Content-Type": BODY_TYPE})


def _delete(session: requests.Session, url: str, graph: str, timeout: float) -> None:
    _call(session, "DELETE", url, graph, timeout)


def _call(session: requests.Session, method: str, url: str, graph: str, timeout: float,
          **kwargs) -> None:
    try:
        response = session.request(method, url, params={"graph": graph}, timeout=timeout,
                                    **kwargs)
    except requests.RequestException as e:
        raise StoreError(f"cannot reach the Graph Store endpoint: {e}", where=url) from e
    if response.status_code in (401, 403):
        raise StoreError(
            f"the Graph Store endpoint refused {method} {graph} (HTTP {response.status_code}): "
            "give credentials of a user allowed to write (Virtuoso: SPARQL_UPDATE)",
            where=url,
        )
    if not response.ok:
        text = " ".join(response.text.split())[:500]
        raise StoreError(
            f"{method} {graph} failed with HTTP {response.status_code}: {text}", where=url
        )
