"""One store interface, backends behind it.

Callers (the CLI, the web layer, named queries) hold a `Store` and never know whether it is
the embedded pyoxigraph database of a build or, later, a remote SPARQL 1.1 endpoint: every
backend returns the same result shapes and translates its own failures into essgraph errors.
`open_store(settings)` is the only place that chooses a backend.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import BinaryIO

import pyoxigraph as ox

from ..config import Settings
from ..errors import ConfigError
from .builds import current_build, new_build_dir, prune_builds, switch_current
from .results import AskResult, GraphResult, QueryResult, SelectResult, Term

__all__ = [
    "AskResult",
    "GraphResult",
    "QueryResult",
    "SelectResult",
    "Store",
    "Term",
    "EXPORT_FORMATS",
    "current_build",
    "new_build_dir",
    "open_store",
    "prune_builds",
    "switch_current",
]

# CLI/API format names -> pyoxigraph formats. N-Quads, TriG and JSON-LD keep the named graphs;
# the others get the union of all graphs (the default graph of every query).
EXPORT_FORMATS: dict[str, ox.RdfFormat] = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdf": ox.RdfFormat.RDF_XML,
}


class Store(ABC):
    """A read-only RDF dataset answering SPARQL 1.1 queries.

    The default graph of every query is the union of the named graphs (docs/MODEL.md).
    """

    @abstractmethod
    def query(
        self,
        sparql: str,
        *,
        substitutions: dict[str, Term] | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        """Run a query; `substitutions` binds variables by name through the engine.

        Raises QueryError (does not parse, `where` = "line L, column C"), ParameterError
        (a substituted variable the query cannot take) or StoreError.
        """

    @abstractmethod
    def count_triples(self) -> int:
        """Number of statements over all named graphs (a triple in two graphs counts twice)."""

    @abstractmethod
    def dump(self, output: BinaryIO, fmt: str) -> None:
        """Serialise the whole dataset; `fmt` is a key of EXPORT_FORMATS."""

    @abstractmethod
    def close(self) -> None:
        """Release the backend; the store must not be used afterwards."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(settings: Settings) -> Store:
    """The store the settings point at: the current build, or a remote SPARQL endpoint.

    `settings.store_url` set (sparql+http://host/sparql or http(s)://host/sparql) selects
    the remote backend, with the query time limit as its HTTP timeout.
    """
    if settings.store_url:
        from .remote import RemoteStore, is_remote

        if not is_remote(settings.store_url):
            raise ConfigError(
                f"{settings.store_url!r} is not a SPARQL endpoint URL; use "
                "sparql+http://host:port/sparql or http(s)://host:port/sparql",
                where="ESSGRAPH_STORE_URL",
            )
        return RemoteStore(settings.store_url, timeout=settings.query_timeout)
    from .embedded import EmbeddedStore

    return EmbeddedStore(current_build(settings.store_dir))
