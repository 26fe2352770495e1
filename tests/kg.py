"""The curated knowledge graph, loaded once per test session for fact tests.

Fact tests ask the graph what the documents say. They run on the same stages as the build
(load, then reason when available) but in memory, so they need no built store.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from essgraph import vocab

ROOT = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def knowledge_graph() -> ox.Store:
    store = ox.Store()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        store.load(path=str(path), format=ox.RdfFormat.TURTLE,
                   to_graph=ox.NamedNode(vocab.GRAPH_ONTOLOGY))
    for path in sorted((ROOT / "data").glob("*.trig")):
        store.load(path=str(path), format=ox.RdfFormat.TRIG)
    try:
        from essgraph.reason import materialise
    except ImportError:  # the reasoning stage is not there yet
        return store
    materialise(store)
    return store


def select(sparql: str, **bindings: ox.NamedNode | ox.Literal) -> list[dict[str, str]]:
    """Rows of a SELECT on the union of all graphs, values as plain strings."""
    result = knowledge_graph().query(
        vocab.sparql_prologue() + sparql,
        use_default_graph_as_union=True,
        substitutions={ox.Variable(k): v for k, v in bindings.items()} or None,
    )
    names = [v.value for v in result.variables]
    return [
        {n: (row[n].value if row[n] is not None else None) for n in names} for row in result
    ]


def ask(sparql: str) -> bool:
    return bool(knowledge_graph().query(vocab.sparql_prologue() + sparql,
                                        use_default_graph_as_union=True))


def values(sparql: str) -> set[str]:
    """The set of values of the single projected variable."""
    return {next(iter(r.values())) for r in select(sparql)}


def normalise(text: str) -> str:
    """Whitespace collapsed, as quotes are compared with the seed documents."""
    return " ".join(text.split())


def seed_path(name: str) -> Path:
    """A seed document in ../shared/seeds; CI always has it, so there its absence fails."""
    path = ROOT.parent / "shared" / "seeds" / name
    if path.exists():
        return path
    import os

    import pytest

    if os.environ.get("CI") == "true":
        pytest.fail(f"seed document {path} is missing")
    pytest.skip("seed document not available")


def iri(path: str) -> str:
    """An essid: prefixed name for a path with slashes, escaped for SPARQL."""
    return "essid:" + path.replace("/", "\\/")
