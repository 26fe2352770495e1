"""/api/queries: the named queries listed and run over HTTP, through Flask's test client and
against a real server with requests. Values are typed and bound by the engine: quotes,
braces and IRIs with '>' are refused or stay inert data; every error has the one shape."""

from __future__ import annotations

import csv
import gc
import io
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from essgraph import vocab
from essgraph.config import Settings
from essgraph.web import create_app
from test_serve_files import running_server

QUERIES = Path(__file__).resolve().parent / "data" / "queries"
ID = vocab.ID
DIJON = ID + "territoire/commune/21231"
METROPOLE = ID + "territoire/epci/242100410"
RECYCLERIE = ID + "organisation/la-recyclerie"
POLE = ID + "organisation/pole"
TRICKY_NAME = 'Pôle "ESS" } 21 > fin'
_TRICKY_TURTLE = TRICKY_NAME.replace('"', '\\"')
DATA = f"""@prefix ess: <{vocab.ESS}> .
@prefix skos: <{vocab.SKOS}> .
<{vocab.GRAPH_SOURCE}001> {{
  <{RECYCLERIE}> a ess:Organisation ; skos:prefLabel "La Recyclerie"@fr ;
      ess:locatedIn <{DIJON}> .
  <{POLE}> a ess:Organisation ; skos:prefLabel "{_TRICKY_TURTLE}"@fr ;
      ess:locatedIn <{METROPOLE}> .
}}
"""
ERROR_KEYS = ["error", "message", "where"]


def make_api_store(store_dir: Path) -> Path:
    build = store_dir / "builds" / "api"
    build.mkdir(parents=True)
    store = ox.Store(str(build))
    store.load(DATA.encode(), format=ox.RdfFormat.TRIG)
    store.flush()
    del store
    gc.collect()
    os.symlink(Path("builds") / "api", store_dir / "current")
    return store_dir


@pytest.fixture(scope="module")
def api_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_api_store(tmp_path_factory.mktemp("api-store"))


def api_settings(store_dir: Path, **overrides) -> Settings:
    values = dict(store_dir=store_dir, queries_dir=QUERIES, base_url="http://essgraph.test/",
                  query_workers=1)
    return Settings.load(env={}, **{**values, **overrides})


@pytest.fixture
def client(api_store: Path):
    app = create_app(api_settings(api_store))
    app.config["TESTING"] = True
    yield app.test_client()
    app.extensions["essgraph"].close()


def assert_error(response, status: int, code: str, where: str | None) -> None:
    assert response.status_code == status, response.data
    body = response.get_json()
    assert list(body) == ERROR_KEYS
    assert (body["error"], body["where"]) == (code, where)
    assert body["message"]


def rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.data
    data = response.get_json()
    return [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]


# --- listing -------------------------------------------------------------------------------


def test_lists_the_named_queries(client) -> None:
    r = client.get("/api/queries")
    assert r.status_code == 200 and r.mimetype == "application/json"
    listed = {q["name"]: q for q in r.get_json()["queries"]}
    assert set(listed) == {"count-by-name", "organisations", "territory-ask", "typed"}
    organisations = listed["organisations"]
    assert organisations["title"] == "Organisations"
    assert organisations["description"].startswith("Every located organisation")
    assert organisations["parameters"] == [{
        "name": "territory", "type": "iri", "required": False,
        "example": "essid:territoire/commune/21231", "default": None,
        "description": "a commune or EPCI", "lang": None,
    }]
    assert organisations["url"] == "http://essgraph.test/api/queries/organisations"
    assert organisations["example_url"] == (
        "http://essgraph.test/api/queries/organisations?territory=essid%3Aterritoire%2Fcommune"
        "%2F21231"
    )
    typed = {p["name"]: p for p in listed["typed"]["parameters"]}
    assert typed["i"]["required"] is True and typed["i"]["type"] == "integer"
    assert typed["y"]["default"] == "2024"
    # A required parameter without an example: no ready-to-run URL.
    assert listed["territory-ask"]["example_url"] is None


def test_example_urls_run(client) -> None:
    for q in client.get("/api/queries").get_json()["queries"]:
        if q["example_url"]:
            path = q["example_url"].removeprefix("http://essgraph.test")
            assert client.get(path).status_code == 200, q["name"]


# --- running -------------------------------------------------------------------------------


