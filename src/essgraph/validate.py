"""SHACL validation whose report is data: a list of results that say which node, which
property, which value, why, and which data file to fix.

Two engines give this report: the build's, :mod:`essgraph.shacl` (the shapes as SPARQL on
the pyoxigraph store, seconds at the bench's 1M scale), and :func:`validate` here, pySHACL on
an rdflib graph (the reference the native engine is tested against; ``essgraph validate
--engine pyshacl``).

pySHACL runs with ``inference="none"``: the data it receives was already materialised by
:mod:`essgraph.reason`, and pySHACL's own RDFS/OWL-RL inference is far too slow at our size
(see docs VERIFIED.md). ``advanced=True`` enables SHACL-AF (SPARQL-based targets and
constraints). Warnings and infos do not break conformance.

Exit codes (implemented by the CLI, as pySHACL's own): 0 the data conforms, 1 it does not
(at least one result of severity Violation), 2 an error prevented validation (unreadable
shapes or data: an :class:`~essgraph.errors.EssgraphError`).
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import rdflib
from rdflib import RDF, SH, BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from . import vocab
from .errors import ConfigError, ShapesError
from .load import parse_file

SEVERITIES = ("Violation", "Warning", "Info")
_XSD_STRING = vocab.XSD + "string"


@dataclass
class ValidationResult:
    """One SHACL result, with IRIs in full (``render`` shortens them)."""

    severity: str
    focus_node: str
    path: str | None
    value: str | None
    message: str
    source_shape: str
    constraint: str
    source_file: str | None = None
    messages: list[str] = field(default_factory=list)


@dataclass
class ValidationReport:
    """Whether the data conforms, every result, and pySHACL's report graph."""

    conforms: bool
    results: list[ValidationResult]
    graph: rdflib.Graph | None = None

    @property
    def violations(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == "Warning"]


def validate(
    data: rdflib.Graph | rdflib.Dataset,
    shapes: rdflib.Graph,
    *,
    ontology: rdflib.Graph | None = None,
    origin: Mapping[str, str] | None = None,
) -> ValidationReport:
    """Validate `data` (a Dataset is validated as the union of its graphs) against
    `shapes`; `ontology` is mixed into a copy of the data, for shapes that target
    classes through rdfs:subClassOf. `origin` maps a subject IRI to the file that
    describes it (from :func:`essgraph.load.load_paths`)."""
    try:
        conforms, report_graph, _text = pyshacl.validate(
            data,
            shacl_graph=shapes,
            ont_graph=ontology,
            inference="none",
            advanced=True,
            allow_warnings=True,
            allow_infos=True,
        )
    except Exception as e:  # pySHACL reports unusable shapes with several exception types
        raise ShapesError(f"SHACL validation could not run: {e}") from e
    results = read_results(report_graph, shapes, origin or {})
    return ValidationReport(conforms=bool(conforms), results=results, graph=report_graph)


def read_results(
    report: rdflib.Graph, shapes: rdflib.Graph, origin: Mapping[str, str]
) -> list[ValidationResult]:
    """The sh:ValidationResult nodes of a report graph as dataclasses, in a stable order
    (file, focus node, path, constraint)."""
    results = [
        _result(report, node, shapes, origin)
        for node in report.subjects(RDF.type, SH.ValidationResult)
    ]
    return sort_results(results)


def sort_results(results: Iterable[ValidationResult]) -> list[ValidationResult]:
    """Results in the report's stable order: file, focus node, path, constraint, message."""
    return sorted(
        results,
        key=lambda r: (r.source_file or "", r.focus_node, r.path or "", r.constraint, r.message),
    )


def _result(
    report: rdflib.Graph, node: Node, shapes: rdflib.Graph, origin: Mapping[str, str]
) -> ValidationResult:
    focus = report.value(node, SH.focusNode)
    path = report.value(node, SH.resultPath)
    value = report.value(node, SH.value)
    messages = _messages(report.objects(node, SH.resultMessage))
    shape = report.value(node, SH.sourceShape)
    severity = report.value(node, SH.resultSeverity)
    constraint = report.value(node, SH.sourceConstraintComponent)
    focus_str = str(focus)
    return ValidationResult(
        severity=_local_name(severity) if severity is not None else "Violation",
        focus_node=focus_str,
        path=_path_str(report, path),
        value=str(value) if value is not None else None,
        message=messages[0] if messages else "",
        source_shape=_shape_name(shapes, shape),
        constraint=_local_name(constraint) if constraint is not None else "",
        source_file=origin.get(focus_str) if isinstance(focus, URIRef) else None,
        messages=messages,
    )


def _messages(literals: Iterable[Node]) -> list[str]:
    """All messages, the English one first (then untagged, then the others)."""

    def rank(lit: Node) -> tuple[int, str]:
        lang = lit.language if isinstance(lit, Literal) else None
        return (0 if lang == "en" else 1 if lang is None else 2, str(lit))

    return [str(lit) for lit in sorted(literals, key=rank)]


def _path_str(report: rdflib.Graph, path: Node | None) -> str | None:
    """An IRI path as the IRI; a complex path (a blank node) in SPARQL property-path
    syntax, IRIs in angle brackets: ``<…#memberOf>/<…#prefLabel>``."""
    if path is None:
        return None
    if isinstance(path, URIRef):
        return str(path)
    return _complex_path(report, path)


def _complex_path(report: rdflib.Graph, path: Node) -> str:
    if isinstance(path, URIRef):
        return f"<{path}>"
    if report.value(path, RDF.first) is not None:
        return "/".join(_complex_path(report, step) for step in Collection(report, path))
    for predicate, template in _PATH_OPERATORS.items():
        inner = report.value(path, predicate)
        if inner is not None:
            if predicate == SH.alternativePath:
                alternatives = [_complex_path(report, a) for a in Collection(report, inner)]
                return template.format("|".join(alternatives))
            return template.format(_complex_path(report, inner))
    return str(path)


