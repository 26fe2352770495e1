"""/sparql through Flask's test client: the SPARQL 1.1 Protocol (query), content negotiation,
the error shape on every error path, limits, CORS, HEAD, gzip, the service description."""

from __future__ import annotations

import gzip
import json
import threading
import time
from urllib.parse import quote

import pyoxigraph as ox
import pytest
import rdflib

import web_fixtures
from essgraph.web import create_app
from web_fixtures import (
    BASE_URL,
    BULK,
    G_BULK,
    G_ONTOLOGY,
    G_SOURCE,
    POLE,
    RESEAU,
    make_store,
    web_settings_for,
)

# the fixtures this module uses (pytest finds them as module attributes)
web_store = web_fixtures.web_store
web_settings = web_fixtures.web_settings
web_app = web_fixtures.web_app
web_client = web_fixtures.web_client

SKOS_LABEL = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
LABELS = f"SELECT ?s ?l WHERE {{ ?s {SKOS_LABEL} ?l }} ORDER BY ?s"
ASK_POLE = f"ASK {{ <{POLE}> ?p ?o }}"
CONSTRUCT = f"CONSTRUCT {{ ?s {SKOS_LABEL} ?l }} WHERE {{ ?s {SKOS_LABEL} ?l }}"
DESCRIBE = f"DESCRIBE <{POLE}>"
FORM = "application/x-www-form-urlencoded"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def assert_error(response, status: int, code: str, where: str | None = "any"):
    """The one error shape: {"error", "message", "where"} with the error's status."""
    assert response.status_code == status, response.data
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error", "message", "where"}
    assert body["error"] == code
    assert body["message"]
    if where != "any":
        assert body["where"] == where
    return body


def labels(response) -> list[tuple[str, str]]:
    data = response.get_json()
    assert data["head"]["vars"] == ["s", "l"]
    return [(b["s"]["value"], b["l"]["value"]) for b in data["results"]["bindings"]]


# --- the three routes ------------------------------------------------------------------


def test_get_query(web_client):
    r = web_client.get("/sparql", query_string={"query": LABELS})
    assert r.status_code == 200
    assert r.mimetype == "application/sparql-results+json"
    assert labels(r) == [(POLE, "Pôle ESS 21"), (RESEAU, 'Réseau, "ESS"\ttab')]
    assert r.headers["X-Essgraph-Build"] == "test"
    assert "X-Essgraph-Truncated" not in r.headers


def test_post_form(web_client):
    r = web_client.post("/sparql", data={"query": LABELS})
    assert r.status_code == 200
    assert len(labels(r)) == 2


def test_post_form_with_charset_parameter(web_client):
    body = "query=" + quote(LABELS)
    r = web_client.post("/sparql", data=body, content_type=FORM + "; charset=UTF-8")
    assert r.status_code == 200


def test_post_direct(web_client):
    r = web_client.post("/sparql", data=LABELS.encode(), content_type="application/sparql-query")
    assert r.status_code == 200
    assert len(labels(r)) == 2


def test_post_direct_takes_dataset_from_the_url(web_client):
    r = web_client.post(
        "/sparql?default-graph-uri=" + quote(G_ONTOLOGY),
        data=b"SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
        content_type="application/sparql-query",
    )
    assert r.get_json()["results"]["bindings"][0]["n"]["value"] == "3"


def test_default_graph_is_the_union_of_named_graphs(web_client):
    r = web_client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"})
    assert r.get_json()["results"]["bindings"][0]["n"]["value"] == str(9 + BULK)


