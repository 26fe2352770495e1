"""What a user's SPARQL may do: read the published graphs, nothing else.

pyoxigraph follows `SERVICE` to the network and cannot be told not to, and a SPARQL update
sent to a read-only endpoint must be refused as such (403), not as a syntax error. So every
query is parsed here before it runs:

- `query_kind` is a cheap lexical look at the query form (SELECT, ASK, CONSTRUCT, DESCRIBE)
  that the web process needs to negotiate a format; it already refuses updates.
- `check_query` is the full check, with rdflib's SPARQL parser: updates (also when sent as a
  query), `SERVICE` anywhere (nested, SILENT, variable endpoint), and the dataset the query
  names with FROM / FROM NAMED. It costs about 10 ms for a typical query, about 200 ms for
  a 5 KB one and over a second for some crafted 5 KB ones (rdflib 7.6), so the web process
  runs it itself only for queries up to a few KB (remembered by text: a repeat is free) and
  leaves longer ones to the query worker, under the time limit (web/pool.py).
- `check_dataset` keeps FROM, FROM NAMED and the protocol's default-graph-uri /
  named-graph-uri to graphs of the store. pyoxigraph never dereferences them (tested), but an
  IRI naming no graph is most likely a mistake that would silently answer nothing.

Malformed queries are reported at pyoxigraph's position ("line L, column C"): it points at
the token that fails, where rdflib points at the start of the enclosing clause.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import pyoxigraph as ox

from .errors import QueryError, QueryRejected, UpdateForbidden

if TYPE_CHECKING:
    from pyparsing import ParseException, ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

# rdflib's parser is imported on the first check_query, not with this module: the query
# workers import the module (ParsedQuery, check_dataset) and only need the parser for the
# long queries the web process leaves to them (web/pool.py), which saves each about 20 MB.

KINDS = {"SELECT": "select", "ASK": "ask", "CONSTRUCT": "construct", "DESCRIBE": "describe"}
UPDATE_KEYWORDS = frozenset(
    "INSERT DELETE LOAD CLEAR CREATE DROP COPY MOVE ADD WITH".split()
)

# A small SPARQL lexer: enough to tell keywords from IRIs, strings, comments, variables,
# prefixed names and language tags, which is all the lexical checks need.
_TOKENS = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<var>[?$]\w+)
  | (?P<word>[^\W\d][\w.-]*(?::[^\s{}()\[\]<>"',;\#]*)?|:[^\s{}()\[\]<>"',;\#]*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


@dataclass(frozen=True)
class ParsedQuery:
    """A query that may run here, and the dataset it names itself."""

    sparql: str
    kind: str  # select | ask | construct | describe
    from_graphs: tuple[str, ...] = ()
    from_named: tuple[str, ...] = ()

    @property
    def names_dataset(self) -> bool:
        """True when the query has FROM or FROM NAMED (the union default graph is off)."""
        return bool(self.from_graphs or self.from_named)

    @property
    def is_graph(self) -> bool:
        """CONSTRUCT and DESCRIBE answer a graph; SELECT and ASK answer results."""
        return self.kind in ("construct", "describe")


def query_kind(sparql: str) -> str:
    """The query form, from the first keyword after the prologue; cheap, no parser.

    Raises UpdateForbidden when the request is an update, and falls back to the full
    `check_query` (which reports the syntax error) when the form cannot be read.
    """
    for token in _keywords(_after_prologue(sparql)):
        upper = token.text.upper()
        if upper in KINDS:
            return KINDS[upper]
        if upper in UPDATE_KEYWORDS:
            raise UpdateForbidden(_UPDATE_MESSAGE)
        break
    return check_query(sparql).kind


@lru_cache(maxsize=2048)
def check_query(sparql: str, *, base_iri: str | None = None) -> ParsedQuery:
    """Parse `sparql` and refuse what may not run here; see the module docstring.

    `base_iri` resolves relative FROM IRIs, as the engine will (the endpoint's URL).
    The verdict depends on the text alone, so accepted queries are remembered (per
    process): rdflib's parse costs 10-120 ms, more than pyoxigraph takes to answer a lookup
    (bench/RESULTS.md). Refusals raise and are not cached.

    One check at a time per process: rdflib's pyparsing grammar is not thread-safe (two
    threads of a web worker parsing at once get "Expected SelectQuery" on valid queries).
    """
    with _PARSER_LOCK:
        return _check_query(sparql, base_iri)


_PARSER_LOCK = threading.Lock()


def _check_query(sparql: str, base_iri: str | None) -> ParsedQuery:
    from pyparsing import ParseException
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        tree = parseQuery(sparql)
    except ParseException as e:
        _refuse_update(sparql)
        raise _syntax_error(sparql, e) from e
    except Exception as e:  # rdflib raises a few other types on odd input
        raise QueryError(f"the query does not parse: {e}") from e

    _refuse_service(sparql, tree)
    _check_prefixes(sparql)
    prologue, query = tree[0], tree[1]
    kind = {
        "SelectQuery": "select",
        "AskQuery": "ask",
        "ConstructQuery": "construct",
        "DescribeQuery": "describe",
    }[query.name]
    from_graphs, from_named = _dataset_clauses(prologue, query, base_iri)
    return ParsedQuery(sparql, kind, from_graphs, from_named)


def check_dataset(iris: Iterable[str], graphs: Container[str], *, where: str) -> None:
    """Refuse a dataset IRI (FROM, FROM NAMED, default-graph-uri...) naming no store graph."""
    for iri in iris:
        if iri not in graphs:
            raise QueryRejected(
                f"<{iri}> is not a graph of this store; FROM and the dataset parameters "
                "only select among its named graphs (see the service description)",
                where=f"{where} <{iri}>",
            )


_UPDATE_MESSAGE = "this endpoint is read-only: SPARQL Update is not accepted"


def _refuse_update(sparql: str) -> None:
    """An update sent where a query is expected: 403, whether it is well-formed or not."""
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        parseUpdate(sparql)
    except Exception:
        first = next(_keywords(_after_prologue(sparql)), None)
        if first is None or first.text.upper() not in UPDATE_KEYWORDS:
            return
    raise UpdateForbidden(_UPDATE_MESSAGE)


def _refuse_service(sparql: str, tree: ParseResults) -> None:
    """SERVICE anywhere: in the parse tree, or as a bare keyword token in the text.

    The lexical scan is a second opinion in case rdflib and pyoxigraph ever read a query
    differently; in a well-formed query a bare SERVICE token is always the keyword.
    """
    position = next(
        (f"line {t.line}, column {t.column}" for t in _keywords(_tokens(sparql))
         if t.text.upper() == "SERVICE"),
        None,
    )
    if position or any(node.name == "ServiceGraphPattern" for node in _walk(tree)):
        raise QueryRejected(
            "SERVICE (federated query) is not allowed on this endpoint", where=position
        )


def _check_prefixes(sparql: str) -> None:
    """Undeclared prefixes, which rdflib only notices later and pyoxigraph reports badly."""
    declared: set[str] = set()
    tokens = _tokens(sparql)
    for token in tokens:
        if token.kind != "word":
            continue
        if token.text.upper() == "PREFIX":
            name = next(tokens, None)
            if name is not None:
                declared.add(name.text.split(":", 1)[0])
        elif ":" in token.text and not token.text.startswith("_:"):
            prefix = token.text.split(":", 1)[0]
            if prefix not in declared:
                raise QueryError(
                    f"the query does not parse: the prefix {prefix}: is not declared "
                    f"(PREFIX {prefix}: <...>)",
                    where=f"line {token.line}, column {token.column}",
                )


def _dataset_clauses(
    prologue: ParseResults, query: CompValue, base_iri: str | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    clauses = query.get("datasetClause") or []
    if not clauses:
        return (), ()
    from rdflib.plugins.sparql.algebra import translatePrologue

    try:
        resolved = translatePrologue(prologue, base_iri)
        default = tuple(str(resolved.absolutize(c["default"])) for c in clauses if "default" in c)
        named = tuple(str(resolved.absolutize(c["named"])) for c in clauses if "named" in c)
    except Exception as e:  # an undeclared prefix
        raise QueryError(f"the query does not parse: {e}") from e
    return default, named


def _syntax_error(sparql: str, e: ParseException) -> QueryError:
    """pyoxigraph's position when it also refuses the query, else rdflib's.

    pyoxigraph's parser is run on an empty in-memory store. If it accepts what rdflib does
    not (RDF 1.2 syntax, say), the query would be evaluated there; that is harmless for lazy
    SELECT/CONSTRUCT/DESCRIBE results (never iterated) but ASK evaluates at once, so ASK
    queries and anything mentioning SERVICE keep rdflib's position, as do texts without a
    query form keyword, where pyoxigraph reports a position far from the mistake.
    """
    first = next(_keywords(_after_prologue(sparql)), None)
    form = first.text.upper() if first else ""
    # Without a query form keyword pyoxigraph's furthest-failure position is misleading.
    usable = form in KINDS and form != "ASK" and "service" not in _unescape(sparql).lower()
    if usable:
        try:
            ox.Store().query(sparql)
        except SyntaxError as ox_error:
            from .store.embedded import syntax_error

            return syntax_error(ox_error)
        except Exception:
            pass
    message = e.msg.replace("{SelectQuery | ConstructQuery | DescribeQuery | AskQuery}",
                            "SELECT, CONSTRUCT, DESCRIBE or ASK")
    found = f", found {e.line[e.col - 1:e.col + 19]!r}" if e.line else ""
    return QueryError(
        f"the query does not parse: {message}{found}", where=f"line {e.lineno}, column {e.col}"
    )


def _walk(node: object) -> Iterator[CompValue]:
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        yield node
        for value in dict.values(node):
            yield from _walk(value)
    elif isinstance(node, (ParseResults, list, tuple)):
        for item in node:
            yield from _walk(item)


def _unescape(sparql: str) -> str:
    """SPARQL's \\u and \\U escapes apply before parsing (rdflib follows this; so do we)."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), sparql)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    line: int
    column: int


def _tokens(sparql: str) -> Iterator[_Token]:
    """Every token but spaces and comments, escapes applied, with its line and column."""
    text = _unescape(sparql)
    line, line_start = 1, 0
    for m in _TOKENS.finditer(text):
        kind = m.lastgroup or "other"
        if kind not in ("space", "comment"):
            yield _Token(kind, m.group(), line, m.start() - line_start + 1)
        newlines = m.group().count("\n")
        if newlines:
            line += newlines
            line_start = m.start() + m.group().rfind("\n") + 1


def _keywords(tokens: Iterable[_Token]) -> Iterator[_Token]:
    return (t for t in tokens if t.kind == "word")


def _after_prologue(sparql: str) -> Iterator[_Token]:
    """The tokens after the BASE and PREFIX declarations."""
    tokens = _tokens(sparql)
    for token in tokens:
        upper = token.text.upper() if token.kind == "word" else ""
        if upper == "BASE":
            next(tokens, None)
        elif upper == "PREFIX":
            next(tokens, None)
            next(tokens, None)
        else:
            yield token
            yield from tokens
            return
