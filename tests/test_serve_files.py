"""`essgraph serve`: arbitrary RDF files served without the ESS build, from a real process
on 127.0.0.1 queried with SPARQLWrapper; bad input stops it with file:line and exit code 2;
every option is documented with examples.

`running_server` is shared with the other live tests (named-query API, query editor)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from SPARQLWrapper import CSV, JSON, SPARQLWrapper

from essgraph.cli import essgraph
from web_fixtures import free_port, live_server

EX = "http://example.org/"
TURTLE = f"""@prefix ex: <{EX}> .
ex:alice a ex:Person ; ex:name "Alice" ; ex:knows ex:bob .
"""
NQUADS = f"""<{EX}bob> <{EX}name> "Bob" <{EX}graph/people> .
<{EX}bob> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{EX}Person> .
"""
NTRIPLES = f'<{EX}carol> <{EX}name> "Carol" .\n'
TRIG = f'@prefix ex: <{EX}> .\nex:g {{ ex:dave ex:name "Dave" . }}\n'
RDFXML = f"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="{EX}">
  <rdf:Description rdf:about="{EX}erin"><ex:name>Erin</ex:name></rdf:Description>
</rdf:RDF>
"""
JSONLD = f'{{"@context": {{"ex": "{EX}"}}, "@id": "ex:frank", "ex:name": "Frank"}}\n'


@contextmanager
def running_server(
    args: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path | None = None
) -> Iterator[str]:
    """`essgraph serve ARGS` on a free port until /healthz answers; yields its root URL."""
    with live_server(*args, env=env, cwd=cwd) as server:
        yield server.root


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def rdf_files(tmp_path: Path) -> list[Path]:
    """One small file in each format `serve` reads."""
    folder = tmp_path / "files"
    folder.mkdir()
    return [
        _write(folder, "people.ttl", TURTLE),
        _write(folder, "more.nq", NQUADS),
        _write(folder, "carol.nt", NTRIPLES),
        _write(folder, "dave.trig", TRIG),
        _write(folder, "erin.rdf", RDFXML),
        _write(folder, "frank.jsonld", JSONLD),
    ]


def _select(url: str, query: str) -> list[dict[str, str]]:
    client = SPARQLWrapper(url)
    client.setQuery(query)
    client.setReturnFormat(JSON)
    result = client.queryAndConvert()
    return [{k: v["value"] for k, v in row.items()} for row in result["results"]["bindings"]]


