"""Files -> quads: the format comes from the extension, errors say "file:line:column", and no
parser ever reaches outside the machine.

Safety, checked before any parser sees the bytes:
- RDF/XML with a DOCTYPE or an ENTITY declaration is refused (external entities, XXE,
  billion laughs); RDF needs neither.
- JSON-LD whose ``@context`` (or ``@import``) names a document by IRI is refused unless that
  IRI is in :data:`ALLOWED_CONTEXTS` (empty for now). pyoxigraph 0.5.13 would not fetch it
  anyway (it fails with "No LoadDocumentCallback has been set"), but the pre-scan turns that
  into an :class:`~essgraph.errors.UnsafeInput` that names the file and the context.
"""

from __future__ import annotations

import io
import json
import re
import xml.parsers.expat
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .errors import RdfSyntaxError, UnknownFormat, UnsafeInput

FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".trig": ox.RdfFormat.TRIG,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
}

# Remote JSON-LD contexts we ship a local copy of (IRI -> local document); none yet.
ALLOWED_CONTEXTS: Mapping[str, Path] = {}

_XML_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def format_for(path: Path) -> ox.RdfFormat:
    """The serialisation of `path`, from its extension (case-insensitive)."""
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise UnknownFormat(
            f"cannot tell the RDF format of {path.name!r} (known extensions: {known})",
            where=str(path),
        ) from None


def parse_file(
    path: Path, *, graph: str | None = None, base_iri: str | None = None
) -> list[ox.Quad]:
    """Quads of one file. Triples (and the default graph of a dataset format) go to
    ``NamedNode(graph)`` when `graph` is given, else to the default graph."""
    path = Path(path)
    fmt = format_for(path)
    return parse_bytes(path.read_bytes(), fmt, name=str(path), graph=graph, base_iri=base_iri)


def parse_bytes(
    data: bytes,
    fmt: ox.RdfFormat,
    *,
    name: str,
    graph: str | None = None,
    base_iri: str | None = None,
) -> list[ox.Quad]:
    """Quads of an in-memory document (an upload, a request body); `name` goes in `where`.

    Blank nodes are renamed so that documents merged into one store never share one by
    accident."""
    check_safe(data, fmt, name=name)
    try:
        quads = list(ox.parse(data, fmt, base_iri=base_iri, rename_blank_nodes=True))
    except SyntaxError as e:
        raise _syntax_error(e, data, fmt, name) from e
    if graph is None:
        return quads
    return _move_default_graph(quads, ox.NamedNode(graph))


def load_paths(
    paths: Iterable[Path],
    *,
    graph_for: Callable[[Path], str | None] = lambda p: None,
) -> tuple[list[ox.Quad], dict[str, str]]:
    """Quads of many files, and the origin of each subject IRI: the first file (in the
    order given) that describes it, so a SHACL result can name the file to fix."""
    quads: list[ox.Quad] = []
    origin: dict[str, str] = {}
    for path in paths:
        file_quads = parse_file(Path(path), graph=graph_for(Path(path)))
        for quad in file_quads:
            if isinstance(quad.subject, ox.NamedNode):
                origin.setdefault(quad.subject.value, str(path))
        quads.extend(file_quads)
    return quads, origin


def check_safe(data: bytes, fmt: ox.RdfFormat, *, name: str) -> None:
    """Refuse what could make a parser fetch or expand something (see module docstring)."""
    if fmt == ox.RdfFormat.RDF_XML:
        _refuse_xml_declarations(data, name)
    elif fmt in (ox.RdfFormat.JSON_LD, ox.RdfFormat.STREAMING_JSON_LD):
        _refuse_remote_contexts(data, name)


