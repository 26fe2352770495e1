"""The result cache: whole answers kept per build, never served across a rebuild.

A build never changes once `current` points at it, so the web process keeps answers keyed
by (build id, query, dataset, format, row limit, base IRI). These tests prove a repeat is
answered from the cache with the same bytes, that a new build is never answered from the
old one's entries, that errors, timeouts and volatile queries are not kept, that the cache
is bounded, and that /sparql GET answers If-None-Match with 304.
"""

from __future__ import annotations

import gzip
import threading
from pathlib import Path

import pytest

from essgraph.build import build
from essgraph.config import Settings
from essgraph.errors import ConfigError
from essgraph.web import create_app
from essgraph.web.pool import QueryAnswer, ResultCache
from web_fixtures import G_SOURCE, POLE, make_store, web_settings_for

JSON = "application/sparql-results+json"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
LABELS = ("SELECT ?s ?l WHERE { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?l } "
          "ORDER BY ?s")
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
COMMENT = "<http://www.w3.org/2000/01/rdf-schema#comment>"


@pytest.fixture
def app_of(tmp_path: Path):
    """Apps on a fresh test store (build "test"), closed at the end."""
    store_dir = make_store(tmp_path / "store")
    apps = []

    def make(**overrides):
        app = create_app(web_settings_for(store_dir, query_workers=1, **overrides))
        apps.append(app)
        return app

    make.store_dir = store_dir
    yield make
    for app in apps:
        app.extensions["essgraph"].close()


