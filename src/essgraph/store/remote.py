"""The remote backend: a SPARQL 1.1 endpoint (Virtuoso 7 tested) queried with SPARQLWrapper.

It answers with the same result shapes as the embedded store (pyoxigraph terms) and turns the
endpoint's failures into essgraph errors: HTTP 400 -> QueryError with the server's message,
a timeout -> QueryTimeout, anything else (refused connection, 5xx, 404) -> StoreError.

The dataset. essgraph's default graph is the union of its named graphs (docs/MODEL.md).
Virtuoso's default graph, when a query names no dataset, is the union of *every* graph of the
server, including its own system graphs (virtrdf#, DAV/, the service description: about
5,600 triples on a fresh 7.2.5), and its DESCRIBE answers nothing at all without a dataset.
So unless the query names its own dataset (FROM / FROM NAMED), every request carries the
protocol's `default-graph-uri` and `named-graph-uri` for each essgraph graph (the graphs
whose IRI starts with `graphs_under`, by default vocab.GRAPH), found by one query and cached
for `graphs_ttl` seconds. Pass `graphs_under=None` to use the endpoint's own default graph.

Terms. Virtuoso's JSON says "typed-literal" (SPARQL 2005) and writes xsd:boolean as "1"/"0";
both are normalised here. Numbers, dates and language tags come back in the same canonical
forms pyoxigraph uses (tested). Blank nodes come as "nodeID://b10003" in results and "_:b10003"
in graphs; both become BlankNode("b10003"), so one blank node keeps one name across queries.
Known difference (Virtuoso 7.2 keeps SPARQL 1.0 here): DATATYPE("x"@fr) is unbound, not
rdf:langString.

Parameters are bound with a trailing `VALUES` block whose terms are written by pyoxigraph
(`str(term)`, N-Triples syntax), never by pasting user text; as with the embedded store, a
SELECT only takes variables of its projection. Blank nodes cannot be bound (VALUES has none).

Limits of the endpoint apply: Virtuoso cuts results at ResultSetMaxRows (10,000 by default)
without saying so in the SPARQL results; `dump` therefore pages.
"""

from __future__ import annotations

import ast
import json
import re
import threading
import time
import urllib.error
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, BinaryIO

import pyoxigraph as ox
from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import (
    EndPointInternalError,
    QueryBadFormed,
    SPARQLWrapperException,
)

from .. import vocab
from ..errors import (
    ConfigError,
    ParameterError,
    QueryError,
    QueryTimeout,
    StoreError,
    UnknownFormat,
)
from ..guard import _tokens, query_kind
from . import EXPORT_FORMATS, Store
from .results import AskResult, GraphResult, QueryResult, SelectResult, Term

SCHEMES = ("sparql+http://", "sparql+https://", "http://", "https://")
RESULTS_JSON = "application/sparql-results+json"
GRAPH_TYPES = "application/n-triples, text/turtle;q=0.9"
_XSD_BOOLEAN = vocab.XSD + "boolean"
_XSD_STRING = vocab.XSD + "string"
_VARNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LINE = re.compile(r"\bline (\d+)")
_TIMEOUT_STATES = ("S1T00", "S1TAT")  # Virtuoso: transaction timed out / anytime query cut
_EMPTY_GRAPH = vocab.GRAPH + "-none-"  # names no graph: the dataset of a store with none


def endpoint_url(url: str) -> str:
    """`sparql+http://host/sparql` or `http(s)://host/sparql` -> the http(s) URL."""
    if not url.startswith(SCHEMES):
        raise ConfigError(
            f"{url!r} is not a SPARQL endpoint URL; use sparql+http://host:port/sparql or "
            "http(s)://host:port/sparql",
            where="store_url",
        )
    return url.removeprefix("sparql+")


def is_remote(url: str | None) -> bool:
    return bool(url) and url.startswith(SCHEMES)


