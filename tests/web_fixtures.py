"""Fixtures for the SPARQL service tests: a small built store, an app, a live server.

The store is written here with pyoxigraph (a few facts in two named graphs, plus a bulk graph
big enough for a cartesian product to outlast a 1 s limit), so these tests do not depend on
the real build. Import the fixtures by name in a test module.
"""

from __future__ import annotations

import gc
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from essgraph import vocab
from essgraph.config import Settings

G_SOURCE = vocab.GRAPH_SOURCE + "000"
G_ONTOLOGY = vocab.GRAPH_ONTOLOGY
G_BULK = vocab.GRAPH_TERRITORIES
POLE = vocab.ID + "organisation/pole-ess-21"
RESEAU = vocab.ID + "organisation/reseau-ess"
BASE_URL = "http://essgraph.test/"
BULK = 2000  # triples in G_BULK; three of them joined: 8e9 rows, never done in 1 s


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def make_store(store_dir: Path, build_id: str = "test") -> Path:
    """store_dir/builds/<build_id> with the test facts, and `current` pointing at it."""
    build = store_dir / "builds" / build_id
    build.mkdir(parents=True)
    rdf_type, label = _n(vocab.RDF + "type"), _n(vocab.SKOS + "prefLabel")
    source, onto, bulk = _n(G_SOURCE), _n(G_ONTOLOGY), _n(G_BULK)
    org, network = _n(vocab.ESS + "Organisation"), _n(vocab.ESS + "Network")
    quads = [
        ox.Quad(_n(POLE), rdf_type, org, source),
        ox.Quad(_n(POLE), label, ox.Literal("Pôle ESS 21", language="fr"), source),
        ox.Quad(_n(POLE), _n(vocab.SCHEMA + "foundingDate"),
                ox.Literal("2001", datatype=_n(vocab.XSD + "gYear")), source),
        ox.Quad(_n(RESEAU), rdf_type, network, source),
        ox.Quad(_n(RESEAU), label, ox.Literal("Réseau, \"ESS\"\ttab", language="fr"), source),
        ox.Quad(_n(POLE), _n(vocab.ORG + "memberOf"), _n(RESEAU), source),
        ox.Quad(org, rdf_type, _n(vocab.OWL + "Class"), onto),
        ox.Quad(network, _n(vocab.RDFS + "subClassOf"), org, onto),
        ox.Quad(org, _n(vocab.RDFS + "label"), ox.Literal("Organisation", language="fr"), onto),
    ]
    population = _n(vocab.ESS + "population")
    quads += [
        ox.Quad(_n(f"{vocab.ID}territoire/commune/{i:05d}"), population, ox.Literal(str(i),
                datatype=_n(vocab.XSD + "integer")), bulk)
        for i in range(BULK)
    ]
    store = ox.Store(str(build))
    store.extend(quads)
    store.flush()
    del store
    gc.collect()  # release the read-write database before workers open it read-only
    link = store_dir / "current"
    if link.is_symlink():
        link.unlink()
    os.symlink(Path("builds") / build_id, link)
    return store_dir


@pytest.fixture(scope="session")
def web_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_store(tmp_path_factory.mktemp("web-store"))


def web_settings_for(store_dir: Path, **overrides) -> Settings:
    values = dict(
        store_dir=store_dir,
        query_timeout=10.0,
        max_rows=5000,
        query_workers=2,
        base_url=BASE_URL,
    )
    values.update(overrides)
    return Settings.load(env={}, **values)


@pytest.fixture
def web_settings(web_store: Path) -> Settings:
    return web_settings_for(web_store)


@pytest.fixture
def web_app(web_settings: Settings):
    from essgraph.web import create_app

    app = create_app(web_settings)
    app.config["TESTING"] = True
    yield app
    app.extensions["essgraph"].close()


@pytest.fixture
def web_client(web_app):
    return web_app.test_client()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class LiveServer:
    """A running `essgraph serve`: its root URL (http://127.0.0.1:PORT), process and log."""

    root: str
    process: subprocess.Popen
    log: Path


@contextmanager
def live_server(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    workers: int | None = 1,
    unset: tuple[str, ...] = (),
) -> Iterator[LiveServer]:
    """`python -m essgraph serve ARGS` (gunicorn) on a free port of 127.0.0.1, once /healthz
    answers 200; stopped with SIGTERM (then SIGKILL) afterwards. `env` is added to this
    process's environment, the variables of `unset` removed from it; `workers=None` keeps
    the web workers of the settings."""
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    full_env = {**os.environ, "ESSGRAPH_BASE_URL": root + "/", **(env or {})}
    for name in unset:
        full_env.pop(name, None)
    command = [sys.executable, "-m", "essgraph", "serve", *args,
               "--host", "127.0.0.1", "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    log = Path(tempfile.mkdtemp(prefix="essgraph-live-")) / "server.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(command, env=full_env, stdout=out, stderr=out, cwd=cwd)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(root + "/healthz", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start:\n" + log.read_text())
            time.sleep(0.2)
        yield LiveServer(root, server, log)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`essgraph serve` over the test store; its /sparql URL."""
    store_dir = make_store(tmp_path_factory.mktemp("live-store"))
    env = {"ESSGRAPH_STORE_DIR": str(store_dir), "ESSGRAPH_QUERY_TIMEOUT": "10",
           "ESSGRAPH_MAX_ROWS": "5000"}
    with live_server(env=env) as server:
        yield server.root + "/sparql"