def test_default_and_named_graph_uri_select_the_dataset(web_client):
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    r = web_client.get("/sparql", query_string=[
        ("query", count), ("default-graph-uri", G_SOURCE), ("default-graph-uri", G_ONTOLOGY)])
    assert r.get_json()["results"]["bindings"][0]["n"]["value"] == "9"
    graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    r = web_client.get("/sparql", query_string=[("query", graphs), ("named-graph-uri", G_SOURCE)])
    assert [b["g"]["value"] for b in r.get_json()["results"]["bindings"]] == [G_SOURCE]
    # named graphs only: the default graph is empty
    r = web_client.get("/sparql", query_string=[("query", count), ("named-graph-uri", G_SOURCE)])
    assert r.get_json()["results"]["bindings"][0]["n"]["value"] == "0"


def test_from_selects_the_default_graph(web_client):
    query = f"SELECT (COUNT(*) AS ?n) FROM <{G_ONTOLOGY}> WHERE {{ ?s ?p ?o }}"
    r = web_client.get("/sparql", query_string={"query": query})
    assert r.get_json()["results"]["bindings"][0]["n"]["value"] == "3"


def test_from_unknown_graph_is_rejected(web_client):
    query = "SELECT * FROM <http://127.0.0.1:9/x> WHERE { ?s ?p ?o }"
    r = web_client.get("/sparql", query_string={"query": query})
    assert_error(r, 400, "QUERY_REJECTED", "FROM <http://127.0.0.1:9/x>")
    r = web_client.get("/sparql", query_string={"query": LABELS, "named-graph-uri": "http://no/"})
    assert_error(r, 400, "QUERY_REJECTED", "named-graph-uri <http://no/>")


def test_relative_iris_resolve_against_the_endpoint(web_client):
    r = web_client.get(
        "/sparql", query_string={"query": "CONSTRUCT { <s> <p> 1 } WHERE {}", "format": "nt"}
    )
    assert r.status_code == 200
    assert r.data.decode().startswith(f"<{BASE_URL}s> <{BASE_URL}p> \"1\"^^")


# --- content negotiation ---------------------------------------------------------------

SELECT_CASES = [
    # (Accept, expected media type)
    (None, "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("text/*", "text/csv"),
    ("text/csv;q=0.5, text/tab-separated-values", "text/tab-separated-values"),
    ("application/sparql-results+xml, application/sparql-results+json;q=0.9",
     "application/sparql-results+xml"),
    ("text/html, application/xhtml+xml, application/xml;q=0.9, */*;q=0.8", "application/xml"),
    ("application/sparql-results+json,application/json,text/javascript",
     "application/sparql-results+json"),
]


@pytest.mark.parametrize("accept, media_type", SELECT_CASES)
def test_select_negotiation(web_client, accept, media_type):
    headers = {"Accept": accept} if accept else {}
    r = web_client.get("/sparql", query_string={"query": LABELS}, headers=headers)
    assert r.status_code == 200
    assert r.mimetype == media_type
    assert "Accept" in r.headers["Vary"]


def test_combined_accept_headers(web_client):
    headers = [("Accept", "text/turtle;q=0.9"), ("Accept", "text/tab-separated-values;q=0.5")]
    r = web_client.get("/sparql", query_string={"query": LABELS}, headers=headers)
    assert r.mimetype == "text/tab-separated-values"


GRAPH_CASES = [
    (None, "text/turtle"),
    ("*/*", "text/turtle"),
    ("application/n-triples", "application/n-triples"),
    ("application/rdf+xml", "application/rdf+xml"),
    ("application/ld+json", "application/ld+json"),
    ("application/ld+json;q=0.2, application/rdf+xml;q=0.8", "application/rdf+xml"),
    ("application/turtle,text/turtle", "text/turtle"),
]


@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE], ids=["construct", "describe"])
@pytest.mark.parametrize("accept, media_type", GRAPH_CASES)
def test_graph_negotiation(web_client, query, accept, media_type):
    headers = {"Accept": accept} if accept else {}
    r = web_client.get("/sparql", query_string={"query": query}, headers=headers)
    assert r.status_code == 200
    assert r.mimetype == media_type
    graph = rdflib.Graph().parse(data=r.data, format={
        "text/turtle": "turtle", "application/n-triples": "nt",
        "application/rdf+xml": "xml", "application/ld+json": "json-ld",
    }[media_type])
    assert (rdflib.URIRef(POLE), rdflib.URIRef(SKOS_LABEL[1:-1]),
            rdflib.Literal("Pôle ESS 21", lang="fr")) in graph