class RemoteStore(Store):
    """A SPARQL 1.1 endpoint behind the Store interface; safe to share between threads."""

    # Triples per request when dumping (below Virtuoso's default ResultSetMaxRows).
    page_size = 10_000

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 60.0,
        graphs_under: str | None = vocab.GRAPH,
        graphs_ttl: float = 60.0,
    ):
        self.url = endpoint_url(url)
        self.timeout = timeout
        self.graphs_under = graphs_under
        self.graphs_ttl = graphs_ttl
        self._graphs: tuple[str, ...] | None = None
        self._graphs_at = 0.0
        self._lock = threading.Lock()
        self._closed = False

    # --- Store -----------------------------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        substitutions: dict[str, Term] | None = None,
        base_iri: str | None = None,
        default_graphs: Sequence[str] | None = None,
        named_graphs: Sequence[str] | None = None,
    ) -> QueryResult:
        """Run `sparql` on the endpoint; `default_graphs`/`named_graphs` (remote only) are
        the protocol's dataset, overriding both the query's FROM and the union default."""
        kind = query_kind(sparql)
        text = sparql
        if substitutions:
            text = bind_values(text, substitutions, kind)
        if base_iri:
            # Same line, so the server's line numbers stay those of the user's query.
            text = f"BASE {ox.NamedNode(base_iri)} {text}"
        if default_graphs is None and named_graphs is None:
            if not names_dataset(sparql):
                default_graphs = named_graphs = self.graphs()
        else:
            default_graphs, named_graphs = default_graphs or (), named_graphs or ()
        if default_graphs is not None and named_graphs is not None:
            # Virtuoso reads an absent parameter as "every graph": name one that is empty.
            default_graphs = tuple(default_graphs) or (_EMPTY_GRAPH,)
            named_graphs = tuple(named_graphs) or (_EMPTY_GRAPH,)
        body, content_type = self._request(
            text,
            RESULTS_JSON if kind in ("select", "ask") else GRAPH_TYPES,
            default_graphs or (),
            named_graphs or (),
        )
        if kind in ("select", "ask"):
            return parse_results(body)
        return GraphResult(parse_graph(body, content_type))

    def count_triples(self) -> int:
        result = self.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        assert isinstance(result, SelectResult)
        return int(result.rows[0][0].value) if result.rows and result.rows[0][0] else 0

    def dump(self, output: BinaryIO, fmt: str) -> None:
        """The whole dataset, one graph at a time (CONSTRUCT cannot return quads), paged."""
        try:
            format_ = EXPORT_FORMATS[fmt]
        except KeyError:
            raise UnknownFormat(
                f"cannot export {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}", where=fmt
            ) from None
        prefixes = dict(vocab.PREFIXES)
        if format_.supports_datasets:
            quads = [
                ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(g))
                for g in self.graphs()
                for t in self.graph_triples(g)
            ]
            ox.serialize(quads, output, format_, prefixes=prefixes)
        else:
            seen: dict[ox.Triple, None] = {}
            for g in self.graphs():
                seen.update(dict.fromkeys(self.graph_triples(g)))
            ox.serialize(list(seen), output, format_, prefixes=prefixes)

    def close(self) -> None:
        self._closed = True

    # --- remote only -----------------------------------------------------------------------

    def graphs(self, *, refresh: bool = False) -> tuple[str, ...]:
        """The essgraph named graphs on the endpoint (cached for `graphs_ttl` seconds)."""
        with self._lock:
            fresh = time.monotonic() - self._graphs_at < self.graphs_ttl
            if self._graphs is not None and fresh and not refresh:
                return self._graphs
        if self.graphs_under is None:
            query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
        else:
            under = ox.Literal(self.graphs_under)
            query = (
                "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                f"FILTER(STRSTARTS(STR(?g), {under})) }}"
            )
        body, _ = self._request(query, RESULTS_JSON, (), ())
        result = parse_results(body)
        assert isinstance(result, SelectResult)
        graphs = tuple(sorted(row[0].value for row in result.rows if row[0] is not None))
        with self._lock:
            self._graphs, self._graphs_at = graphs, time.monotonic()
        return graphs

    def graph_triples(self, graph: str) -> list[ox.Triple]:
        """Every triple of one named graph, in pages of `page_size`.

        Unordered pages: Virtuoso refuses ORDER BY with an OFFSET beyond its sort limit
        (SR353, 10,000 rows). Its scan order is stable while the graph does not change, and
        the number of distinct triples read is checked against a COUNT, so a graph that
        changed under the dump is an error rather than a silently wrong file.
        """
        name = ox.NamedNode(graph)
        triples: dict[ox.Triple, None] = {}
        offset = 0
        while True:
            query = (
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SELECT ?s ?p ?o WHERE {{ GRAPH {name} "
                f"{{ ?s ?p ?o }} }} LIMIT {self.page_size} OFFSET {offset} }}"
            )
            body, content_type = self._request(query, GRAPH_TYPES, (), (graph,))
            page = parse_graph(body, content_type)
            triples.update(dict.fromkeys(page))
            if len(page) < self.page_size:
                break
            offset += self.page_size
        count = self.query(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {name} {{ ?s ?p ?o }} }}",
            named_graphs=(graph,),
        )
        assert isinstance(count, SelectResult)
        expected = int(count.rows[0][0].value)
        if len(triples) != expected:
            raise StoreError(
                f"read {len(triples)} triples of {graph} but it holds {expected}; did it "
                "change during the export? Try again",
                where=self.url,
            )
        return list(triples)

    # --- HTTP ------------------------------------------------------------------------------

    def _request(
        self, text: str, accept: str, default_graphs: Iterable[str], named_graphs: Iterable[str]
    ) -> tuple[bytes, str]:
        """POST one query; returns (body, content type) or raises an essgraph error."""
        if self._closed:
            raise StoreError("the store is closed", where=self.url)
        wrapper = SPARQLWrapper(self.url)
        wrapper.setMethod(POST)
        wrapper.setOnlyConneg(True)
        wrapper.setReturnFormat(JSON if accept == RESULTS_JSON else TURTLE)
        wrapper.timeout = self.timeout  # setTimeout() truncates to int: 0.5 s would be none
        wrapper.setQuery(text)
        wrapper.addCustomHttpHeader("Accept", accept)
        for graph in default_graphs:
            wrapper.addParameter("default-graph-uri", graph)
        for graph in named_graphs:
            wrapper.addParameter("named-graph-uri", graph)
        try:
            response = wrapper.query().response
            body = response.read()
        except QueryBadFormed as e:
            raise _query_error(_server_message(e)) from e
        except EndPointInternalError as e:
            message = _server_message(e)
            if any(state in message for state in _TIMEOUT_STATES):
                raise self._timeout() from e
            raise StoreError(f"the SPARQL endpoint failed: {message}", where=self.url) from e
        except SPARQLWrapperException as e:
            raise StoreError(
                f"the SPARQL endpoint refused the query: {_server_message(e)}", where=self.url
            ) from e
        except urllib.error.HTTPError as e:
            raise StoreError(
                f"the SPARQL endpoint answered HTTP {e.code} {e.reason}", where=self.url
            ) from e
        except urllib.error.URLError as e:
            if isinstance(e.reason, TimeoutError):
                raise self._timeout() from e
            raise StoreError(
                f"cannot reach the SPARQL endpoint: {e.reason}", where=self.url
            ) from e
        except TimeoutError as e:
            raise self._timeout() from e
        except OSError as e:
            raise StoreError(f"cannot reach the SPARQL endpoint: {e}", where=self.url) from e
        if any(s in response.headers.get("X-SQL-State", "") for s in _TIMEOUT_STATES):
            raise self._timeout()  # Virtuoso's "anytime" answer: partial, so refused
        return body, response.headers.get_content_type()

    def _timeout(self) -> QueryTimeout:
        return QueryTimeout(
            f"the SPARQL endpoint did not answer within {self.timeout:g} s; narrow the query "
            "(LIMIT, more specific patterns)",
            where=self.url,
        )


