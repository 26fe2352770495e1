"""Readers on a live server while builds are written and switched in: every answer comes
from one whole build (the old graph or the new one, never a mix), none fails, and a failed
build leaves the served graph as it was."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
import requests

import web_fixtures
from essgraph.build import build
from essgraph.config import Settings
from essgraph.errors import RdfSyntaxError

TESTS = Path(__file__).resolve().parent
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
COMMENT = "<http://www.w3.org/2000/01/rdf-schema#comment>"


@pytest.fixture
def server(settings: Settings, tmp_path: Path):
    """A first build of the fixture data, served by gunicorn on a free port."""
    build(settings)
    env = {"ESSGRAPH_STORE_DIR": str(settings.store_dir)}
    with web_fixtures.live_server(env=env, workers=2) as live:
        yield live.root


def count(root: str) -> int:
    answer = requests.post(root + "/sparql", data={"query": COUNT},
                           headers={"Accept": "application/sparql-results+json"}, timeout=30)
    answer.raise_for_status()
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


class Readers:
    """Threads asking the count again and again until stopped; they record every answer."""

    def __init__(self, root: str, n: int = 4) -> None:
        self.root, self.stop = root, threading.Event()
        self.answers: list[int] = []
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self.run) for _ in range(n)]

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.answers.append(count(self.root))
            except Exception as e:  # any failed answer is what this test looks for
                self.errors.append(repr(e))

    def __enter__(self) -> Readers:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(0.5)  # let the readers see the final state too
        self.stop.set()
        for t in self.threads:
            t.join(60)


def test_readers_see_the_old_or_the_new_graph_never_a_mix(server, settings) -> None:
    before = count(server)
    extra = settings.data_dir / "003_extra.ttl"
    extra.write_text("".join(
        f'<https://w3id.org/essgraph/id/note/x{i}> {COMMENT} "x{i}" .\n' for i in range(50)),
        encoding="utf-8")
    with Readers(server) as readers:
        time.sleep(0.3)
        build(settings)
    after = count(server)
    assert after > before
    assert readers.errors == []
    assert len(readers.answers) > 10  # the readers really read while the build ran
    assert set(readers.answers) <= {before, after}
    assert readers.answers[-1] == after  # the switch reached the server


def test_a_failed_build_changes_nothing_for_readers(server, settings) -> None:
    before = count(server)
    shutil.copy(TESTS / "data" / "build" / "broken" / "001_broken.trig",
                settings.data_dir / "009_broken.trig")
    with Readers(server) as readers:
        time.sleep(0.3)
        with pytest.raises(RdfSyntaxError):
            build(settings)
    assert readers.errors == []
    assert set(readers.answers) == {before}