FORMAT_PARAM = [
    (LABELS, "json", "application/sparql-results+json"),
    (LABELS, "xml", "application/sparql-results+xml"),
    (LABELS, "csv", "text/csv"),
    (LABELS, "tsv", "text/tab-separated-values"),
    (ASK_POLE, "csv", "text/csv"),
    (CONSTRUCT, "ttl", "text/turtle"),
    (CONSTRUCT, "turtle", "text/turtle"),
    (CONSTRUCT, "nt", "application/n-triples"),
    (CONSTRUCT, "rdf/xml", "application/rdf+xml"),
    (CONSTRUCT, "jsonld", "application/ld+json"),
    (DESCRIBE, "xml", "application/rdf+xml"),
]


@pytest.mark.parametrize("query, fmt, media_type", FORMAT_PARAM)
def test_format_parameter_wins_over_accept(web_client, query, fmt, media_type):
    r = web_client.get("/sparql", query_string={"query": query, "format": fmt},
                       headers={"Accept": "application/x-nothing"})
    assert r.status_code == 200
    assert r.mimetype == media_type


def test_results_in_every_format(web_client):
    get = lambda fmt: web_client.get(  # noqa: E731
        "/sparql", query_string={"query": LABELS, "format": fmt}).data.decode()
    csv = get("csv").splitlines()
    assert csv[0] == "s,l"
    assert csv[1] == f"{POLE},Pôle ESS 21"
    tsv = get("tsv").splitlines()
    assert tsv[0] == "?s\t?l"
    assert tsv[2] == f'<{RESEAU}>\t"Réseau, \\"ESS\\"\\ttab"@fr'
    parsed = ox.parse_query_results(get("xml").encode(), format=ox.QueryResultsFormat.XML)
    assert len(list(parsed)) == 2
    r = web_client.get("/sparql", query_string={"query": ASK_POLE})
    assert r.get_json() == {"head": {}, "boolean": True}


def test_unsupported_accept_is_406_listing_the_offer(web_client):
    r = web_client.get("/sparql", query_string={"query": LABELS}, headers={"Accept": "text/turtle"})
    body = assert_error(r, 406, "NOT_ACCEPTABLE", "Accept")
    assert "application/sparql-results+json" in body["message"] and "text/csv" in body["message"]
    r = web_client.get("/sparql", query_string={"query": CONSTRUCT}, headers={"Accept": "text/csv"})
    body = assert_error(r, 406, "NOT_ACCEPTABLE", "Accept")
    assert "text/turtle" in body["message"]
    r = web_client.get("/sparql", query_string={"query": LABELS},
                       headers={"Accept": "application/sparql-results+json;q=0, text/csv;q=0"})
    assert_error(r, 406, "NOT_ACCEPTABLE")


def test_format_of_the_other_kind_is_406_and_unknown_format_400(web_client):
    r = web_client.get("/sparql", query_string={"query": LABELS, "format": "ttl"})
    assert_error(r, 406, "NOT_ACCEPTABLE", "format")
    r = web_client.get("/sparql", query_string={"query": LABELS, "format": "yaml"})
    assert_error(r, 400, "UNKNOWN_FORMAT", "format")


# --- refusals: 400, 403, 413 -----------------------------------------------------------


def test_two_query_parameters(web_client):
    r = web_client.get("/sparql", query_string=[("query", LABELS), ("query", ASK_POLE)])
    assert_error(r, 400, "BAD_PARAMETER", "query")
    r = web_client.post("/sparql?query=" + quote(LABELS), data=LABELS.encode(),
                        content_type="application/sparql-query")
    assert_error(r, 400, "BAD_PARAMETER", "query")


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/json"])
def test_post_without_a_protocol_media_type(web_client, content_type):
    kwargs = {"content_type": content_type} if content_type else {}
    r = web_client.post("/sparql", data=LABELS.encode(), **kwargs)
    assert_error(r, 400, "BAD_PARAMETER", "Content-Type")


