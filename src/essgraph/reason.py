"""The entailments the queries need, materialised into one named graph.

Why not owlrl: it is superlinear (minutes at 100k triples, see VERIFIED.md) and the
territorial reference alone is ~500k triples. The queries only need a small OWL-RL/RDFS
subset, and in that subset the schema is tiny while the data is large, so:

1. the schema (read from the schema graphs) is closed once, in Python: the superclasses
   and superproperties of each term (rdfs:subClassOf / rdfs:subPropertyOf, transitive,
   owl:equivalentClass / owl:equivalentProperty both ways), inverses, symmetric and
   transitive properties, domains and ranges (inherited from superproperties);
2. the property triples of the properties the schema speaks of are read from the union of
   all graphs and closed by semi-naive evaluation (each round joins only the triples new
   in the last round): prp-spo1, prp-eqp1/2, prp-inv1/2, prp-symp, prp-trp;
3. rdf:type triples come last, since no rule of the subset turns a type into a property
   triple: prp-dom / prp-rng on IRI and blank subjects and objects, then cax-sco /
   cax-eqc1/2 with the closed superclasses.

Only triples not already in some graph are written, to `target_graph`, in one
transaction. Classes and properties are IRIs; axioms about blank-node class expressions
(restrictions, unions) are outside the subset and ignored.
"""

from __future__ import annotations

import gc
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pyoxigraph as ox

from . import vocab

Term = ox.NamedNode | ox.BlankNode | ox.Literal

RDF_TYPE = ox.NamedNode(vocab.RDF + "type")
_SUBCLASS = ox.NamedNode(vocab.RDFS + "subClassOf")
_SUBPROPERTY = ox.NamedNode(vocab.RDFS + "subPropertyOf")
_EQ_CLASS = ox.NamedNode(vocab.OWL + "equivalentClass")
_EQ_PROPERTY = ox.NamedNode(vocab.OWL + "equivalentProperty")
_INVERSE = ox.NamedNode(vocab.OWL + "inverseOf")
_DOMAIN = ox.NamedNode(vocab.RDFS + "domain")
_RANGE = ox.NamedNode(vocab.RDFS + "range")
_SYMMETRIC = ox.NamedNode(vocab.OWL + "SymmetricProperty")
_TRANSITIVE = ox.NamedNode(vocab.OWL + "TransitiveProperty")

RULES = ("prp-spo1", "prp-inv", "prp-symp", "prp-trp", "prp-dom", "prp-rng", "cax-sco")


@dataclass
class ReasonStats:
    """What `materialise` added: triples per rule (the first rule that derived each),
    semi-naive rounds over property triples, wall-clock seconds."""

    added: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RULES, 0))
    rounds: int = 0
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.added.values())


@dataclass
class Schema:
    """The closed schema: strict superclasses/superproperties, and per property its
    inverses, domains and ranges (domains and ranges of superproperties included)."""

    superclasses: dict[ox.NamedNode, set[ox.NamedNode]]
    superproperties: dict[ox.NamedNode, set[ox.NamedNode]]
    inverses: dict[ox.NamedNode, set[ox.NamedNode]]
    symmetric: set[ox.NamedNode]
    transitive: set[ox.NamedNode]
    domains: dict[ox.NamedNode, set[ox.NamedNode]]
    ranges: dict[ox.NamedNode, set[ox.NamedNode]]

    def properties(self) -> set[ox.NamedNode]:
        """Every property a rule reads or writes."""
        props = set(self.superproperties) | self.symmetric | self.transitive
        props |= set(self.inverses) | set(self.domains) | set(self.ranges)
        for supers in self.superproperties.values():
            props |= supers
        return props