def test_runs_with_and_without_an_optional_parameter(client) -> None:
    everything = rows(client.get("/api/queries/organisations"))
    assert [r["org"] for r in everything] == [RECYCLERIE, POLE]
    in_dijon = rows(client.get("/api/queries/organisations",
                               query_string={"territory": "essid:territoire/commune/21231"}))
    assert in_dijon == [{"org": RECYCLERIE, "name": "La Recyclerie", "territory": DIJON}]
    same = rows(client.get("/api/queries/organisations", query_string={"territory": DIJON}))
    assert same == in_dijon
    bracketed = rows(client.get("/api/queries/organisations",
                                query_string={"territory": f"<{DIJON}>"}))
    assert bracketed == in_dijon


def test_a_non_projected_parameter_goes_through_values(client) -> None:
    r = client.get("/api/queries/count-by-name", query_string={"name": "La Recyclerie"})
    assert rows(r) == [{"n": "1"}]
    assert r.headers["X-Essgraph-Query"] == "count-by-name"
    assert r.headers["X-Essgraph-Build"] == "api"


def test_ask(client) -> None:
    r = client.get("/api/queries/territory-ask", query_string={"territory": METROPOLE})
    assert r.get_json() == {"head": {}, "boolean": True}
    r = client.get("/api/queries/territory-ask", query_string={"territory": ID + "nowhere"})
    assert r.get_json()["boolean"] is False


def test_typed_values_are_converted(client) -> None:
    r = client.get("/api/queries/typed", query_string={
        "i": "+042", "d": "3.50", "day": "2024-02-29", "b": "1", "s": "x"})
    (row,) = rows(r)
    assert Decimal(row.pop("d")) == Decimal("3.50")  # the engine may write it 3.5
    assert row == {"i": "42", "day": "2024-02-29", "y": "2024", "b": "true", "s": "x"}


def test_formats_as_sparql(client) -> None:
    r = client.get("/api/queries/organisations", headers={"Accept": "text/csv"})
    assert r.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(r.data.decode())))
    assert table[0] == ["org", "name", "territory"] and len(table) == 3
    r = client.get("/api/queries/organisations", query_string={"format": "xml"})
    assert r.mimetype == "application/sparql-results+xml"
    r = client.get("/api/queries/organisations", query_string={"format": "tsv"},
                   headers={"Accept": "application/sparql-results+json"})
    assert r.mimetype == "text/tab-separated-values"
    assert_error(client.get("/api/queries/organisations", query_string={"format": "ttl"}),
                 406, "NOT_ACCEPTABLE", "format")
    assert_error(client.get("/api/queries/organisations", headers={"Accept": "image/png"}),
                 406, "NOT_ACCEPTABLE", "Accept")


def test_row_limit_applies(api_store: Path) -> None:
    app = create_app(api_settings(api_store, max_rows=1))
    try:
        r = app.test_client().get("/api/queries/organisations")
        assert len(rows(r)) == 1
        assert r.headers["X-Essgraph-Truncated"] == "true"
        assert r.headers["X-Essgraph-Row-Limit"] == "1"
    finally:
        app.extensions["essgraph"].close()


# --- injection attempts --------------------------------------------------------------------


@pytest.mark.parametrize("value", [
    f"{DIJON}> . ?org ?p ?o . <{DIJON}",
    f"{DIJON}> }} UNION {{ ?org ?p ?o",
    "http://example.org/a>b",
    'http://example.org/"quoted"',
    "http://example.org/a b",
    "essid:x> } #",
    "not an iri",
    "",  # given empty: like not given for an optional parameter (see below)
])
def test_iri_values_that_would_break_out_are_refused(client, value: str) -> None:
    r = client.get("/api/queries/organisations", query_string={"territory": value})
    if value == "":
        assert len(rows(r)) == 2
    else:
        assert_error(r, 400, "BAD_PARAMETER", "territory")


@pytest.mark.parametrize("value", [
    'La Recyclerie"@fr) } ?org ?p ?o . #',
    "x' } UNION { ?org ?p ?o } #",
    '"""} ; DROP ALL',
    "\\u0022 } \\\"",
    "La Recyclerie\n} ?a ?b ?c {",
])
def test_literal_values_stay_data(client, value: str) -> None:
    assert rows(client.get("/api/queries/count-by-name", query_string={"name": value})) == [
        {"n": "0"}]
    (row,) = rows(client.get("/api/queries/typed", query_string={"i": "1", "s": value}))
    assert row["s"] == value


def test_a_name_with_quotes_braces_and_gt_matches_exactly(client) -> None:
    r = client.get("/api/queries/count-by-name", query_string={"name": TRICKY_NAME})
    assert rows(r) == [{"n": "1"}]


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "where"), [
    ({}, "i"),  # required, missing
    ({"i": "one"}, "i"),
    ({"i": "1.5"}, "i"),
    ({"i": "1", "d": "1.2.3"}, "d"),
    ({"i": "1", "day": "2024-13-01"}, "day"),
    ({"i": "1", "day": "2024-2-1"}, "day"),
    ({"i": "1", "y": "24"}, "y"),
    ({"i": "1", "b": "maybe"}, "b"),
    ({"i": "1", "nope": "x"}, "nope"),  # not a parameter of this query
])
def test_bad_parameters(client, params: dict[str, str], where: str) -> None:
    assert_error(client.get("/api/queries/typed", query_string=params), 400, "BAD_PARAMETER",
                 where)


def test_repeated_parameter(client) -> None:
    r = client.get("/api/queries/typed?i=1&i=2")
    assert_error(r, 400, "BAD_PARAMETER", "i")


def test_query_string_must_be_utf8(client) -> None:
    r = client.get("/api/queries/typed?i=1&s=%FF")
    assert_error(r, 400, "BAD_PARAMETER", "query string")


def test_unknown_query(client) -> None:
    assert_error(client.get("/api/queries/nope"), 404, "UNKNOWN_QUERY", "nope")
    # Names are looked up among the loaded queries, never joined to a path.
    assert_error(client.get("/api/queries/..."), 404, "UNKNOWN_QUERY", "...")
    assert client.get("/api/queries/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_a_broken_query_file_names_its_line(api_store: Path, tmp_path: Path) -> None:
    folder = tmp_path / "queries"
    folder.mkdir()
    (folder / "ok.rq").write_text("#+ title: T\n#+ description: D\nASK { ?s ?p ?o }\n")
    app = create_app(api_settings(api_store, queries_dir=folder))
    try:
        client = app.test_client()
        assert [q["name"] for q in client.get("/api/queries").get_json()["queries"]] == ["ok"]
        (folder / "bad.rq").write_text("#+ title: T\n#+ description: D\n#+ params: [\nASK {}\n")
        r = client.get("/api/queries")
        assert r.status_code == 500 and r.get_json()["error"] == "NAMED_QUERY"
        assert r.get_json()["where"].endswith("bad.rq:3")
        (folder / "bad.rq").unlink()  # fixed: the catalogue follows the folder
        assert client.get("/api/queries/ok").get_json()["boolean"] is True
    finally:
        app.extensions["essgraph"].close()


def test_no_queries_folder_means_no_queries(api_store: Path, tmp_path: Path) -> None:
    app = create_app(api_settings(api_store, queries_dir=tmp_path / "none"))
    try:
        assert app.test_client().get("/api/queries").get_json() == {"queries": []}
    finally:
        app.extensions["essgraph"].close()


# --- a real server -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("api-live") / "data.trig"
    data.write_text(DATA, encoding="utf-8")
    with running_server([str(data)], env={"ESSGRAPH_QUERIES_DIR": str(QUERIES)}) as root:
        yield root


def test_live_listing_and_running(live: str) -> None:
    listed = requests.get(live + "/api/queries", timeout=10).json()["queries"]
    organisations = next(q for q in listed if q["name"] == "organisations")
    assert organisations["url"] == live + "/api/queries/organisations"
    r = requests.get(organisations["example_url"], timeout=10)
    assert r.status_code == 200
    assert [b["name"]["value"] for b in r.json()["results"]["bindings"]] == ["La Recyclerie"]
    r = requests.get(live + "/api/queries/count-by-name", params={"name": TRICKY_NAME},
                     headers={"Accept": "text/csv"}, timeout=10)
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.text.splitlines() == ["n", "1"]


def test_live_injection_and_errors(live: str) -> None:
    r = requests.get(live + "/api/queries/organisations",
                     params={"territory": f"{DIJON}> . ?org ?p ?o . <{DIJON}"}, timeout=10)
    assert r.status_code == 400
    assert r.json() == {"error": "BAD_PARAMETER", "message": r.json()["message"],
                        "where": "territory"}
    r = requests.get(live + "/api/queries/count-by-name",
                     params={"name": 'x"@fr) } ?org ?p ?o . #'}, timeout=10)
    assert r.json()["results"]["bindings"] == [{"n": {
        "type": "literal", "value": "0", "datatype": vocab.XSD + "integer"}}]
    r = requests.get(live + "/api/queries/missing", timeout=10)
    assert r.status_code == 404 and list(r.json()) == ERROR_KEYS
    assert r.json()["error"] == "UNKNOWN_QUERY"
    r = requests.get(live + "/api/queries/territory-ask", timeout=10)
    assert (r.status_code, r.json()["where"]) == (400, "territory")