def test_post_without_query(web_client):
    r = web_client.post("/sparql", data={"format": "json"})
    assert_error(r, 400, "BAD_PARAMETER", "query")
    r = web_client.get("/sparql", query_string={"query": "  "})
    assert_error(r, 400, "BAD_PARAMETER", "query")


def test_non_utf8_bodies(web_client):
    latin1 = "SELECT * WHERE { ?s ?p 'é' }".encode("latin-1")
    r = web_client.post("/sparql", data=latin1, content_type="application/sparql-query")
    assert_error(r, 400, "BAD_PARAMETER", "body")
    r = web_client.post("/sparql", data=b"query=SELECT%20%E9", content_type=FORM)
    assert_error(r, 400, "BAD_PARAMETER", "body")
    r = web_client.get("/sparql?query=SELECT%20%E9")
    assert_error(r, 400, "BAD_PARAMETER", "query string")
    r = web_client.post("/sparql", data=LABELS.encode("utf-16"),
                        content_type="application/sparql-query; charset=utf-16")
    assert_error(r, 400, "BAD_PARAMETER", "Content-Type")


def test_syntax_error_has_its_position(web_client):
    r = web_client.get("/sparql", query_string={"query": "SELECT * WHERE {\n ?s ?p \n ?o ?x }"})
    assert_error(r, 400, "QUERY_SYNTAX", "line 3, column 9")
    r = web_client.get(
        "/sparql", query_string={"query": "PREFIX a: <http://x/>\nSELECT * { ?s b:p ?o }"})
    body = assert_error(r, 400, "QUERY_SYNTAX", "line 2, column 15")
    assert "b:" in body["message"]


def test_service_is_rejected_before_any_connection(web_client):
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"
    assert_error(web_client.get("/sparql", query_string={"query": query}), 400, "QUERY_REJECTED")


UPDATE = f"INSERT DATA {{ <{POLE}> <http://x/p> 'new' }}"


def _pole_triples(client) -> int:
    r = client.get("/sparql", query_string={"query": f"SELECT * WHERE {{ <{POLE}> ?p ?o }}"})
    return len(r.get_json()["results"]["bindings"])


@pytest.mark.parametrize("route", ["get update=", "get query=", "form update=", "form query=",
                                   "sparql-update", "direct query"])
def test_updates_are_forbidden_by_every_route(web_client, route):
    before = _pole_triples(web_client)
    r = {
        "get update=": lambda: web_client.get("/sparql", query_string={"update": UPDATE}),
        "get query=": lambda: web_client.get("/sparql", query_string={"query": UPDATE}),
        "form update=": lambda: web_client.post("/sparql", data={"update": UPDATE}),
        "form query=": lambda: web_client.post("/sparql", data={"query": UPDATE}),
        "sparql-update": lambda: web_client.post(
            "/sparql", data=UPDATE.encode(), content_type="application/sparql-update"),
        "direct query": lambda: web_client.post(
            "/sparql", data=UPDATE.encode(), content_type="application/sparql-query"),
    }[route]()
    assert_error(r, 403, "UPDATE_FORBIDDEN")
    assert _pole_triples(web_client) == before == 4


def test_oversize_request_is_413(web_store):
    app = create_app(web_settings_for(web_store, max_request_bytes=2000))
    try:
        client = app.test_client()
        big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 3000
        r = client.post("/sparql", data=big.encode(), content_type="application/sparql-query")
        assert_error(r, 413, "REQUEST_TOO_LARGE")
        r = client.post("/sparql", data={"query": big})
        assert_error(r, 413, "REQUEST_TOO_LARGE")
        r = client.get("/sparql", query_string={"query": big})
        assert_error(r, 413, "REQUEST_TOO_LARGE")
    finally:
        app.extensions["essgraph"].close()