def metric(client, name: str) -> int:
    for line in client.get("/metrics").data.decode().splitlines():
        if line.startswith(name + " "):
            return int(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def count(response) -> int:
    return int(response.get_json()["results"]["bindings"][0]["n"]["value"])


def test_a_repeated_query_is_answered_from_the_cache(app_of):
    client = app_of().test_client()
    first = client.get("/sparql", query_string={"query": LABELS}, headers={"Accept": JSON})
    second = client.post("/sparql", data={"query": LABELS}, headers={"Accept": JSON})
    assert first.status_code == second.status_code == 200
    assert first.headers["X-Essgraph-Cache"] == "miss"
    assert second.headers["X-Essgraph-Cache"] == "hit"
    assert second.data == first.data
    assert second.headers["X-Essgraph-Build"] == "test"
    assert metric(client, "essgraph_result_cache_hits_total") == 1
    assert metric(client, "essgraph_result_cache_misses_total") == 1
    assert metric(client, "essgraph_result_cache_entries") == 1
    assert metric(client, "essgraph_result_cache_bytes") > len(first.data)


def test_the_key_holds_format_dataset_and_row_limit(app_of):
    client = app_of().test_client()
    sent = [
        {"query": LABELS, "format": "json"},
        {"query": LABELS, "format": "csv"},
        {"query": LABELS, "format": "json", "default-graph-uri": G_SOURCE},
    ]
    answers = [client.get("/sparql", query_string=q) for q in sent]
    assert [a.headers["X-Essgraph-Cache"] for a in answers] == ["miss"] * 3
    assert answers[0].data != answers[1].data
    limited = app_of(max_rows=1).test_client()  # another app: another row limit, own cache
    r = limited.get("/sparql", query_string={"query": LABELS})
    assert r.headers["X-Essgraph-Truncated"] == "true"
    assert len(r.get_json()["results"]["bindings"]) == 1


def test_a_new_build_is_never_answered_from_the_old_builds_entries(
    built: Settings, tmp_path: Path
):
    """build, query, rebuild with more data, same query: the new answer, not the cached."""
    app = create_app(built.with_(query_workers=1, base_url="http://essgraph.test/"))
    try:
        client = app.test_client()
        before = client.post("/sparql", data={"query": COUNT}, headers={"Accept": JSON})
        again = client.post("/sparql", data={"query": COUNT}, headers={"Accept": JSON})
        assert again.headers["X-Essgraph-Cache"] == "hit" and count(again) == count(before)
        (built.data_dir / "003_extra.ttl").write_text("".join(
            f'<https://w3id.org/essgraph/id/note/x{i}> {COMMENT} "x{i}" .\n' for i in range(7)),
            encoding="utf-8")
        build(built)
        after = client.post("/sparql", data={"query": COUNT}, headers={"Accept": JSON})
        assert after.headers["X-Essgraph-Cache"] == "miss"
        assert after.headers["X-Essgraph-Build"] != before.headers["X-Essgraph-Build"]
        assert count(after) > count(before)
        assert client.post("/sparql", data={"query": COUNT},
                           headers={"Accept": JSON}).headers["X-Essgraph-Cache"] == "hit"
    finally:
        app.extensions["essgraph"].close()


def test_errors_and_volatile_queries_are_not_kept(app_of):
    client = app_of().test_client()
    unknown = "SELECT * FROM <http://nowhere.example/g> WHERE { ?s ?p ?o }"
    for _ in range(2):
        r = client.get("/sparql", query_string={"query": unknown})
        assert r.status_code == 400 and r.get_json()["error"] == "QUERY_REJECTED"
    now = "SELECT (NOW() AS ?t) (STRUUID() AS ?u) WHERE {}"
    answers = [client.get("/sparql", query_string={"query": now}) for _ in range(2)]
    assert all(a.status_code == 200 and "X-Essgraph-Cache" not in a.headers for a in answers)
    assert answers[0].get_json() != answers[1].get_json()  # two UUIDs: really run twice
    assert "ETag" not in answers[0].headers
    assert metric(client, "essgraph_result_cache_entries") == 0


def test_a_timeout_is_not_kept(app_of):
    app = app_of(query_timeout=1.0)
    client = app.test_client()
    for _ in range(2):
        r = client.get("/sparql", query_string={"query": SLOW})
        assert r.status_code == 503 and r.get_json()["error"] == "QUERY_TIMEOUT"
    assert metric(client, "essgraph_result_cache_entries") == 0
    assert metric(client, "essgraph_query_timeouts_total") == 2


def test_if_none_match_gets_304_until_the_build_changes(app_of):
    client = app_of().test_client()
    ask = {"query": f"ASK {{ <{POLE}> ?p ?o }}"}
    first = client.get("/sparql", query_string=ask)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    r = client.get("/sparql", query_string=ask, headers={"If-None-Match": etag})
    assert r.status_code == 304 and r.data == b"" and r.headers["ETag"] == etag
    other = client.get("/sparql", query_string=ask, headers={"Accept": "text/csv"})
    assert other.headers["ETag"] != etag  # another format, another answer
    posted = client.post("/sparql", data=ask, headers={"If-None-Match": etag})
    assert posted.status_code == 200  # POST is never answered 304
    make_store(app_of.store_dir, "second")
    r = client.get("/sparql", query_string=ask, headers={"If-None-Match": etag})
    assert r.status_code == 200 and r.headers["X-Essgraph-Build"] == "second"
    assert r.headers["ETag"] != etag


def test_named_queries_go_through_the_cache(api_client_and_store):
    client = api_client_and_store
    first = client.get("/api/queries/organisations")
    second = client.get("/api/queries/organisations")
    assert first.status_code == 200, first.data
    assert (first.headers["X-Essgraph-Cache"], second.headers["X-Essgraph-Cache"]) == (
        "miss", "hit")
    assert second.data == first.data and second.headers["X-Essgraph-Query"] == "organisations"
    r = client.get("/api/queries/organisations", headers={"If-None-Match": first.headers["ETag"]})
    assert r.status_code == 304


@pytest.fixture
def api_client_and_store(tmp_path: Path):
    from test_named_query_api import api_settings, make_api_store

    app = create_app(api_settings(make_api_store(tmp_path / "api")))
    yield app.test_client()
    app.extensions["essgraph"].close()


def test_zero_turns_the_cache_off(app_of):
    client = app_of(result_cache_mb=0).test_client()
    for _ in range(2):
        r = client.get("/sparql", query_string={"query": LABELS})
        assert r.status_code == 200
        assert "X-Essgraph-Cache" not in r.headers and "ETag" not in r.headers
    assert "essgraph_result_cache" not in client.get("/metrics").data.decode()


def test_the_cache_is_bounded_and_drops_the_least_recently_used():
    cache = ResultCache(4000)

    def answer(size: int) -> QueryAnswer:
        return QueryAnswer(b"x" * size, "select", 1, False, "b")

    for name in "abcd":
        cache.put(("b", name), answer(500))  # 500 + 1 + 400 bytes each: 4 fit
    assert cache.get(("b", "a")) is not None  # a is now the most recently used
    cache.put(("b", "e"), answer(500))  # 5 x 901 > 4000: b, the least recently used, goes
    assert cache.get(("b", "b")) is None
    assert all(cache.get(("b", k)) is not None for k in "acde")
    assert cache.stats()["bytes"] == 4 * 901
    cache.put(("b", "huge"), answer(1000))  # over a quarter of the cache: not kept
    assert cache.get(("b", "huge")) is None and cache.stats()["entries"] == 4


def test_the_cache_is_safe_between_threads():
    cache = ResultCache(200_000)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(500):
                key = ("b", f"q{(i * n) % 97}")
                if cache.get(key) is None:
                    cache.put(key, QueryAnswer(b"y" * 100, "select", 1, False, "b"))
        except BaseException as e:  # what the test looks for
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    stats = cache.stats()
    present = [k for k in range(97) if cache.get(("b", f"q{k}")) is not None]
    assert stats["entries"] == len(present) == 97  # 97 x 503 bytes fit in 200,000
    assert stats["bytes"] == sum(100 + len(f"q{k}") + 400 for k in present)


@pytest.mark.parametrize("value", ["-1", "lots"])
def test_a_bad_cache_size_is_a_config_error(value: str):
    with pytest.raises(ConfigError) as caught:
        Settings.load(env={"ESSGRAPH_RESULT_CACHE_MB": value})
    assert caught.value.where == "ESSGRAPH_RESULT_CACHE_MB"


def test_a_cached_answer_is_gzipped_once_and_still_decodes(app_of):
    client = app_of().test_client()
    big = ("SELECT ?s ?n WHERE { ?s <https://w3id.org/essgraph/ontology#population> ?n } "
           "ORDER BY ?s LIMIT 200")
    plain = client.get("/sparql", query_string={"query": big}, headers={"Accept": JSON})
    assert len(plain.data) > 512 and "Content-Encoding" not in plain.headers
    bytes_before = metric(client, "essgraph_result_cache_bytes")
    zipped = [client.get("/sparql", query_string={"query": big},
                         headers={"Accept": JSON, "Accept-Encoding": "gzip"}) for _ in range(2)]
    for r in zipped:
        assert r.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in r.headers["Vary"]
        assert gzip.decompress(r.data) == plain.data
    assert zipped[0].data == zipped[1].data
    assert metric(client, "essgraph_result_cache_bytes") > bytes_before  # kept with it