def materialise(
    store: ox.Store,
    *,
    schema_graphs: Iterable[str] = (vocab.GRAPH_ONTOLOGY,),
    target_graph: str = vocab.GRAPH_INFERENCES,
) -> ReasonStats:
    """Add to `target_graph` every triple the subset entails from the union of all graphs,
    with the schema taken from `schema_graphs`. Idempotent: a second run adds nothing.
    The write is one transaction, so a reader never sees half of the inferences."""
    with _no_cyclic_gc():
        return _materialise(store, schema_graphs, target_graph)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """The sets of term pairs hold no reference cycles, yet building a million of them
    makes the cyclic collector run again and again (measured: a third of the time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _materialise(store: ox.Store, schema_graphs: Iterable[str], target_graph: str) -> ReasonStats:
    started = time.perf_counter()
    stats = ReasonStats()
    schema = read_schema(store, [ox.NamedNode(g) for g in schema_graphs])
    facts = read_facts(store, schema.properties())
    added = close_properties(facts, schema, stats)
    types = read_types(store)
    added_types = infer_types(facts, types, schema, stats)
    target = ox.NamedNode(target_graph)
    # A generator, not a list: at 1.5M inferences the list of quads alone was 0.5 GB.
    store.extend(_quads(added, added_types, target))
    stats.seconds = time.perf_counter() - started
    return stats


def _quads(
    added: dict[ox.NamedNode, Pairs], added_types: dict[ox.NamedNode, set[Term]],
    target: ox.NamedNode,
) -> Iterator[ox.Quad]:
    for p, pairs in added.items():
        for s, o in pairs:
            yield ox.Quad(s, p, o, target)
    for c, nodes in added_types.items():
        for s in nodes:
            yield ox.Quad(s, RDF_TYPE, c, target)


def read_schema(store: ox.Store, graphs: list[ox.NamedNode]) -> Schema:
    """Close the schema axioms of `graphs` (step 1 of the module docstring)."""

    def pairs(predicate: ox.NamedNode) -> list[tuple[ox.NamedNode, ox.NamedNode]]:
        found = []
        for graph in graphs:
            for q in store.quads_for_pattern(None, predicate, None, graph):
                if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode):
                    found.append((q.subject, q.object))
        return found

    def typed(cls: ox.NamedNode) -> set[ox.NamedNode]:
        return {
            q.subject
            for graph in graphs
            for q in store.quads_for_pattern(None, RDF_TYPE, cls, graph)
            if isinstance(q.subject, ox.NamedNode)
        }

    equivalent_classes = pairs(_EQ_CLASS)
    equivalent_properties = pairs(_EQ_PROPERTY)
    superclasses = _strict_closure(
        pairs(_SUBCLASS) + equivalent_classes + [(b, a) for a, b in equivalent_classes]
    )
    superproperties = _strict_closure(
        pairs(_SUBPROPERTY) + equivalent_properties + [(b, a) for a, b in equivalent_properties]
    )
    inverses: dict[ox.NamedNode, set[ox.NamedNode]] = defaultdict(set)
    for p, q in pairs(_INVERSE):
        inverses[p].add(q)
        inverses[q].add(p)
    return Schema(
        superclasses=superclasses,
        superproperties=superproperties,
        inverses=dict(inverses),
        symmetric=typed(_SYMMETRIC),
        transitive=typed(_TRANSITIVE),
        domains=_inherit(pairs(_DOMAIN), superproperties),
        ranges=_inherit(pairs(_RANGE), superproperties),
    )


def _strict_closure(
    edges: list[tuple[ox.NamedNode, ox.NamedNode]],
) -> dict[ox.NamedNode, set[ox.NamedNode]]:
    """Everything reachable from each node through one or more edges (cycles from
    equivalences make a node its own superclass: harmless, nothing new is written)."""
    direct: dict[ox.NamedNode, set[ox.NamedNode]] = defaultdict(set)
    for sub, sup in edges:
        direct[sub].add(sup)
    closure: dict[ox.NamedNode, set[ox.NamedNode]] = {}
    for start in direct:
        seen: set[ox.NamedNode] = set()
        todo = list(direct[start])
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(direct.get(node, ()))
        closure[start] = seen
    return closure


def _inherit(
    axioms: list[tuple[ox.NamedNode, ox.NamedNode]],
    superproperties: dict[ox.NamedNode, set[ox.NamedNode]],
) -> dict[ox.NamedNode, set[ox.NamedNode]]:
    """Domains (or ranges) of each property including those of its superproperties, as
    OWL-RL's scm-dom2 / scm-rng2 would derive."""
    own: dict[ox.NamedNode, set[ox.NamedNode]] = defaultdict(set)
    for prop, cls in axioms:
        own[prop].add(cls)
    result: dict[ox.NamedNode, set[ox.NamedNode]] = {}
    for prop in set(own) | set(superproperties):
        classes = set(own.get(prop, ()))
        for sup in superproperties.get(prop, ()):
            classes |= own.get(sup, set())
        if classes:
            result[prop] = classes
    return result


Pairs = set[tuple[Term, Term]]


def read_facts(store: ox.Store, properties: set[ox.NamedNode]) -> dict[ox.NamedNode, Pairs]:
    """(subject, object) pairs of each property, from the union of all graphs."""
    return {
        prop: {(q.subject, q.object) for q in store.quads_for_pattern(None, prop, None, None)}
        for prop in properties
    }