def test_serves_arbitrary_rdf_files(rdf_files: list[Path], tmp_path: Path) -> None:
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    with running_server([str(p) for p in rdf_files], env={"TMPDIR": str(private_tmp)}) as root:
        assert len(list(private_tmp.glob("essgraph-serve-*"))) == 1  # the temporary store
        rows = _select(root + "/sparql", f"SELECT ?s ?name WHERE {{ ?s <{EX}name> ?name }}")
        assert {r["name"] for r in rows} == {"Alice", "Bob", "Carol", "Dave", "Erin", "Frank"}

        rows = _select(root + "/sparql",
                       "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        graphs = {r["g"]: int(r["n"]) for r in rows}
        files = {p.name: p.resolve().as_uri() for p in rdf_files}
        # Triples go to a graph named after their file; a dataset's named graphs stay, and
        # its default graph goes to the file's graph too.
        assert graphs == {
            files["people.ttl"]: 3,
            EX + "graph/people": 1,
            files["more.nq"]: 1,
            files["carol.nt"]: 1,
            EX + "g": 1,
            files["erin.rdf"]: 1,
            files["frank.jsonld"]: 1,
        }

        client = SPARQLWrapper(root + "/sparql")
        client.setQuery(f"ASK {{ <{EX}alice> <{EX}knows> <{EX}bob> }}")
        client.setReturnFormat(JSON)
        assert client.queryAndConvert()["boolean"] is True
        client.setQuery(f"SELECT ?n WHERE {{ <{EX}carol> <{EX}name> ?n }}")
        client.setReturnFormat(CSV)
        assert client.queryAndConvert().decode().splitlines() == ["n", "Carol"]

        health = requests.get(root + "/healthz", timeout=10).json()
        assert (health["status"], health["triples"], health["graphs"]) == ("ok", 9, 7)
    # Stopped with SIGTERM: the temporary store is gone with the server.
    assert list(private_tmp.glob("essgraph-serve-*")) == []


@pytest.mark.parametrize(
    ("name", "text", "code", "where"),
    [
        ("broken.ttl", "@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b \"x .\n",
         "RDF_SYNTAX", "broken.ttl:3:"),
        ("broken.nq", f"<{EX}a> <{EX}b> <{EX}c> .\n<{EX}a> <{EX}b> .\n", "RDF_SYNTAX",
         "broken.nq:2"),
        ("entity.rdf", '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
         '\n<r/>\n', "UNSAFE_INPUT", "entity.rdf:2"),
        ("remote.jsonld", '{"@context": "https://schema.org/", "name": "x"}', "UNSAFE_INPUT",
         "remote.jsonld"),
        ("notes.txt", "hello", "UNKNOWN_FORMAT", "notes.txt"),
    ],
)
def test_bad_input_exits_2_with_file_and_line(
    tmp_path: Path, rdf_files: list[Path], name: str, text: str, code: str, where: str
) -> None:
    bad = _write(tmp_path, name, text)
    done = subprocess.run(
        [sys.executable, "-m", "essgraph", "serve", str(rdf_files[0]), str(bad),
         "--port", str(free_port())],
        capture_output=True, text=True, timeout=60, env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error {code} at "), last
    assert where in last
    assert done.stdout == ""
    assert list(tmp_path.glob("essgraph-serve-*")) == []  # nothing left behind


def test_no_build_is_an_error_with_a_hint(runner: CliRunner) -> None:
    result = runner.invoke(essgraph, ["serve"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error STORE_NOT_BUILT at ")
    assert "essgraph build" in result.stderr


def test_files_and_store_are_exclusive(runner: CliRunner, rdf_files: list[Path]) -> None:
    result = runner.invoke(essgraph, ["serve", str(rdf_files[0]), "--store",
                                      "sparql+http://127.0.0.1:1/sparql"])
    assert result.exit_code == 2
    assert "not both" in result.stderr


def test_store_url_reaches_the_settings(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--store is passed through as settings.store_url (the remote backend serves it)."""
    seen = {}

    def fake_serve(settings, *, workers):
        seen.update(url=settings.store_url, workers=workers, timeout=settings.query_timeout,
                    rows=settings.max_rows, base=settings.base_url)

    monkeypatch.delenv("ESSGRAPH_BASE_URL", raising=False)
    monkeypatch.setattr("essgraph.serve.serve", fake_serve)
    result = runner.invoke(essgraph, [
        "serve", "--store", "sparql+http://127.0.0.1:8890/sparql", "--workers", "3",
        "--timeout", "2.5", "--max-rows", "7", "--port", "8123",
    ])
    assert result.exit_code == 0, result.output
    assert seen == {"url": "sparql+http://127.0.0.1:8890/sparql", "workers": 3,
                    "timeout": 2.5, "rows": 7, "base": "http://127.0.0.1:8123/"}


def test_get_runs_one_request_without_a_server(runner: CliRunner, rdf_files: list[Path]) -> None:
    result = runner.invoke(essgraph, ["serve", *map(str, rdf_files), "--get",
                                      f"/sparql?query=ASK{{<{EX}alice>?p?o}}&format=json"])
    assert result.exit_code == 0, result.output
    assert '"boolean":true' in result.stdout.replace(" ", "")
    missing = runner.invoke(essgraph, ["serve", str(rdf_files[0]), "--get", "/nowhere"])
    assert missing.exit_code == 1
    assert '"error":"NOT_FOUND"' in missing.stdout.replace(" ", "")


def test_help_documents_every_option_with_examples(runner: CliRunner) -> None:
    result = runner.invoke(essgraph, ["serve", "--help"])
    assert result.exit_code == 0
    out = result.stdout
    for option in ["--host", "--port", "--workers", "--timeout", "--max-rows", "--store",
                   "--query-workers", "--base-url", "--get", "--store-dir", "FILES"]:
        assert option in out, option
    assert "Examples:" in out and "essgraph serve my-data.ttl" in out
