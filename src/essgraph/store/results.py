"""The result shapes every backend returns, and their plain serialisations.

Terms are pyoxigraph terms whatever the backend, so callers format them one way.
The CSV and JSON forms follow the W3C SPARQL 1.1 result formats, so any SPARQL tool reads
what the CLI (and later the web layer) writes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from .. import vocab

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


@dataclass
class SelectResult:
    variables: list[str]
    rows: list[tuple[Term | None, ...]] = field(default_factory=list)


@dataclass
class AskResult:
    value: bool


@dataclass
class GraphResult:
    triples: list[ox.Triple] = field(default_factory=list)


QueryResult = SelectResult | AskResult | GraphResult


def term_json(term: Term) -> dict[str, Any]:
    """One binding in the SPARQL 1.1 Query Results JSON format."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != vocab.XSD + "string":
            out["datatype"] = term.datatype.value
        return out
    return {"type": "triple", "value": str(term)}


def to_json(result: QueryResult) -> str:
    """SPARQL JSON results for SELECT/ASK; N-Triples lines in a JSON list for graphs."""
    if isinstance(result, SelectResult):
        bindings = [
            {v: term_json(t) for v, t in zip(result.variables, row, strict=True) if t is not None}
            for row in result.rows
        ]
        doc: Any = {"head": {"vars": result.variables}, "results": {"bindings": bindings}}
    elif isinstance(result, AskResult):
        doc = {"head": {}, "boolean": result.value}
    else:
        doc = {"triples": [str(t) + " ." for t in result.triples]}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def to_csv(result: QueryResult) -> str:
    """SPARQL CSV results: plain values, IRIs unbracketed, literals without datatype."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    if isinstance(result, SelectResult):
        writer.writerow(result.variables)
        for row in result.rows:
            writer.writerow(["" if t is None else _plain(t) for t in row])
    elif isinstance(result, AskResult):
        writer.writerow(["boolean"])
        writer.writerow(["true" if result.value else "false"])
    else:
        writer.writerow(["subject", "predicate", "object"])
        for t in result.triples:
            writer.writerow([_plain(t.subject), _plain(t.predicate), _plain(t.object)])
    return buf.getvalue()


def to_table(result: QueryResult, prefixes: Mapping[str, str] = vocab.PREFIXES) -> str:
    """A table for a terminal: IRIs shortened with the project prefixes, one row a line."""
    if isinstance(result, AskResult):
        return ("true" if result.value else "false") + "\n"
    if isinstance(result, GraphResult):
        header = ["subject", "predicate", "object"]
        rows = [[_short(t.subject, prefixes), _short(t.predicate, prefixes),
                 _short(t.object, prefixes)] for t in result.triples]
    else:
        header = list(result.variables)
        rows = [["" if t is None else _short(t, prefixes) for t in row] for row in result.rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines) + "\n"


def _plain(term: Term) -> str:
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    return str(term)


def _short(term: Term, prefixes: Mapping[str, str]) -> str:
    if isinstance(term, ox.NamedNode):
        best = max(
            ((p, ns) for p, ns in prefixes.items() if term.value.startswith(ns)),
            key=lambda item: len(item[1]),
            default=None,
        )
        return f"{best[0]}:{term.value[len(best[1]):]}" if best else f"<{term.value}>"
    if isinstance(term, ox.Literal):
        text = term.value.replace("\n", " ")
        return f"{text}@{term.language}" if term.language else text
    return _plain(term)
