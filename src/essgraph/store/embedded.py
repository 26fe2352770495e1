"""The embedded backend: a finished build opened read-only with pyoxigraph.

Read-only because a build is immutable once `current` points at it: the server and the CLI
only ever read, and a new build goes to a new directory. The instance keeps the resolved
build directory, so switching `current` later does not change what it answers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from .. import vocab
from ..errors import ParameterError, QueryError, StoreError, UnknownFormat
from . import EXPORT_FORMATS, Store
from .results import AskResult, GraphResult, QueryResult, SelectResult, Term

_SYNTAX_AT = re.compile(r"error at (\d+):(\d+):\s*")
_NOT_PROJECTED = re.compile(r"does not contains? variable \?(\w+)")
_UNION_OF_TRIPLES = "CONSTRUCT { ?s ?p ?o } WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"


class EmbeddedStore(Store):
    """A pyoxigraph database of one build, opened read-only."""

    def __init__(self, path: Path):
        self.path = Path(path).resolve()
        try:
            self._store: ox.Store | None = ox.Store.read_only(str(self.path))
        except OSError as e:
            raise StoreError(f"cannot open the store: {e}", where=str(self.path)) from e

    @property
    def _db(self) -> ox.Store:
        if self._store is None:
            raise StoreError("the store is closed", where=str(self.path))
        return self._store

    def query(
        self,
        sparql: str,
        *,
        substitutions: dict[str, Term] | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        subs = {ox.Variable(k): v for k, v in (substitutions or {}).items()}
        try:
            raw = self._db.query(
                sparql,
                base_iri=base_iri,
                use_default_graph_as_union=True,
                substitutions=subs or None,
            )
            return convert(raw)
        except SyntaxError as e:
            raise syntax_error(e) from e
        except RuntimeError as e:
            missing = _NOT_PROJECTED.search(str(e))
            if missing:
                raise ParameterError(
                    f"the query cannot take ?{missing.group(1)}: it is not in its SELECT "
                    "projection",
                    where=missing.group(1),
                ) from e
            raise StoreError(f"query failed: {e}") from e
        except OSError as e:
            raise StoreError(f"cannot read the store: {e}", where=str(self.path)) from e

    def count_triples(self) -> int:
        return len(self._db)

    def dump(self, output: BinaryIO, fmt: str) -> None:
        try:
            format_ = EXPORT_FORMATS[fmt]
        except KeyError:
            raise UnknownFormat(
                f"cannot export {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}", where=fmt
            ) from None
        prefixes = dict(vocab.PREFIXES)
        try:
            if format_.supports_datasets:
                self._db.dump(output, format_, prefixes=prefixes)
            else:
                triples = self._db.query(_UNION_OF_TRIPLES, use_default_graph_as_union=True)
                ox.serialize(triples, output, format_, prefixes=prefixes)
        except OSError as e:
            raise StoreError(f"cannot export the store: {e}", where=str(self.path)) from e

    def close(self) -> None:
        # pyoxigraph releases the database when the object is freed.
        self._store = None


def convert(raw: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples) -> QueryResult:
    """pyoxigraph results -> the shared result shapes (materialised: results are small)."""
    if isinstance(raw, ox.QueryBoolean):
        return AskResult(bool(raw))
    if isinstance(raw, ox.QueryTriples):
        return GraphResult(list(raw))
    variables = [v.value for v in raw.variables]
    width = len(variables)
    return SelectResult(variables, [tuple(sol[i] for i in range(width)) for sol in raw])


def syntax_error(e: SyntaxError) -> QueryError:
    """pyoxigraph's "error at L:C: message" -> QueryError(where="line L, column C")."""
    text = str(e)
    at = _SYNTAX_AT.search(text)
    if not at:
        return QueryError(f"the query does not parse: {text}")
    message = " ".join(text[at.end():].split()) or text
    return QueryError(
        f"the query does not parse: {message}",
        where=f"line {at.group(1)}, column {at.group(2)}",
    )