def test_http_errors_have_the_same_shape(web_client):
    assert_error(web_client.get("/nowhere"), 404, "NOT_FOUND")
    r = web_client.delete("/sparql")
    assert_error(r, 405, "METHOD_NOT_ALLOWED")
    assert "GET" in r.headers["Allow"]


# --- limits ----------------------------------------------------------------------------


def test_row_limit_truncates_and_says_so(web_store):
    app = create_app(web_settings_for(web_store, max_rows=5))
    try:
        client = app.test_client()
        query = "SELECT ?s WHERE { ?s ?p ?o }"
        r = client.get("/sparql", query_string={"query": query})
        assert r.status_code == 200
        assert r.headers["X-Essgraph-Truncated"] == "true"
        assert r.headers["X-Essgraph-Row-Limit"] == "5"
        assert len(r.get_json()["results"]["bindings"]) == 5
        r = client.get("/sparql", query_string={"query": query, "format": "xml"})
        assert b"<!-- essgraph: truncated to the first 5 rows" in r.data
        assert len(list(ox.parse_query_results(r.data, format=ox.QueryResultsFormat.XML))) == 5
        assert len(client.get("/sparql", query_string={
            "query": query, "format": "csv"}).data.decode().splitlines()) == 6
        r = client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }"})
        assert r.headers["X-Essgraph-Truncated"] == "true"
        assert r.data.startswith(b"# essgraph: truncated to the first 5 triples")
        assert len(rdflib.Graph().parse(data=r.data, format="turtle")) == 5
        r = client.get("/sparql", query_string={"query": "SELECT ?s { ?s a ?c }"})
        assert "X-Essgraph-Truncated" not in r.headers
        metrics = client.get("/metrics").data.decode()
        assert "essgraph_truncated_results_total 4" in metrics
    finally:
        app.extensions["essgraph"].close()


def test_timeout_kills_the_query_and_others_are_served(web_store):
    app = create_app(web_settings_for(web_store, query_timeout=1.0, query_workers=2))
    try:
        client = app.test_client()
        assert client.get("/healthz").status_code == 200  # workers up
        slow: dict = {}

        def run_slow():
            started = time.perf_counter()
            slow["response"] = app.test_client().get("/sparql", query_string={"query": SLOW})
            slow["seconds"] = time.perf_counter() - started

        thread = threading.Thread(target=run_slow)
        thread.start()
        time.sleep(0.2)
        r = client.get("/sparql", query_string={"query": LABELS})
        assert r.status_code == 200 and len(labels(r)) == 2
        assert thread.is_alive()  # served while the slow one still runs
        thread.join(10)
        assert_error(slow["response"], 503, "QUERY_TIMEOUT")
        assert 1.0 <= slow["seconds"] < 5.0
        # the killed worker was replaced: both can serve again
        for _ in range(4):
            assert client.get("/sparql", query_string={"query": ASK_POLE}).status_code == 200
        metrics = client.get("/metrics").data.decode()
        assert "essgraph_query_timeouts_total 1" in metrics
        assert 'essgraph_errors_total{code="QUERY_TIMEOUT"} 1' in metrics
    finally:
        app.extensions["essgraph"].close()


def test_a_new_build_is_picked_up(tmp_path):
    make_store(tmp_path)
    app = create_app(web_settings_for(tmp_path, query_workers=1))
    try:
        client = app.test_client()
        assert client.get("/healthz").get_json()["build"] == "test"
        make_store(tmp_path, "second")
        r = client.get("/sparql", query_string={"query": ASK_POLE})
        assert r.headers["X-Essgraph-Build"] == "second"
        assert client.get("/healthz").get_json()["build"] == "second"
    finally:
        app.extensions["essgraph"].close()


