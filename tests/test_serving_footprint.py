"""What `essgraph serve` costs in processes and memory: one web worker by default, query
workers that are lean interpreters (no Flask, no forkserver), and a query worker that grew
past `query_worker_max_mb` replaced after its answer, with the answers unchanged."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

import web_fixtures
from essgraph.config import Settings
from essgraph.errors import ConfigError
from essgraph.serve import gunicorn_options
from essgraph.web.pool import QueryJob, QueryPool
from web_fixtures import make_store

LABELS = ("SELECT ?s ?l WHERE { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?l } "
          "ORDER BY ?s")


def test_one_web_worker_by_default_and_the_setting_changes_it():
    assert gunicorn_options(Settings.load(env={}))["workers"] == 1
    assert gunicorn_options(Settings.load(env={"ESSGRAPH_WEB_WORKERS": "3"}))["workers"] == 3
    assert gunicorn_options(Settings.load(env={}), workers=2)["workers"] == 2


@pytest.mark.parametrize("name", ["ESSGRAPH_WEB_WORKERS", "ESSGRAPH_QUERY_WORKERS"])
def test_no_workers_is_a_config_error(name: str):
    with pytest.raises(ConfigError) as caught:
        Settings.load(env={name: "0"})
    assert caught.value.where == name


def test_the_query_worker_side_imports_neither_flask_nor_rdflib():
    code = ("import sys, essgraph.web.pool; "
            "print(sorted({'flask', 'jinja2', 'pyld', 'rdflib'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def children(pid: int) -> list[int]:
    """The child processes of `pid`, whichever of its threads started them."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return sorted(found)


def test_a_worker_grown_past_the_limit_is_replaced_and_answers_stay(tmp_path: Path):
    store_dir = make_store(tmp_path / "store")
    # 1 MB: every worker is over it after any query, so each answer replaces its worker.
    pool = QueryPool(store_dir, size=1, worker_max_bytes=1 << 20)
    try:
        job = QueryJob(LABELS, "json")
        first = pool.run(job, 10)
        first_pids = pool.pids()
        second = pool.run(job, 10)
        assert second.body == first.body and second.rows == first.rows == 2
        assert len(pool.pids()) == 1 and pool.pids() != first_pids
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() for pid in first_pids):
            assert time.monotonic() < deadline, "the replaced worker is still running"
            time.sleep(0.05)
    finally:
        pool.close()
    kept = QueryPool(store_dir, size=1, worker_max_bytes=0)  # 0: never replaced
    try:
        kept.run(QueryJob(LABELS, "json"), 10)
        pids = kept.pids()
        kept.run(QueryJob(LABELS, "csv"), 10)
        assert kept.pids() == pids
    finally:
        kept.close()


def test_serve_runs_a_master_one_web_worker_and_its_query_workers(tmp_path: Path):
    """The default process tree: gunicorn master, one web worker, two query workers; no
    forkserver or resource tracker."""
    store_dir = make_store(tmp_path / "store")
    with web_fixtures.live_server(
        env={"ESSGRAPH_STORE_DIR": str(store_dir)}, workers=None,
        unset=("ESSGRAPH_WEB_WORKERS", "ESSGRAPH_QUERY_WORKERS"),
    ) as live:
        r = requests.get(live.root + "/sparql", params={"query": LABELS}, timeout=30)
        assert r.status_code == 200, r.text
        web = children(live.process.pid)
        assert len(web) == 1, live.log.read_text()
        query_workers = children(web[0])
        assert len(query_workers) == 2
        for pid in query_workers:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            assert b"_worker_main" in cmdline and b"forkserver" not in cmdline
            assert children(pid) == []


@pytest.mark.parametrize("cache_mb", [64, 0])
def test_long_queries_are_guarded_in_the_worker(tmp_path: Path, cache_mb: int):
    """Past GUARD_INLINE_BYTES the web process leaves the rdflib check to the query worker
    (under the time limit): the same verdicts, SERVICE refused, updates forbidden."""
    from essgraph.web import create_app
    from essgraph.web.pool import GUARD_INLINE_BYTES

    padding = "# " + "x" * GUARD_INLINE_BYTES + "\n"
    app = create_app(web_fixtures.web_settings_for(make_store(tmp_path / "store"),
                                                   query_workers=1, result_cache_mb=cache_mb))
    try:
        client = app.test_client()
        r = client.post("/sparql", data={"query": padding + LABELS},
                        headers={"Accept": "application/sparql-results+json"})
        assert r.status_code == 200 and len(r.get_json()["results"]["bindings"]) == 2
        service = padding + "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
        r = client.post("/sparql", data={"query": service})
        assert r.status_code == 400 and r.get_json()["error"] == "QUERY_REJECTED"
        broken = padding + "SELECT * WHERE { ?s ?p }"
        r = client.post("/sparql", data={"query": broken})
        assert r.status_code == 400 and r.get_json()["error"] == "QUERY_SYNTAX"
    finally:
        app.extensions["essgraph"].close()


def test_the_guard_checks_queries_from_many_threads_at_once():
    """The web process's threads check queries concurrently (rdflib's parser is not
    thread-safe on its own): every valid query is accepted, every answer is its own."""
    import threading

    from essgraph import guard

    errors: list[str] = []

    def check(n: int) -> None:
        for i in range(15):
            text = f"SELECT (COUNT(*) AS ?n{n}x{i}) WHERE {{ GRAPH ?g {{ ?s ?p {n * 100 + i} }} }}"
            try:
                assert guard.check_query(text).sparql == text
            except Exception as e:  # what the test looks for
                errors.append(repr(e))

    threads = [threading.Thread(target=check, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