def _refuse_xml_declarations(data: bytes, name: str) -> None:
    text = data
    if data[:2] in _UTF16_BOMS:
        text = data.decode("utf-16", errors="replace").encode("utf-8")
    match = _XML_DECLARATION.search(text)
    if match:
        line = text.count(b"\n", 0, match.start()) + 1
        raise UnsafeInput(
            f"RDF/XML with a {match.group(1).decode().upper()} declaration is refused "
            "(entities could read files, reach the network or expand without bound)",
            where=f"{name}:{line}",
        )


def _refuse_remote_contexts(data: bytes, name: str) -> None:
    try:
        document = json.loads(data)
        contexts = list(_context_references(document))
    except (ValueError, UnicodeDecodeError):
        return  # not JSON: the parser reports where, and it fetches nothing
    except RecursionError:
        raise UnsafeInput("JSON-LD nested too deeply to be checked", where=name) from None
    for context in contexts:
        if context not in ALLOWED_CONTEXTS:
            raise UnsafeInput(
                f"JSON-LD remote context {context!r} is refused: only contexts shipped with "
                "essgraph may be referenced; inline the context instead",
                where=name,
            )


def _context_references(node: Any) -> Iterator[str]:
    """Every context named by IRI: a string value of ``@context`` (or inside its list) and
    every ``@import``, at any depth (scoped contexts live inside term definitions)."""
    if isinstance(node, list):
        for item in node:
            yield from _context_references(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in ("@context", "@import"):
                yield from _strings_in(value)
            yield from _context_references(value)


def _strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                yield item


def _move_default_graph(quads: list[ox.Quad], graph: ox.NamedNode) -> list[ox.Quad]:
    return [
        ox.Quad(q.subject, q.predicate, q.object, graph)
        if isinstance(q.graph_name, ox.DefaultGraph)
        else q
        for q in quads
    ]


def _syntax_error(
    error: SyntaxError, data: bytes, fmt: ox.RdfFormat, name: str
) -> RdfSyntaxError | UnsafeInput:
    message = _strip_position(str(error.args[0] if error.args else error))
    if "LoadDocumentCallback" in message:  # a remote context the pre-scan could not see
        return UnsafeInput(f"JSON-LD remote context refused: {message}", where=name)
    line, column = error.lineno, error.offset
    if line is None and fmt == ox.RdfFormat.RDF_XML:
        line, column = _locate_xml_error(data, fmt)
    return RdfSyntaxError(message, where=_where(name, line, column))


def _strip_position(message: str) -> str:
    """Drop the position pyoxigraph writes into its message: `where` carries it."""
    message = re.sub(r"\s*\(line \d+\)$", "", message)
    return re.sub(r"^Parser error (at|between) [^:]*: ", "", message)


def _where(name: str, line: int | None, column: int | None) -> str:
    if line is None:
        return name
    return f"{name}:{line}" if column is None else f"{name}:{line}:{column}"


def _locate_xml_error(data: bytes, fmt: ox.RdfFormat) -> tuple[int | None, int | None]:
    """pyoxigraph's RDF/XML errors carry no position. Expat gives line and column of an XML
    well-formedness error (DOCTYPEs were refused before, so it expands nothing); for an
    RDF-level error, parse again feeding one line per read: the error surfaces on the line
    being read, so the line is exact and the column unknown."""
    parser = xml.parsers.expat.ParserCreate()
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as e:
        return e.lineno, e.offset + 1
    reader = _LineReader(data)
    try:
        for _ in ox.parse(reader, fmt):
            pass
    except SyntaxError:
        return reader.line, None
    return None, None


class _LineReader(io.RawIOBase):
    """A byte stream that hands out at most one line per read and counts lines read."""

    def __init__(self, data: bytes):
        self._lines = data.splitlines(keepends=True)
        self._next = 0
        self._rest = b""
        self.line = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self._rest:
            if self._next >= len(self._lines):
                return 0
            self._rest = self._lines[self._next]
            self._next += 1
            self.line = self._next
        n = min(len(buffer), len(self._rest))
        buffer[:n] = self._rest[:n]
        self._rest = self._rest[n:]
        return n