def test_no_build_is_503(tmp_path):
    app = create_app(web_settings_for(tmp_path / "empty", query_workers=1))
    try:
        client = app.test_client()
        assert_error(client.get("/healthz"), 503, "STORE_NOT_BUILT")
        r = client.get("/sparql", query_string={"query": LABELS})
        assert_error(r, 503, "STORE_NOT_BUILT")
        assert client.get("/sparql").status_code == 200  # the description still answers
    finally:
        app.extensions["essgraph"].close()


# --- service description, ops ----------------------------------------------------------


def test_service_description(web_client):
    r = web_client.get("/sparql")
    assert r.status_code == 200 and r.mimetype == "text/turtle"
    graph = rdflib.Graph().parse(data=r.data, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    service = graph.value(predicate=rdflib.RDF.type, object=sd.Service)
    assert (service, sd.feature, sd.UnionDefaultGraph) in graph
    assert (service, sd.supportedLanguage, sd.SPARQL11Query) in graph
    assert (service, sd.endpoint, rdflib.URIRef(BASE_URL + "sparql")) in graph
    formats = set(graph.objects(service, sd.resultFormat))
    assert rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON") in formats
    assert len(formats) == 8
    names = {str(n) for n in graph.objects(None, sd.name)}
    assert names == {G_SOURCE, G_ONTOLOGY, G_BULK}


def test_service_description_negotiates(web_client):
    r = web_client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert r.mimetype == "application/ld+json"
    assert len(rdflib.Graph().parse(data=r.data, format="json-ld")) > 10
    r = web_client.get("/sparql", query_string={"format": "nt"})
    assert r.mimetype == "application/n-triples"


def test_healthz(web_client):
    r = web_client.get("/healthz")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok", "build": "test", "triples": 9 + BULK, "graphs": 3}


def test_metrics(web_client):
    web_client.get("/sparql", query_string={"query": LABELS})
    web_client.get("/sparql", query_string={"query": ASK_POLE})
    web_client.get("/sparql", query_string={"query": "SELECT"})
    text = web_client.get("/metrics").data.decode()
    assert 'essgraph_queries_total{kind="select"} 1' in text
    assert 'essgraph_queries_total{kind="ask"} 1' in text
    assert 'essgraph_errors_total{code="QUERY_SYNTAX"} 1' in text
    assert 'essgraph_query_duration_seconds{quantile="0.5"}' in text
    assert "essgraph_query_duration_seconds_count 2" in text


# --- HTTP details ----------------------------------------------------------------------


def test_cors(web_client):
    r = web_client.get("/sparql", query_string={"query": ASK_POLE},
                       headers={"Origin": "https://example.org"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-Essgraph-Truncated" in r.headers["Access-Control-Expose-Headers"]
    r = web_client.options("/sparql", headers={
        "Origin": "https://example.org",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    })
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    assert r.headers["Access-Control-Allow-Headers"] == "content-type"
    error = web_client.get("/sparql", query_string={"query": "SELECT"})
    assert error.headers["Access-Control-Allow-Origin"] == "*"


def test_head(web_client):
    get = web_client.get("/sparql", query_string={"query": LABELS})
    head = web_client.head("/sparql", query_string={"query": LABELS})
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert head.headers["Content-Length"] == get.headers["Content-Length"]
    assert web_client.head("/sparql").status_code == 200


def test_gzip(web_client):
    query = "SELECT ?s ?o WHERE { ?s ?p ?o } LIMIT 200"
    plain = web_client.get("/sparql", query_string={"query": query})
    assert "Content-Encoding" not in plain.headers
    zipped = web_client.get("/sparql", query_string={"query": query},
                            headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert len(zipped.data) < len(plain.data)
    assert json.loads(gzip.decompress(zipped.data)) == plain.get_json()
    refused = web_client.get("/sparql", query_string={"query": query},
                             headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers
