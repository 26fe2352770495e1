"""SHACL on the build's pyoxigraph store: the shapes of shapes/ compiled into SPARQL, one
query per constraint for all focus nodes at once, instead of pySHACL's node-by-node walk
over an rdflib copy of the data (654 s and 5.9 GB at the bench's 1M scale).

How a shape becomes queries:

* the targets of a shape (sh:targetClass with the rdfs:subClassOf closure found in the
  data, sh:targetSubjectsOf, sh:targetObjectsOf, sh:targetNode) become one sub-select of
  the distinct focus nodes, bound to ``?this``;
* every constraint becomes a SPARQL boolean expression "this value node satisfies it";
  sh:node, sh:or and sh:qualifiedValueShape nest the expression of the shape they name
  (an EXISTS / NOT EXISTS over the path for property shapes), so nested shapes are also
  evaluated set-at-a-time inside the same query;
* the report query of a constraint returns only the violating focus nodes (and values),
  which is what makes it fast: a conforming graph returns no row at all;
* SPARQL-based constraints (sh:sparql / sh:select) run once per focus node with ``$this``
  pre-bound (pyoxigraph's ``substitutions``, the SEP-0007 semantics pySHACL's
  ``initBindings`` implement), their messages filled in as pySHACL does.

The report is the same :class:`~essgraph.validate.ValidationReport` pySHACL's gives (same
severity, focus node, path, value, messages, source shape and constraint component), which
tests/test_shacl_engine.py checks case by case. Any SHACL construct this module does not
implement is a :class:`~essgraph.errors.ShapesError` naming the construct and the shape:
an unknown constraint is never skipped silently.

Known difference from pySHACL: a shape without sh:message gets a generic message of this
module's wording (pySHACL's depends on the data graph's namespace bindings); every shape of
shapes/ carries its own messages (tests/test_shapes.py checks that).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pyoxigraph as ox
import rdflib
from rdflib import RDF, RDFS, SH, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from .errors import ShapesError
from .validate import (
    ValidationReport,
    ValidationResult,
    _path_str,
    _shape_name,
    _term,
    sort_results,
)

_XSD = "http://www.w3.org/2001/XMLSchema#"
_WORKERS = 2  # threads for independent queries: the bench machine has 2 cores
_RDF_LANGSTRING = str(RDF.langString)

# The shapes-graph predicates this engine understands. Any other sh: predicate on a shape
# is refused (ShapesError), so that a constraint is never ignored silently.
_NOT_CONSTRAINTS = {
    RDF.type, SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode,
    SH.property, SH.message, SH.severity, SH.deactivated, SH.path, SH.name, SH.description,
    SH.order, SH.group, SH.defaultValue, SH.declare, SH.prefixes,
}
_VALUE_COMPONENTS = {
    SH["class"]: "ClassConstraintComponent",
    SH.datatype: "DatatypeConstraintComponent",
    SH.nodeKind: "NodeKindConstraintComponent",
    SH.pattern: "PatternConstraintComponent",
    SH.minLength: "MinLengthConstraintComponent",
    SH.maxLength: "MaxLengthConstraintComponent",
    SH.minInclusive: "MinInclusiveConstraintComponent",
    SH.maxInclusive: "MaxInclusiveConstraintComponent",
    SH.minExclusive: "MinExclusiveConstraintComponent",
    SH.maxExclusive: "MaxExclusiveConstraintComponent",
    SH.languageIn: "LanguageInConstraintComponent",
    SH["in"]: "InConstraintComponent",
    SH.node: "NodeConstraintComponent",
    SH["or"]: "OrConstraintComponent",
    SH["and"]: "AndConstraintComponent",
    SH["not"]: "NotConstraintComponent",
}
# Constraints of a property shape about the set of values rather than each value.
_SET_COMPONENTS = {
    SH.minCount: "MinCountConstraintComponent",
    SH.maxCount: "MaxCountConstraintComponent",
    SH.uniqueLang: "UniqueLangConstraintComponent",
    SH.disjoint: "DisjointConstraintComponent",
    SH.hasValue: "HasValueConstraintComponent",
    SH.qualifiedMinCount: "QualifiedMinCountConstraintComponent",
    SH.qualifiedMaxCount: "QualifiedMaxCountConstraintComponent",
}
_PARAMETERS = {SH.flags, SH.qualifiedValueShape, SH.qualifiedValueShapesDisjoint}
_KNOWN = _NOT_CONSTRAINTS | set(_VALUE_COMPONENTS) | set(_SET_COMPONENTS) | _PARAMETERS | {
    SH.sparql
}

# Datatypes whose lexical form pySHACL (through rdflib's ill_typed) checks: a literal of
# such a datatype that does not parse fails sh:datatype. The cast is the SPARQL test.
_CHECKED_DATATYPES = {
    _XSD + "integer", _XSD + "decimal", _XSD + "boolean", _XSD + "date", _XSD + "dateTime",
    _XSD + "double", _XSD + "float", _XSD + "time",
}
_NODE_KINDS = {
    SH.IRI: "isIRI({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNode: "isBlank({v})",
    SH.BlankNodeOrIRI: "(isBlank({v}) || isIRI({v}))",
    SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
    SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))",
}


@dataclass
class _Shape:
    node: Node
    path: Node | None
    severity: str
    messages: list[Literal]
    deactivated: bool
    values: list[tuple[Node, Node]] = field(default_factory=list)  # (parameter, value)
    sets: list[tuple[Node, Node]] = field(default_factory=list)
    properties: list[Node] = field(default_factory=list)
    sparql: list[Node] = field(default_factory=list)
    has_targets: bool = False


class Engine:
    """The shapes of one shapes graph, ready to validate pyoxigraph stores."""

    def __init__(self, shapes: rdflib.Graph) -> None:
        self.g = shapes
        self._shapes: dict[Node, _Shape] = {}
        self._counter = itertools.count()
        self._subclass_of: dict[str, set[str]] | None = None
        self._expanding: set[Node] = set()
        for node in self._shape_nodes():
            self._shape(node)

    # --- reading the shapes graph ---------------------------------------------------------

    def _shape_nodes(self) -> set[Node]:
        g = self.g
        nodes: set[Node] = set()
        for kind in (SH.NodeShape, SH.PropertyShape):
            nodes.update(g.subjects(RDF.type, kind))
        for target in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode,
                       SH.target):
            nodes.update(g.subjects(target, None))
        return nodes

    def _shape(self, node: Node) -> _Shape:
        known = self._shapes.get(node)
        if known is not None:
            return known
        g = self.g
        name = _shape_name(g, node) or str(node)
        for predicate in set(g.predicates(node, None)):
            if str(predicate).startswith(str(SH)) and predicate not in _KNOWN:
                raise ShapesError(
                    f"the native SHACL engine does not implement {_local(predicate)} "
                    f"(on shape {name}); use --engine pyshacl"
                )
        if g.value(node, SH.target) is not None:
            raise ShapesError(f"the native SHACL engine does not implement sh:target (on shape "
                              f"{name}); use --engine pyshacl")
        severity = g.value(node, SH.severity)
        deactivated = g.value(node, SH.deactivated)
        shape = _Shape(
            node=node,
            path=g.value(node, SH.path),
            severity=_local(severity) if severity is not None else "Violation",
            messages=list(g.objects(node, SH.message)),
            deactivated=bool(deactivated.toPython()) if isinstance(deactivated, Literal) else False,
        )
        self._shapes[node] = shape
        for predicate, value in g.predicate_objects(node):
            if predicate in _VALUE_COMPONENTS:
                shape.values.append((predicate, value))
            elif predicate in _SET_COMPONENTS:
                if shape.path is None:
                    raise ShapesError(f"{_local(predicate)} needs sh:path (on shape {name})")
                shape.sets.append((predicate, value))
            elif predicate == SH.property:
                shape.properties.append(value)
            elif predicate == SH.sparql:
                shape.sparql.append(value)
            elif predicate in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf,
                               SH.targetNode):
                shape.has_targets = True
        if shape.path is not None and shape.properties:
            raise ShapesError(f"the native SHACL engine does not implement sh:property on a "
                              f"property shape (on shape {name}); use --engine pyshacl")
        for predicate, value in shape.values:
            if predicate in (SH.node, SH["not"]):
                self._shape(value)
            elif predicate in (SH["or"], SH["and"]):
                for member in Collection(g, value):
                    self._shape(member)
        for predicate, _value in shape.sets:
            if predicate in (SH.qualifiedMinCount, SH.qualifiedMaxCount):
                inner = g.value(node, SH.qualifiedValueShape)
                if inner is None:
                    raise ShapesError(f"{_local(predicate)} without sh:qualifiedValueShape "
                                      f"(on shape {name})")
                if g.value(node, SH.qualifiedValueShapesDisjoint) in (Literal(True),):
                    raise ShapesError(
                        "the native SHACL engine does not implement "
                        f"sh:qualifiedValueShapesDisjoint (on shape {name}); use --engine pyshacl"
                    )
                self._shape(inner)
        for prop in shape.properties:
            if self.g.value(prop, SH.path) is None:
                raise ShapesError(f"a property shape without sh:path (under shape {name})")
            self._shape(prop)
        return shape

    # --- SPARQL building blocks ------------------------------------------------------------

    def _var(self) -> str:
        return f"?v{next(self._counter)}"

    def _path(self, path: Node) -> str:
        g = self.g
        if isinstance(path, URIRef):
            return f"<{path}>"
        if g.value(path, RDF.first) is not None:
            return "(" + "/".join(self._path(p) for p in Collection(g, path)) + ")"
        inner = g.value(path, SH.inversePath)
        if inner is not None:
            return f"^({self._path(inner)})"
        inner = g.value(path, SH.alternativePath)
        if inner is not None:
            return "(" + "|".join(self._path(p) for p in Collection(g, inner)) + ")"
        for predicate, suffix in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"),
                                  (SH.zeroOrOnePath, "?")):
            inner = g.value(path, predicate)
            if inner is not None:
                return f"({self._path(inner)}){suffix}"
        raise ShapesError(f"unknown kind of sh:path {path}")

    def _subclasses(self, store: ox.Store, cls: Node) -> list[str]:
        """`cls` and its subclasses through rdfs:subClassOf* in the data, as SPARQL IRIs."""
        if self._subclass_of is None:
            below: dict[str, set[str]] = {}
            sub_class_of = ox.NamedNode(str(RDFS.subClassOf))
            for q in store.quads_for_pattern(None, sub_class_of, None, None):
                if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode):
                    below.setdefault(q.object.value, set()).add(q.subject.value)
            self._subclass_of = below
        found, todo = {str(cls)}, [str(cls)]
        while todo:
            for sub in self._subclass_of.get(todo.pop(), ()):
                if sub not in found:
                    found.add(sub)
                    todo.append(sub)
        return sorted(f"<{c}>" for c in found)

    def _is_instance(self, store: ox.Store, v: str, cls: Node) -> str:
        classes = ", ".join(self._subclasses(store, cls))
        t = self._var()
        return f"EXISTS {{ {v} <{RDF.type}> {t} . FILTER({t} IN ({classes})) }}"

    def _value_ok(self, store: ox.Store, shape: _Shape, parameter: Node, arg: Node,
                  v: str) -> str:
        """The SPARQL expression "value node `v` satisfies this constraint"."""
        g = self.g
        if parameter == SH["class"]:
            return self._is_instance(store, v, arg)
        if parameter == SH.datatype:
            dt = str(arg)
            if dt == _RDF_LANGSTRING:
                return f"(isLiteral({v}) && LANG({v}) != \"\")"
            test = f"(isLiteral({v}) && DATATYPE({v}) = <{dt}>)"
            if dt in _CHECKED_DATATYPES:
                test = f"({test} && isLiteral(<{dt}>(STR({v}))))"
            return test
        if parameter == SH.nodeKind:
            if arg not in _NODE_KINDS:
                raise ShapesError(f"unknown sh:nodeKind {arg} (on shape {self._name(shape)})")
            return _NODE_KINDS[arg].format(v=v)
        if parameter == SH.pattern:
            flags = g.value(shape.node, SH.flags)
            flag_arg = f", {_string(str(flags))}" if flags is not None else ""
            return f"(!isBlank({v}) && REGEX(STR({v}), {_string(str(arg))}{flag_arg}))"
        if parameter == SH.minLength:
            return f"(!isBlank({v}) && STRLEN(STR({v})) >= {int(arg)})"
        if parameter == SH.maxLength:
            return f"(!isBlank({v}) && STRLEN(STR({v})) <= {int(arg)})"
        comparisons = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">",
                       SH.maxExclusive: "<"}
        if parameter in comparisons:
            return f"({v} {comparisons[parameter]} {_sparql_rdflib(arg)})"
        if parameter == SH.languageIn:
            tests = " || ".join(
                f"langMatches(LANG({v}), {_string(str(lang))})" for lang in Collection(g, arg)
            )
            return f"(isLiteral({v}) && ({tests or 'false'}))"
        if parameter == SH["in"]:
            members = ", ".join(_sparql_rdflib(m) for m in Collection(g, arg))
            return f"({v} IN ({members}))" if members else "false"
        if parameter == SH.node:
            return self._conforms(store, self._shapes[arg], v)
        if parameter == SH["not"]:
            return f"!({self._conforms(store, self._shapes[arg], v)})"
        if parameter in (SH["or"], SH["and"]):
            parts = [self._conforms(store, self._shapes[m], v) for m in Collection(g, arg)]
            joiner = " || " if parameter == SH["or"] else " && "
            empty = "false" if parameter == SH["or"] else "true"
            return "(" + (joiner.join(parts) or empty) + ")"
        raise ShapesError(f"the native SHACL engine does not implement {_local(parameter)} "
                          f"(on shape {self._name(shape)})")

    def _set_ok(self, store: ox.Store, shape: _Shape, parameter: Node, arg: Node,
                this: str) -> str:
        """The expression "focus node `this` satisfies this constraint on its values"."""
        assert shape.path is not None
        path = self._path(shape.path)
        if parameter == SH.minCount:
            return self._at_least(int(arg), this, path, None)
        if parameter == SH.maxCount:
            return f"!({self._at_least(int(arg) + 1, this, path, None)})"
        if parameter == SH.hasValue:
            return f"EXISTS {{ {this} {path} {_sparql_rdflib(arg)} }}"
        if parameter == SH.disjoint:
            v = self._var()
            return f"NOT EXISTS {{ {this} {path} {v} . {this} <{arg}> {v} }}"
        if parameter == SH.uniqueLang:
            if not (isinstance(arg, Literal) and arg.toPython() is True):
                return "true"
            a, b = self._var(), self._var()
            return (f"NOT EXISTS {{ {this} {path} {a} . {this} {path} {b} . "
                    f"FILTER(!sameTerm({a}, {b}) && LANG({a}) != \"\" "
                    f"&& LCASE(LANG({a})) = LCASE(LANG({b}))) }}")
        if parameter in (SH.qualifiedMinCount, SH.qualifiedMaxCount):
            inner = self._shapes[self.g.value(shape.node, SH.qualifiedValueShape)]
            at_least = self._at_least(
                int(arg) + (1 if parameter == SH.qualifiedMaxCount else 0), this, path, inner,
                store,
            )
            return at_least if parameter == SH.qualifiedMinCount else f"!({at_least})"
        raise ShapesError(f"the native SHACL engine does not implement {_local(parameter)} "
                          f"(on shape {self._name(shape)})")

    def _at_least(self, n: int, this: str, path: str, qualified: _Shape | None,
                  store: ox.Store | None = None) -> str:
        """`this` has at least `n` distinct values along `path` (conforming to `qualified`)."""
        if n <= 0:
            return "true"
        values = [self._var() for _ in range(n)]
        patterns = " . ".join(f"{this} {path} {v}" for v in values)
        tests = [f"!sameTerm({a}, {b})" for a, b in itertools.combinations(values, 2)]
        if qualified is not None:
            assert store is not None
            tests += [self._conforms(store, qualified, v) for v in values]
        condition = f" FILTER({' && '.join(tests)})" if tests else ""
        return f"EXISTS {{ {patterns} .{condition} }}"

    def _conforms(self, store: ox.Store, shape: _Shape, v: str) -> str:
        """The expression "node `v` conforms to `shape`" (for sh:node, sh:or…)."""
        if shape.deactivated:
            return "true"
        if shape.sparql:
            raise ShapesError(
                "the native SHACL engine does not implement sh:sparql in a nested shape "
                f"(shape {self._name(shape)}); use --engine pyshacl"
            )
        if shape.node in self._expanding:
            raise ShapesError(
                f"the native SHACL engine does not implement recursive shapes ({self._name(shape)} "
                "refers to itself through sh:node, sh:or or sh:qualifiedValueShape); "
                "use --engine pyshacl"
            )
        self._expanding.add(shape.node)
        try:
            return self._conforms_expression(store, shape, v)
        finally:
            self._expanding.discard(shape.node)

    def _conforms_expression(self, store: ox.Store, shape: _Shape, v: str) -> str:
        """All constraints of `shape` but its SPARQL ones, on node `v`."""
        if shape.path is None:
            parts = [_safe(self._value_ok(store, shape, p, a, v)) for p, a in shape.values]
            parts += [self._conforms(store, self._shapes[p], v) for p in shape.properties]
        else:
            path = self._path(shape.path)
            parts = [_safe(self._set_ok(store, shape, p, a, v)) for p, a in shape.sets
                     if p != SH.qualifiedValueShapesDisjoint]
            for p, a in shape.values:
                w = self._var()
                ok = _safe(self._value_ok(store, shape, p, a, w))
                parts.append(f"NOT EXISTS {{ {v} {path} {w} . FILTER(!{ok}) }}")
        return "(" + (" && ".join(parts) or "true") + ")"

    def _name(self, shape: _Shape) -> str:
        return _shape_name(self.g, shape.node) or str(shape.node)

    def _targets(self, store: ox.Store, shape: _Shape) -> str:
        """A sub-select of the distinct focus nodes of `shape`, as ?this."""
        g, node = self.g, shape.node
        branches = []
        classes = sorted({c for cls in g.objects(node, SH.targetClass)
                          for c in self._subclasses(store, cls)})
        if classes:  # VALUES, not FILTER(IN): the type index is then read once per class
            t = self._var()
            branches.append(f"{{ VALUES {t} {{ {' '.join(classes)} }} ?this <{RDF.type}> {t} }}")
        for p in g.objects(node, SH.targetSubjectsOf):
            branches.append(f"{{ ?this <{p}> {self._var()} }}")
        for p in g.objects(node, SH.targetObjectsOf):
            branches.append(f"{{ {self._var()} <{p}> ?this }}")
        nodes = [_sparql_rdflib(n) for n in g.objects(node, SH.targetNode)]
        if nodes:
            branches.append(f"{{ VALUES ?this {{ {' '.join(nodes)} }} }}")
        return f"{{ SELECT DISTINCT ?this WHERE {{ {' UNION '.join(branches)} }} }}"

    # --- validation --------------------------------------------------------------------------

    def validate(self, store: ox.Store, origin: Mapping[str, str] | None = None
                 ) -> ValidationReport:
        """Validate the union of the store's graphs.

        Each shape is first screened with one query, "the focus nodes that do not conform"
        (all its constraints in one expression); only those nodes then go through one query
        per constraint, for the report's details. A conforming graph costs one query per
        shape (plus its SPARQL constraints)."""
        self._subclass_of = None
        origin = origin or {}
        jobs: list[tuple[_Shape, str, str | None]] = []
        for shape in self._shapes.values():
            if not shape.has_targets or shape.deactivated:
                continue
            targets = self._targets(store, shape)
            screen = None
            if shape.values or shape.properties:
                ok = self._conforms_expression(store, shape, "?this")  # sparql: below
                screen = f"SELECT ?this WHERE {{ {targets} FILTER(!{ok}) }}"
            jobs.append((shape, targets, screen))
        results: list[ValidationResult] = []
        # pyoxigraph evaluates a query without holding the GIL: the independent screening
        # queries and SPARQL constraints run on _WORKERS threads.
        with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
            sparql = [pool.submit(self._report_sparql, store, shape, constraint, targets, origin)
                      for shape, targets, _ in jobs for constraint in shape.sparql]
            screened = pool.map(
                lambda job: self._query(store, job[2]) if job[2] is not None else [], jobs)
            for (shape, targets, _), rows in zip(jobs, screened, strict=True):
                failing = [row["this"] for row in rows]
                if failing:
                    results.extend(self._report(store, shape, _restrict(targets, failing), origin))
            for future in sparql:
                results.extend(future.result())
        results = sort_results(results)
        conforms = not any(r.severity == "Violation" for r in results)
        return ValidationReport(conforms=conforms, results=results, graph=None)

    def _query(self, store: ox.Store, query: str) -> Iterable[ox.QuerySolution]:
        try:
            return list(store.query(query, use_default_graph_as_union=True))
        except SyntaxError as e:  # a bug of this module or an unusable shape parameter
            raise ShapesError(f"SHACL query could not run: {e}\n{query}") from e

    def _report(self, store: ox.Store, shape: _Shape, targets: str,
                origin: Mapping[str, str]) -> list[ValidationResult]:
        """The results of `shape` on the focus nodes `targets` (a group pattern binding
        ?this), with pySHACL's sh:detail results under each sh:node result."""
        out: list[ValidationResult] = []
        for parameter, arg in shape.values:
            ok = _safe(self._value_ok(store, shape, parameter, arg, "?this"))
            failing = f"{{ SELECT DISTINCT ?this WHERE {{ {targets} FILTER(!{ok}) }} }}"
            found = [
                self._result(shape, _VALUE_COMPONENTS[parameter], row["this"], row["this"],
                             origin)
                for row in self._query(store, f"SELECT ?this WHERE {failing}")
            ]
            out += found
            if parameter == SH.node and found:
                out += self._details(store, self._shapes[arg], failing, found, origin)
        for prop_node in shape.properties:
            prop = self._shapes[prop_node]
            if not prop.deactivated:
                out.extend(self._report_property(store, prop, targets, origin))
        return out

    def _report_property(self, store: ox.Store, shape: _Shape, targets: str,
                         origin: Mapping[str, str]) -> list[ValidationResult]:
        assert shape.path is not None
        path = self._path(shape.path)
        out: list[ValidationResult] = []
        for parameter, arg in shape.values:
            ok = _safe(self._value_ok(store, shape, parameter, arg, "?value"))
            query = (f"SELECT DISTINCT ?this ?value WHERE {{ {targets} ?this {path} ?value . "
                     f"FILTER(!{ok}) }}")
            found = [
                self._result(shape, _VALUE_COMPONENTS[parameter], row["this"], row["value"],
                             origin)
                for row in self._query(store, query)
            ]
            out += found
            if parameter == SH.node and found:
                f = self._var()
                inner_ok = _safe(self._value_ok(store, shape, parameter, arg, "?this"))
                failing = (f"{{ SELECT DISTINCT ?this WHERE {{ {{ SELECT (?this AS {f}) "
                           f"WHERE {{ {targets} }} }} {f} {path} ?this . FILTER(!{inner_ok}) }} }}")
                out += self._details(store, self._shapes[arg], failing, found, origin)
        for parameter, arg in shape.sets:
            component = _SET_COMPONENTS[parameter]
            if parameter == SH.disjoint:
                query = (f"SELECT DISTINCT ?this ?value WHERE {{ {targets} "
                         f"?this {path} ?value . ?this <{arg}> ?value }}")
                for row in self._query(store, query):
                    out.append(self._result(shape, component, row["this"], row["value"], origin))
                continue
            if parameter == SH.uniqueLang:
                if not (isinstance(arg, Literal) and arg.toPython() is True):
                    continue
                # one result per language used twice, without a value (as pySHACL)
                query = (f"SELECT DISTINCT ?this ?lang WHERE {{ {targets} ?this {path} ?a . "
                         f"?this {path} ?b . FILTER(!sameTerm(?a, ?b) && LANG(?a) != \"\" "
                         f"&& LCASE(LANG(?a)) = LCASE(LANG(?b))) BIND(LCASE(LANG(?a)) AS ?lang) }}")
                for row in self._query(store, query):
                    out.append(self._result(shape, component, row["this"], None, origin))
                continue
            ok = _safe(self._set_ok(store, shape, parameter, arg, "?this"))
            query = f"SELECT ?this WHERE {{ {targets} FILTER(!{ok}) }}"
            for row in self._query(store, query):
                out.append(self._result(shape, component, row["this"], None, origin))
        return out

    def _details(self, store: ox.Store, node_shape: _Shape, failing: str,
                 found: list[ValidationResult], origin: Mapping[str, str]
                 ) -> list[ValidationResult]:
        """pySHACL's sh:detail of sh:node results: the results of the node shape on each
        failing value, repeated under every result that names that value."""
        per_value: dict[str, list[ValidationResult]] = {}
        for detail in self._report(store, node_shape, failing, origin):
            per_value.setdefault(detail.focus_node, []).append(detail)
        return [d for result in found for d in per_value.get(result.value or "", [])]

    def _report_sparql(self, store: ox.Store, shape: _Shape, constraint: Node, targets: str,
                       origin: Mapping[str, str]) -> list[ValidationResult]:
        g = self.g
        if g.value(constraint, SH.deactivated) == Literal(True):
            return []
        select = g.value(constraint, SH.select)
        if select is None:
            raise ShapesError(f"the native SHACL engine only implements sh:select SPARQL "
                              f"constraints (on shape {self._name(shape)}); use --engine pyshacl")
        text = str(select)
        if "$PATH" in text:
            raise ShapesError(f"the native SHACL engine does not implement $PATH (on shape "
                              f"{self._name(shape)}); use --engine pyshacl")
        prefixes = self._prefixes(constraint)
        messages = list(g.objects(constraint, SH.message))
        focus_rows = self._query(store, f"SELECT ?this WHERE {{ {targets} }}")
        out: list[ValidationResult] = []
        for focus_row in focus_rows:
            focus = focus_row["this"]
            try:
                rows = _pre_bound(store, text, prefixes, focus)
            except SyntaxError as e:
                raise ShapesError(f"the SPARQL constraint of {self._name(shape)} does not "
                                  f"parse: {e}") from e
            variables = [v.value for v in rows.variables]
            seen: set[tuple[object, ...]] = set()
            for row in rows:
                bound = {name: row[name] for name in variables if row[name] is not None}
                key = tuple(sorted(bound.items(), key=lambda kv: kv[0]))
                if key in seen:
                    continue
                seen.add(key)
                if "failure" in bound:
                    raise ShapesError(f"the SPARQL constraint of {self._name(shape)} reported "
                                      "a failure")
                this = bound.pop("this", None) or focus
                path = bound.pop("path", None)
                value = bound.pop("value", None)
                if value is None and shape.path is None:
                    value = focus
                fill = dict(bound)
                fill.update(this=this)
                if path is not None:
                    fill["path"] = path
                if value is not None:
                    fill["value"] = value
                texts = [_fill(str(m), fill) for m in messages]
                texts += [_fill(str(m), fill) for m in shape.messages if m not in messages]
                out.append(self._result(
                    shape, "SPARQLConstraintComponent", this, value, origin,
                    path=str(path.value) if isinstance(path, ox.NamedNode) else None,
                    messages=sorted(dict.fromkeys(texts)),
                ))
        return out

    def _prefixes(self, constraint: Node) -> dict[str, str]:
        g = self.g
        out: dict[str, str] = {}
        for ontology in g.objects(constraint, SH.prefixes):
            for declaration in g.objects(ontology, SH.declare):
                prefix = g.value(declaration, SH.prefix)
                namespace = g.value(declaration, SH.namespace)
                if prefix is None or namespace is None:
                    raise ShapesError(f"a sh:declare of {ontology} lacks sh:prefix or "
                                      "sh:namespace")
                out[str(prefix)] = str(namespace)
        return out

    def _result(self, shape: _Shape, component: str, focus: object, value: object | None,
                origin: Mapping[str, str], *, path: str | None = None,
                messages: list[str] | None = None) -> ValidationResult:
        focus_str = _text(focus)
        if messages is None:
            messages = _ranked(shape.messages) or [self._generic(shape, component, focus_str)]
        if path is None and shape.path is not None:
            path = _path_str(self.g, shape.path)
        return ValidationResult(
            severity=shape.severity,
            focus_node=focus_str,
            path=path,
            value=_text(value) if value is not None else None,
            message=messages[0] if messages else "",
            source_shape=_shape_name(self.g, shape.node),
            constraint=component,
            source_file=origin.get(focus_str) if isinstance(focus, ox.NamedNode) else None,
            messages=messages,
        )

    def _generic(self, shape: _Shape, component: str, focus: str) -> str:
        where = f"{focus}->{_path_str(self.g, shape.path)}" if shape.path is not None else focus
        return f"{component.removesuffix('ConstraintComponent')} constraint not met on {where}"


def validate_store(store: ox.Store, shapes: rdflib.Graph,
                   origin: Mapping[str, str] | None = None) -> ValidationReport:
    """Validate the union of the graphs of `store` against `shapes` (see the module)."""
    return Engine(shapes).validate(store, origin)


# --- helpers -------------------------------------------------------------------------------


_THIS = re.compile(r"[$?]this\b")
_WHERE = re.compile(r"\bWHERE\b|\{", re.IGNORECASE)


def _pre_bound(store: ox.Store, text: str, prefixes: dict[str, str], focus: object
               ) -> ox.QuerySolutions:
    """Run a SPARQL constraint with $this pre-bound to `focus`.

    An IRI is written into the query text ("(<iri> AS ?this)" in the projection, "<iri>"
    elsewhere), as pySHACL's pre-binding means: the optimiser then starts from the
    constant (0.2 s instead of 10 s per source document for essh:NoContactDetails at the
    bench's 100k scale, whose UNION hides $this from pyoxigraph's `substitutions`). Other
    terms go through `substitutions` (SEP-0007, the same semantics)."""
    if isinstance(focus, ox.NamedNode) and ">" not in focus.value:
        iri = f"<{focus.value}>"
        split = _WHERE.search(text)
        if split is not None:
            head, body = text[: split.start()], text[split.start():]
            head = _THIS.sub(f"({iri} AS ?this)", head)
            return store.query(head + _THIS.sub(iri, body), prefixes=prefixes,
                               use_default_graph_as_union=True)
    return store.query(text, prefixes=prefixes, use_default_graph_as_union=True,
                       substitutions={ox.Variable("this"): focus})


def _restrict(targets: str, nodes: list[object]) -> str:
    """The focus nodes `nodes` as a group pattern binding ?this (VALUES when they are all
    IRIs, else `targets` itself: a blank node cannot be written in a query)."""
    if all(isinstance(n, ox.NamedNode) and ">" not in n.value for n in nodes):
        listed = " ".join(sorted({f"<{n.value}>" for n in nodes}))  # type: ignore[attr-defined]
        return f"{{ VALUES ?this {{ {listed} }} }}"
    return targets


def _safe(expression: str) -> str:
    """An expression that is false rather than an error (an error would hide a violation
    behind FILTER(!…))."""
    return f"COALESCE({expression}, false)"


def _string(text: str) -> str:
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\r", "\\r"))
    return f'"{escaped}"'


def _sparql_rdflib(term: Node) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        if term.language:
            return f"{_string(str(term))}@{term.language}"
        datatype = term.datatype or URIRef(_XSD + "string")
        return f"{_string(str(term))}^^<{datatype}>"
    raise ShapesError(f"a blank node cannot be a SHACL parameter value here: {term}")


def _sparql_term(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<{term.value}>"
    return str(term)


def _text(term: object) -> str:
    """The string pySHACL's report gives for a term (rdflib's str: the IRI, a blank node's
    id or a literal's normalised lexical form)."""
    return str(_term(term, {}))


def _fill(message: str, values: Mapping[str, object]) -> str:
    """pySHACL's substitution of {?var} and {$var} in a SPARQL constraint's message."""
    for name, value in values.items():
        text = _text(value)
        message = message.replace("{?" + name + "}", text).replace("{$" + name + "}", text)
    return message


def _ranked(literals: Iterable[Node]) -> list[str]:
    def rank(lit: Node) -> tuple[int, str]:
        lang = lit.language if isinstance(lit, Literal) else None
        return (0 if lang == "en" else 1 if lang is None else 2, str(lit))

    return [str(lit) for lit in sorted(literals, key=rank)]


def _local(iri: Node) -> str:
    text = str(iri)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


