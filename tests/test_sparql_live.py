"""/sparql on a real server (`serve()`, gunicorn, 127.0.0.1) with real clients: SPARQLWrapper
for every query form and format by GET and POST, requests for HTTP details, and a counting
TCP listener proving SERVICE and FROM never make the server connect anywhere."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
import rdflib
import requests
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

import web_fixtures
from web_fixtures import BULK, G_ONTOLOGY, POLE, RESEAU

live_url = web_fixtures.live_url  # the fixture: serve() in a subprocess, module-scoped

SKOS_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"
LABELS = f"SELECT ?s ?l WHERE {{ ?s <{SKOS_LABEL}> ?l }} ORDER BY ?s"
CONSTRUCT = f"CONSTRUCT {{ ?s <{SKOS_LABEL}> ?l }} WHERE {{ ?s <{SKOS_LABEL}> ?l }}"
DESCRIBE = f"DESCRIBE <{POLE}>"
METHODS = {"get": (GET, URLENCODED), "post form": (POST, URLENCODED),
           "post direct": (POST, POSTDIRECTLY)}


def client(url: str, query: str, fmt: str, method: str) -> SPARQLWrapper:
    sparql = SPARQLWrapper(url)
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    http_method, request_method = METHODS[method]
    sparql.setMethod(http_method)
    sparql.setRequestMethod(request_method)
    return sparql


@pytest.mark.parametrize("method", METHODS)
def test_select_json(live_url, method):
    result = client(live_url, LABELS, JSON, method).queryAndConvert()
    rows = [(b["s"]["value"], b["l"]["value"], b["l"]["xml:lang"])
            for b in result["results"]["bindings"]]
    assert rows == [(POLE, "Pôle ESS 21", "fr"), (RESEAU, 'Réseau, "ESS"\ttab', "fr")]


@pytest.mark.parametrize("method", METHODS)
def test_select_xml(live_url, method):
    document = client(live_url, LABELS, XML, method).queryAndConvert()
    literals = [n.firstChild.data for n in document.getElementsByTagName("literal")]
    assert literals == ["Pôle ESS 21", 'Réseau, "ESS"\ttab']


@pytest.mark.parametrize("method", METHODS)
def test_select_csv_and_tsv(live_url, method):
    csv = client(live_url, LABELS, CSV, method).queryAndConvert().decode()
    assert csv.splitlines()[:2] == ["s,l", f"{POLE},Pôle ESS 21"]
    tsv = client(live_url, LABELS, TSV, method).query()
    assert tsv.response.headers["Content-Type"].startswith("text/tab-separated-values")
    assert tsv.convert().decode().splitlines()[1] == f'<{POLE}>\t"Pôle ESS 21"@fr'


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fmt", [JSON, XML, CSV])
def test_ask(live_url, method, fmt):
    result = client(live_url, f"ASK {{ <{POLE}> ?p ?o }}", fmt, method).queryAndConvert()
    if fmt == JSON:
        assert result["boolean"] is True
    elif fmt == XML:
        assert result.getElementsByTagName("boolean")[0].firstChild.data == "true"
    else:
        assert result.decode().strip() == "true"


def _has_pole_label(graph: rdflib.Graph) -> bool:
    return (rdflib.URIRef(POLE), rdflib.URIRef(SKOS_LABEL),
            rdflib.Literal("Pôle ESS 21", lang="fr")) in graph


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE], ids=["construct", "describe"])
def test_graph_formats(live_url, method, query):
    turtle = client(live_url, query, TURTLE, method).query()
    assert turtle.response.headers["Content-Type"].startswith("text/turtle")
    assert _has_pole_label(rdflib.Graph().parse(data=turtle.convert(), format="turtle"))

    rdfxml = client(live_url, query, RDFXML, method).queryAndConvert()
    assert isinstance(rdfxml, rdflib.Graph) and _has_pole_label(rdfxml)

    jsonld = client(live_url, query, JSONLD, method).queryAndConvert()
    assert isinstance(jsonld, rdflib.Graph) and _has_pole_label(jsonld)

    nt = client(live_url, query, N3, method)
    nt.setOnlyConneg(True)  # no format= parameter: the Accept header decides
    nt.addCustomHttpHeader("Accept", "application/n-triples")
    result = nt.query()
    assert result.response.headers["Content-Type"] == "application/n-triples"
    assert _has_pole_label(rdflib.Graph().parse(data=result.convert(), format="nt"))


def test_dataset_by_protocol_parameter(live_url):
    sparql = client(live_url, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", JSON, "get")
    assert sparql.queryAndConvert()["results"]["bindings"][0]["n"]["value"] == str(9 + BULK)
    sparql.addDefaultGraph(G_ONTOLOGY)
    assert sparql.queryAndConvert()["results"]["bindings"][0]["n"]["value"] == "3"


def test_http_details(live_url):
    r = requests.get(live_url, params={"query": "SELECT * { ?s ?p ?o } LIMIT 100"},
                     headers={"Accept-Encoding": "gzip", "Origin": "https://example.org"})
    assert r.status_code == 200
    assert r.headers["Content-Encoding"] == "gzip"
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert len(r.json()["results"]["bindings"]) == 100
    preflight = requests.options(live_url, headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200 and "POST" in preflight.headers[
        "Access-Control-Allow-Methods"]
    head = requests.head(live_url, params={"query": LABELS})
    assert head.status_code == 200 and head.content == b""
    sd = requests.get(live_url)
    assert sd.headers["Content-Type"].startswith("text/turtle")
    assert "sd:UnionDefaultGraph" in sd.text
    error = requests.post(live_url, data={"update": "CLEAR ALL"})
    assert error.status_code == 403 and error.json()["error"] == "UPDATE_FORBIDDEN"
    metrics = requests.get(live_url.rsplit("/", 1)[0] + "/metrics").text
    assert "essgraph_queries_total" in metrics


# --- no outgoing connections -------------------------------------------------------------


class CountingListener:
    """A TCP server on 127.0.0.1 that counts connections and closes them at once."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[CountingListener]:
    counting = CountingListener()
    yield counting
    counting.close()