def read_types(store: ox.Store) -> dict[ox.NamedNode, set[Term]]:
    """The instances of each class, from the union of all graphs."""
    types: dict[ox.NamedNode, set[Term]] = defaultdict(set)
    for q in store.quads_for_pattern(None, RDF_TYPE, None, None):
        if isinstance(q.object, ox.NamedNode):
            types[q.object].add(q.subject)
    return types


def close_properties(
    facts: dict[ox.NamedNode, Pairs], schema: Schema, stats: ReasonStats
) -> dict[ox.NamedNode, Pairs]:
    """Step 2, semi-naive: each round applies the rules to the pairs new in the last round
    (joined with all pairs for prp-trp). Works a property at a time, so that the inner
    loops are set operations. Adds the new pairs to `facts` and returns them."""
    added: dict[ox.NamedNode, Pairs] = defaultdict(set)
    successors = {p: _index(facts[p]) for p in schema.transitive}
    predecessors = {p: _index((o, s) for s, o in facts[p]) for p in schema.transitive}
    delta = {p: set(pairs) for p, pairs in facts.items() if pairs}
    while delta:
        stats.rounds += 1
        candidates: dict[str, dict[ox.NamedNode, Pairs]] = defaultdict(lambda: defaultdict(set))
        for p, pairs in delta.items():
            for sup in schema.superproperties.get(p, ()):
                candidates["prp-spo1"][sup] |= pairs
            if p in schema.inverses or p in schema.symmetric:
                inverted = {(o, s) for s, o in pairs if not isinstance(o, ox.Literal)}
                for inv in schema.inverses.get(p, ()):
                    candidates["prp-inv"][inv] |= inverted
                if p in schema.symmetric:
                    candidates["prp-symp"][p] |= inverted
            if p in schema.transitive:
                candidates["prp-trp"][p] |= _chain(pairs, successors[p], predecessors[p])
        delta = {}
        for rule in ("prp-spo1", "prp-inv", "prp-symp", "prp-trp"):
            for p, pairs in candidates[rule].items():
                new = pairs - facts.setdefault(p, set())
                if not new:
                    continue
                stats.added[rule] += len(new)
                facts[p] |= new
                added[p] |= new
                delta.setdefault(p, set()).update(new)
                if p in schema.transitive:
                    _extend_index(successors[p], new)
                    _extend_index(predecessors[p], ((o, s) for s, o in new))
    return added


def _index(pairs: Iterable[tuple[Term, Term]]) -> dict[Term, set[Term]]:
    index: dict[Term, set[Term]] = defaultdict(set)
    _extend_index(index, pairs)
    return index


def _extend_index(index: dict[Term, set[Term]], pairs: Iterable[tuple[Term, Term]]) -> None:
    for a, b in pairs:
        index[a].add(b)


def _chain(
    pairs: Pairs, successors: dict[Term, set[Term]], predecessors: dict[Term, set[Term]]
) -> Pairs:
    """prp-trp for the new `pairs`: (s, o) then (o, z) gives (s, z); (w, s) then (s, o)
    gives (w, o)."""
    chained: Pairs = set()
    for s, o in pairs:
        chained.update((s, z) for z in successors.get(o, ()))
        chained.update((w, o) for w in predecessors.get(s, ()))
    return chained


def infer_types(
    facts: dict[ox.NamedNode, Pairs],
    types: dict[ox.NamedNode, set[Term]],
    schema: Schema,
    stats: ReasonStats,
) -> dict[ox.NamedNode, set[Term]]:
    """Step 3: types from domains and ranges (on the closed property pairs), then the
    superclasses of every type. Returns the new instances of each class."""
    added: dict[ox.NamedNode, set[Term]] = defaultdict(set)

    def add(cls: ox.NamedNode, nodes: set[Term], rule: str) -> None:
        new = nodes - types[cls] - added[cls]
        if new:
            added[cls] |= new
            stats.added[rule] += len(new)

    for p, classes in schema.domains.items():
        subjects = {s for s, _o in facts.get(p, ())}
        for cls in classes:
            add(cls, subjects, "prp-dom")
    for p, classes in schema.ranges.items():
        objects = {o for _s, o in facts.get(p, ()) if not isinstance(o, ox.Literal)}
        for cls in classes:
            add(cls, objects, "prp-rng")
    for cls, supers in schema.superclasses.items():
        instances = types.get(cls, set()) | added.get(cls, set())
        for sup in supers:
            add(sup, instances, "cax-sco")
    return {cls: nodes for cls, nodes in added.items() if nodes}