# --- query text ----------------------------------------------------------------------------


def names_dataset(sparql: str) -> bool:
    """True when the query has FROM / FROM NAMED (only allowed outside any group)."""
    depth = 0
    for token in _tokens(sparql):
        if token.text == "{":
            depth += 1
        elif token.text == "}":
            depth -= 1
        elif depth == 0 and token.kind == "word" and token.text.upper() == "FROM":
            return True
    return False


def projection(sparql: str) -> set[str] | None:
    """The variables a SELECT projects (None for SELECT *), read from its tokens."""
    tokens = iter(_tokens(sparql))
    for token in tokens:
        if token.kind == "word" and token.text.upper() == "SELECT":
            break
    names: set[str] = set()
    depth, after_as = 0, False
    for token in tokens:
        text = token.text
        if depth == 0 and (text == "{" or (token.kind == "word" and text.upper() in (
                "WHERE", "FROM"))):
            break
        if text == "*" and depth == 0:
            return None
        if text == "(":
            depth += 1
        elif text == ")":
            depth -= 1
        elif token.kind == "var" and (depth == 0 or after_as):
            names.add(text[1:])
        after_as = token.kind == "word" and text.upper() == "AS"
    return names


def bind_values(sparql: str, substitutions: dict[str, Term], kind: str) -> str:
    """The query with a trailing `VALUES (?a ?b) { (<x> "y") }` built from the terms."""
    for name, term in substitutions.items():
        if not _VARNAME.match(name):
            raise ParameterError(f"{name!r} is not a SPARQL variable name", where=name)
        if not isinstance(term, ox.NamedNode | ox.Literal):
            raise ParameterError(
                f"?{name} can only be bound to an IRI or a literal here, not {term!r}",
                where=name,
            )
    if kind == "select":
        projected = projection(sparql)
        for name in substitutions:
            if projected is not None and name not in projected:
                raise ParameterError(
                    f"the query cannot take ?{name}: it is not in its SELECT projection",
                    where=name,
                )
    names = " ".join(f"?{n}" for n in substitutions)
    row = " ".join(str(t) for t in substitutions.values())
    return f"{sparql}\nVALUES ({names}) {{ ({row}) }}\n"