def test_the_listener_counts_what_pyoxigraph_would_do_unguarded(listener):
    """Control: pyoxigraph itself does follow SERVICE (so the guard is needed) ..."""
    code = (
        "import pyoxigraph as ox\n"
        f"q = 'SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/> {{ ?s ?p ?o }} }}'\n"
        "try:\n    list(ox.Store().query(q))\nexcept Exception:\n    pass\n"
    )
    subprocess.run([sys.executable, "-c", code], timeout=60, check=True)
    assert listener.connections >= 1


def test_pyoxigraph_never_dereferences_from(listener):
    """... but never dereferences FROM / FROM NAMED: they only name graphs of the dataset."""
    code = (
        "import pyoxigraph as ox\n"
        f"g = 'http://127.0.0.1:{listener.port}/x'\n"
        "q = f'SELECT * FROM <{g}> FROM NAMED <{g}> '\n"
        "q += 'WHERE { ?s ?p ?o . GRAPH ?g { ?a ?b ?c } }'\n"
        "print(len(list(ox.Store().query(q))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], timeout=60, check=True,
                         capture_output=True, text=True)
    assert out.stdout.strip() == "0"
    assert listener.connections == 0


@pytest.mark.parametrize("query", [
    "SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?x ?y ?z OPTIONAL {{ SERVICE SILENT <http://127.0.0.1:{port}/> "
    "{{ ?s ?p ?o }} }} }}",
    "SELECT * WHERE {{ VALUES ?e {{ <http://127.0.0.1:{port}/> }} SERVICE ?e {{ ?s ?p ?o }} }}",
    "SELECT * FROM <http://127.0.0.1:{port}/x> WHERE {{ ?s ?p ?o }}",
    "SELECT * FROM NAMED <http://127.0.0.1:{port}/x> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "CONSTRUCT WHERE {{ ?s ?p ?o }}",  # via default-graph-uri below
], ids=["service", "service silent", "service variable", "from", "from named", "graph-uri"])
def test_the_server_makes_no_connection(live_url, listener, query):
    sparql = client(live_url, query.format(port=listener.port), JSON, "get")
    if "CONSTRUCT" in query:
        sparql.setReturnFormat(TURTLE)
        sparql.addDefaultGraph(f"http://127.0.0.1:{listener.port}/x")
    with pytest.raises(QueryBadFormed):
        sparql.query()
    assert listener.connections == 0