_PATH_OPERATORS = {
    SH.inversePath: "^{}",
    SH.alternativePath: "({})",
    SH.zeroOrMorePath: "({})*",
    SH.oneOrMorePath: "({})+",
    SH.zeroOrOnePath: "({})?",
}


def _shape_name(shapes: rdflib.Graph, shape: Node | None) -> str:
    """A named shape's IRI; for a blank property shape, its node shape's IRI and path,
    e.g. ``…#OrganisationShape[…#siren]``, since a blank node id means nothing to a reader."""
    if shape is None:
        return ""
    if isinstance(shape, BNode):
        parent = shapes.value(None, SH.property, shape)
        path = shapes.value(shape, SH.path)
        if parent is not None:
            return f"{parent}[{path}]" if isinstance(path, URIRef) else str(parent)
    return str(shape)


def _local_name(iri: Node) -> str:
    text = str(iri)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def quads_to_rdflib(
    quads: Iterable[ox.Quad], *, dataset: bool = False
) -> rdflib.Graph | rdflib.Dataset:
    """pyoxigraph quads as rdflib: one union Graph (what pySHACL should validate) or, with
    `dataset`, a Dataset keeping the named graphs.

    Built term by term with a cache rather than through a serialisation: measured on 484k
    territory-like quads, 6.7 s against 13.5 s for N-Quads through rdflib's parser.
    xsd:string literals become rdflib plain literals, as rdflib's own parsers make them."""
    cache: dict[object, Node] = {}
    was_enabled = gc.isenabled()
    gc.disable()  # millions of acyclic objects: the cyclic collector only costs time here
    try:
        if dataset:
            return _to_dataset(quads, cache)
        graph = rdflib.Graph()
        graph.addN(
            (_term(q.subject, cache), _term(q.predicate, cache), _term(q.object, cache), graph)
            for q in quads
        )
        return graph
    finally:
        if was_enabled:
            gc.enable()


def _to_dataset(quads: Iterable[ox.Quad], cache: dict[object, Node]) -> rdflib.Dataset:
    result = rdflib.Dataset()
    graphs: dict[object, rdflib.Graph] = {}
    for q in quads:
        name = q.graph_name
        if name not in graphs:
            graphs[name] = (
                result.default_graph
                if isinstance(name, ox.DefaultGraph)
                else result.graph(_term(name, cache))
            )
        graphs[name].add(
            (_term(q.subject, cache), _term(q.predicate, cache), _term(q.object, cache))
        )
    return result


def _term(term: object, cache: dict[object, Node]) -> Node:
    try:
        return cache[term]
    except KeyError:
        pass
    if isinstance(term, ox.NamedNode):
        converted: Node = URIRef(term.value)
    elif isinstance(term, ox.BlankNode):
        converted = BNode(term.value)
    elif isinstance(term, ox.Literal):
        converted = _literal(term)
    else:
        raise TypeError(f"no rdflib term for {term!r}")
    cache[term] = converted
    return converted


def _literal(term: ox.Literal) -> Literal:
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == _XSD_STRING:
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def load_shapes(shapes_dir: Path) -> rdflib.Graph:
    """Every ``*.ttl`` of `shapes_dir`, read with essgraph's safe loader (so a broken shape
    file is reported as "file:line:column")."""
    shapes_dir = Path(shapes_dir)
    if not shapes_dir.is_dir():
        raise ConfigError("the shapes folder does not exist", where=str(shapes_dir))
    quads = [q for path in sorted(shapes_dir.glob("*.ttl")) for q in parse_file(path)]
    graph = quads_to_rdflib(quads)
    for prefix, iri in vocab.PREFIXES.items():
        graph.bind(prefix, iri)
    graph.bind("sh", vocab.SH)
    return graph


def shorten(iri: str) -> str:
    """`iri` as prefix:local with the longest namespace of vocab.PREFIXES that fits."""
    best = ""
    for prefix, namespace in vocab.PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(vocab.PREFIXES.get(best, "")):
            best = prefix
    return f"{best}:{iri[len(vocab.PREFIXES[best]) :]}" if best else iri


def render(report: ValidationReport) -> str:
    """One block per result, then "N violations, M warnings"."""
    blocks = [_render_result(r) for r in report.results]
    summary = f"{len(report.violations)} violations, {len(report.warnings)} warnings"
    return "\n\n".join([*blocks, summary]) + "\n"


def _shorten_path(path: str) -> str:
    if path.startswith("<") or "/<" in path or path.startswith(("^", "(")):
        return re.sub(r"<([^<>]*)>", lambda m: shorten(m.group(1)), path)
    return shorten(path)


def _shorten_shape(shape: str) -> str:
    if shape.endswith("]") and "[" in shape:
        node_shape, path = shape[:-1].split("[", 1)
        return f"{shorten(node_shape)}[{shorten(path)}]"
    return shorten(shape)


def _render_result(result: ValidationResult) -> str:
    shape = _shorten_shape(result.source_shape)
    lines = [
        f"{result.severity}: {shorten(result.focus_node)}",
        f"  path:    {_shorten_path(result.path) if result.path else '-'}",
        f"  value:   {shorten(result.value) if result.value is not None else '-'}",
        f"  message: {result.message}",
    ]
    lines += [f"           {other}" for other in result.messages[1:]]
    lines += [
        f"  shape:   {shape} ({result.constraint})",
        f"  file:    {result.source_file or '-'}",
    ]
    return "\n".join(lines)
