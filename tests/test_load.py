"""Loading files: the format follows the extension, a broken file is reported at its line,
and no input can make a parser reach the network."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from essgraph import load
from essgraph.errors import RdfSyntaxError, UnknownFormat, UnsafeInput
from essgraph.load import FORMATS, load_paths, parse_bytes, parse_file

DATA = Path(__file__).parent / "data" / "load"
EX = "http://example.org/"


def test_every_extension_maps_to_a_format() -> None:
    assert FORMATS[".ttl"] == ox.RdfFormat.TURTLE
    assert FORMATS[".trig"] == ox.RdfFormat.TRIG
    assert FORMATS[".nt"] == ox.RdfFormat.N_TRIPLES
    assert FORMATS[".nq"] == ox.RdfFormat.N_QUADS
    assert {FORMATS[e] for e in (".rdf", ".owl", ".xml")} == {ox.RdfFormat.RDF_XML}
    assert {FORMATS[e] for e in (".jsonld", ".json")} == {ox.RdfFormat.JSON_LD}


def test_triples_go_to_the_graph_asked_for() -> None:
    quads = parse_file(DATA / "good.ttl", graph=EX + "g1")
    assert len(quads) == 2
    assert {q.graph_name for q in quads} == {ox.NamedNode(EX + "g1")}


def test_triples_go_to_the_default_graph_without_a_graph() -> None:
    quads = parse_file(DATA / "good.ttl")
    assert {q.graph_name for q in quads} == {ox.DefaultGraph()}


def test_named_graphs_of_a_dataset_are_kept() -> None:
    quads = parse_file(DATA / "good.trig", graph=EX + "default")
    graphs = {q.subject.value: q.graph_name for q in quads}
    assert graphs == {EX + "c": ox.NamedNode(EX + "default"), EX + "a": ox.NamedNode(EX + "g")}


@pytest.mark.parametrize("name", ["good.jsonld", "good.rdf"])
def test_other_formats_parse(name: str) -> None:
    (quad,) = parse_file(DATA / name)
    assert (quad.subject, quad.predicate, quad.object) == (
        ox.NamedNode(EX + "a"),
        ox.NamedNode(EX + "knows"),
        ox.NamedNode(EX + "b"),
    )


def test_unknown_extension_is_refused() -> None:
    with pytest.raises(UnknownFormat) as info:
        parse_file(DATA / "notes.txt")
    assert info.value.code == "UNKNOWN_FORMAT"
    assert info.value.where == str(DATA / "notes.txt")


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("broken.ttl", "4:15"),
        ("broken.trig", "4:22"),
        ("broken.nt", "3:51"),
        ("broken.nq", "2:97"),
        ("broken.rdf", "6:5"),  # XML not well-formed: expat finds line and column
        ("broken-iri.owl", "8"),  # RDF-level error: the line only
        ("broken.jsonld", "5:3"),
    ],
)
def test_syntax_error_names_file_line_and_column(name: str, where: str) -> None:
    with pytest.raises(RdfSyntaxError) as info:
        parse_file(DATA / name)
    assert info.value.code == "RDF_SYNTAX"
    assert info.value.where == f"{DATA / name}:{where}"
    assert "Parser error" not in info.value.message


def test_xml_entities_are_refused_before_parsing() -> None:
    with pytest.raises(UnsafeInput) as info:
        parse_file(DATA / "doctype.rdf")
    assert info.value.where == f"{DATA / 'doctype.rdf'}:2"


def test_parse_bytes_names_the_input() -> None:
    with pytest.raises(RdfSyntaxError) as info:
        parse_bytes(b"<a> <b> .", ox.RdfFormat.N_TRIPLES, name="upload")
    assert info.value.where.startswith("upload:1:")


def test_load_paths_records_where_each_subject_comes_from() -> None:
    paths = [DATA / "good.trig", DATA / "good.ttl"]
    quads, origin = load_paths(paths, graph_for=lambda p: EX + p.stem + p.suffix)
    assert len(quads) == 4
    assert origin == {
        EX + "c": str(DATA / "good.trig"),
        EX + "a": str(DATA / "good.trig"),
        EX + "b": str(DATA / "good.ttl"),
    }


def test_blank_nodes_of_two_documents_stay_apart() -> None:
    doc = b"_:x <http://example.org/p> 1 ."
    (a,) = parse_bytes(doc, ox.RdfFormat.TURTLE, name="a")
    (b,) = parse_bytes(doc, ox.RdfFormat.TURTLE, name="b")
    assert a.subject != b.subject


# --- nothing is ever fetched -------------------------------------------------------------


class CountingListener:
    """A TCP listener on 127.0.0.1 that counts the connections it receives."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.1)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.socket.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.socket.close()