# --- answers -------------------------------------------------------------------------------


def parse_results(body: bytes) -> SelectResult | AskResult:
    """SPARQL JSON results (with Virtuoso's dialect) -> SelectResult / AskResult."""
    try:
        doc = json.loads(body)
    except ValueError as e:
        raise StoreError(f"the SPARQL endpoint sent results that are not JSON: {e}") from e
    if "boolean" in doc:
        return AskResult(bool(doc["boolean"]))
    variables = list(doc.get("head", {}).get("vars", []))
    rows = [
        tuple(_term(b[v]) if v in b else None for v in variables)
        for b in doc.get("results", {}).get("bindings", [])
    ]
    return SelectResult(variables, rows)


def _term(binding: dict[str, Any]) -> Term:
    kind, value = binding.get("type"), binding.get("value", "")
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return ox.BlankNode(_bnode_id(value))
    if kind in ("literal", "typed-literal"):
        if binding.get("xml:lang"):
            return ox.Literal(value, language=binding["xml:lang"].lower())
        datatype = binding.get("datatype") or _XSD_STRING
        if datatype == _XSD_BOOLEAN:
            value = {"1": "true", "0": "false"}.get(value, value)
        return ox.Literal(value, datatype=ox.NamedNode(datatype))
    if kind == "triple":
        inner = value if isinstance(value, dict) else {}
        return ox.Triple(_term(inner["subject"]), _term(inner["predicate"]),
                         _term(inner["object"]))
    raise StoreError(f"the SPARQL endpoint sent a term of unknown type {kind!r}")


def _bnode_id(value: str) -> str:
    """Virtuoso's "nodeID://b10003" -> "b10003" (a valid blank node label)."""
    label = value.removeprefix("nodeID://").removeprefix("_:")
    return re.sub(r"[^A-Za-z0-9_]", "_", label) or "b"


def parse_graph(body: bytes, content_type: str) -> list[ox.Triple]:
    """An N-Triples or Turtle answer -> triples, booleans written the canonical way."""
    format_ = ox.RdfFormat.N_TRIPLES if "n-triples" in content_type else ox.RdfFormat.TURTLE
    if content_type == "text/plain":
        format_ = ox.RdfFormat.N_TRIPLES
    try:
        quads = ox.parse(body, format=format_)
        return [ox.Triple(q.subject, q.predicate, _canonical(q.object)) for q in quads]
    except SyntaxError as e:
        raise StoreError(f"the SPARQL endpoint sent a graph that does not parse: {e}") from e


def _canonical(term: Any) -> Any:
    if isinstance(term, ox.Literal) and term.datatype.value == _XSD_BOOLEAN:
        value = {"1": "true", "0": "false"}.get(term.value)
        if value:
            return ox.Literal(value, datatype=term.datatype)
    return term


def _server_message(e: SPARQLWrapperException) -> str:
    """The endpoint's own message: SPARQLWrapper keeps only repr(body) in its text."""
    text = str(e)
    _, _, raw = text.partition("\n\nResponse:\n")
    try:
        body = ast.literal_eval(raw) if raw else b""
    except (ValueError, SyntaxError):
        body = raw.encode()
    message = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    # Virtuoso echoes the query after the message; the user has it already.
    message = message.split("\n\nSPARQL query:", 1)[0].strip()
    return message or text


def _query_error(message: str) -> QueryError:
    """A 400 from the endpoint; `where` is "line L" when the message says it."""
    line = _LINE.search(message)
    return QueryError(
        f"the SPARQL endpoint refused the query: {' '.join(message.split())}",
        where=f"line {line.group(1)}" if line else None,
    )


def iter_graph_sizes(store: RemoteStore) -> Iterator[tuple[str, int]]:
    """(graph, triples) for each essgraph graph on the endpoint."""
    result = store.query(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    )
    assert isinstance(result, SelectResult)
    for g, n in result.rows:
        if g is not None and n is not None:
            yield g.value, int(n.value)