@pytest.fixture
def listener() -> Iterator[CountingListener]:
    server = CountingListener()
    yield server
    server.close()


def jsonld_with_remote_context(port: int) -> bytes:
    return (
        b'{"@context": "http://127.0.0.1:%d/ctx", "@id": "http://example.org/a", "name": "x"}'
        % port
    )


def rdfxml_with_external_entity(port: int) -> bytes:
    return (
        b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY remote SYSTEM "http://127.0.0.1:%d/entity"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/a"><ex:p>&remote;</ex:p></rdf:Description>
</rdf:RDF>
"""
        % port
    )


def test_remote_jsonld_context_is_refused_without_connecting(
    listener: CountingListener, tmp_path: Path
) -> None:
    path = tmp_path / "remote.jsonld"
    path.write_bytes(jsonld_with_remote_context(listener.port))
    with pytest.raises(UnsafeInput) as info:
        parse_file(path)
    assert info.value.where == str(path)
    assert f"http://127.0.0.1:{listener.port}/ctx" in info.value.message
    assert listener.connections == 0


@pytest.mark.parametrize(
    "context",
    [
        '["http://127.0.0.1:{port}/ctx"]',
        '{{"@import": "http://127.0.0.1:{port}/ctx"}}',
        '{{"knows": {{"@id": "http://example.org/knows", "@context": "http://127.0.0.1:{port}/c"}}}}',
    ],
)
def test_remote_context_anywhere_is_refused(listener: CountingListener, context: str) -> None:
    remote = context.format(port=listener.port)
    doc = f'{{"@context": {remote}, "@id": "http://example.org/a"}}'
    with pytest.raises(UnsafeInput):
        parse_bytes(doc.encode(), ox.RdfFormat.JSON_LD, name="upload.jsonld")
    assert listener.connections == 0


def test_external_xml_entity_is_refused_without_connecting(
    listener: CountingListener, tmp_path: Path
) -> None:
    path = tmp_path / "xxe.rdf"
    path.write_bytes(rdfxml_with_external_entity(listener.port))
    with pytest.raises(UnsafeInput) as info:
        parse_file(path)
    assert info.value.where == f"{path}:2"
    assert listener.connections == 0


def test_parsers_fetch_nothing_even_without_the_prescan(
    listener: CountingListener, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pre-scan is a second lock: pyoxigraph itself loads no remote document."""
    monkeypatch.setattr(load, "check_safe", lambda data, fmt, *, name: None)
    with pytest.raises(UnsafeInput):
        parse_bytes(jsonld_with_remote_context(listener.port), ox.RdfFormat.JSON_LD, name="j")
    with pytest.raises(RdfSyntaxError):
        parse_bytes(rdfxml_with_external_entity(listener.port), ox.RdfFormat.RDF_XML, name="x")
    assert listener.connections == 0


def test_jsonld_nested_beyond_checking_is_refused() -> None:
    deep = b'{"a": ' * 100_000 + b"1" + b"}" * 100_000
    with pytest.raises(UnsafeInput):
        parse_bytes(deep, ox.RdfFormat.JSON_LD, name="deep.jsonld")
