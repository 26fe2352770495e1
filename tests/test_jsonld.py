"""JSON-LD people can use: framed per type, compacted with the published context, and
lossless: read back by pyld (with the frozen loader), by rdflib and by pyoxigraph, an
entity's JSON-LD gives exactly the triples of its Turtle. Nothing is fetched from the
network while JSON-LD is produced or read: a socket guard and a counting listener prove it.
"""

from __future__ import annotations

import functools
import json
import re
import socket
import threading
from collections import defaultdict

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from essgraph import linkeddata as ld
from essgraph import vocab
from essgraph.errors import UnsafeInput
from test_linked_data import SAMPLES, entity_iris, make_app, real_store, sample_path

PER_TYPE = 15  # entities checked per type (the first ones, by IRI)
PATH_KIND = {"organisation": "actor", "collectivite": "actor", "personne": "actor",
             "territoire": "territory", "politique": "policy", "instance": "body",
             "evenement": "event", "partenariat": "partnership", "indicateur": "indicator",
             "source": "source"}


@pytest.fixture(scope="module")
def app():
    app = make_app(real_store())
    yield app
    app.extensions["essgraph"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@functools.cache
def by_type() -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for iri in entity_iris(real_store()):
        rest = iri[len(ld.PUBLIC_BASE):]
        head = rest.split("/")[1] if rest.startswith("id/") else "concept"
        groups[head if head == "concept" else PATH_KIND.get(head, "other")].append(iri)
    return groups


def rdflib_graph(triples) -> rdflib.Graph:
    return rdflib.Graph().parse(data=ld.nt_bytes(list(triples)).decode(), format="nt")


def round_trip(client, iri: str) -> None:
    path = ld.local_path(iri)
    turtle = client.get(path + ".ttl")
    document = client.get(path + ".jsonld")
    assert turtle.status_code == 200 and document.status_code == 200, iri
    expected = rdflib.Graph().parse(data=turtle.data.decode(), format="turtle")
    body = json.loads(document.data)
    assert body["@context"] == ld.context_url(), "documents reference the published context"
    # 1. pyld, resolving the context through the frozen loader
    by_pyld = ld.to_rdf(body, ld.frozen_loader())
    assert isomorphic(rdflib_graph(by_pyld), expected), f"pyld: {iri}"
    # 2. rdflib and 3. pyoxigraph, given the context inline (they must not fetch it)
    inline = json.dumps(ld.inline_context(body))
    by_rdflib = rdflib.Graph().parse(data=inline, format="json-ld")
    assert isomorphic(by_rdflib, expected), f"rdflib: {iri}"
    by_ox = [q.triple for q in ox.parse(inline.encode(), format=ox.RdfFormat.JSON_LD)]
    assert isomorphic(rdflib_graph(by_ox), expected), f"pyoxigraph: {iri}"
    assert len(expected) == len(set(by_ox)) == len(set(by_pyld))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("kind", [*dict.fromkeys(PATH_KIND.values()), "other", "concept"])
def test_round_trip_with_three_parsers(client, kind):
    iris = by_type()[kind][:PER_TYPE]
    assert iris, kind
    for iri in iris:
        round_trip(client, iri)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_html_page_embeds_the_same_json_ld_with_the_context_inline(client):
    for kind in ("actor", "territory", "event", "concept"):
        path = sample_path(kind)
        page = client.get(path).get_data(as_text=True)
        embedded = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
        assert embedded, path
        document = json.loads(embedded.group(1))
        assert isinstance(document["@context"], dict)
        published = json.loads(client.get(path + ".jsonld").data)
        assert document == ld.inline_context(published)
        graph = rdflib.Graph().parse(data=embedded.group(1), format="json-ld")
        turtle = client.get(path + ".ttl").data.decode()
        assert isomorphic(graph, rdflib.Graph().parse(data=turtle, format="turtle"))


# --- framing ---------------------------------------------------------------------------


def get(client, kind: str) -> tuple[dict, str]:
    response = client.get(sample_path(kind), headers={"Accept": "application/ld+json"})
    assert response.status_code == 200
    return json.loads(response.data), response.headers["Link"]


def as_list(value):
    return value if isinstance(value, list) else [value]


def test_actor_frame_embeds_territory_partnerships_events_and_sources(client):
    doc, link = get(client, "actor")
    assert '</context/frames/actor.jsonld>; rel="profile"' in link
    assert '</context/v1.jsonld>; rel="describedby"' in link
    assert doc["id"] == ld.PUBLIC_BASE + SAMPLES["actor"]
    assert list(doc)[:2] == ["@context", "id"]
    assert "Actor" in doc["type"] and "schema:Organization" in doc["type"]
    assert doc["label"]["fr"] == "Pôle d'Economie Solidaire 21"
    partnerships = as_list(doc["partnerships"])
    assert all(p["type"] == "Partnership" for p in partnerships)
    partner_names = [p2["label"]["fr"] for p in partnerships for p2 in as_list(p["partner"])
                     if isinstance(p2, dict) and "label" in p2]
    assert "Dijon Métropole" in partner_names
    events = as_list(doc["organizerOf"])
    assert events[0]["type"] == "Event" and events[0]["eventStart"] == "2024-11-28"
    assert doc["derivedFrom"]["type"] == "SourceDocument" and doc["derivedFrom"]["title"]["fr"]
    quotes = as_list(doc["citation"])
    assert all(c["quote"] and c["section"] for c in quotes)


def test_each_type_has_its_frame(client):
    for kind in ("actor", "territory", "policy", "body", "event", "partnership", "indicator",
                 "source"):
        doc, link = get(client, kind)
        assert f'</context/frames/{kind}.jsonld>; rel="profile"' in link, kind
        assert doc["id"] == ld.PUBLIC_BASE + sample_path(kind)[1:]
        frame = json.loads(client.get(f"/context/frames/{kind}.jsonld").data)
        assert frame["@type"] in as_list(doc["type"]), kind
    territory, _ = get(client, "territory")
    within = as_list(territory["within"])
    assert any(isinstance(w, dict) and w.get("label") for w in within)
    assert isinstance(territory["population"], str)  # typed by the context: xsd:integer
    event, _ = get(client, "event")
    assert isinstance(event["location"], dict) and event["location"]["label"]["fr"]
    partnership, _ = get(client, "partnership")
    assert all(isinstance(p, dict) and p["label"] for p in as_list(partnership["partner"]))
    indicator, _ = get(client, "indicator")
    assert "value" in indicator or "ess:value" in indicator


def test_dates_and_decimals_are_typed_by_the_context():
    context = ld.context_document()["@context"]
    assert context["value"] == {"@id": "ess:value", "@type": "xsd:decimal"}
    assert context["startDate"]["@type"] == "xsd:date"
    assert context["label"]["@container"] == "@language"


# --- no network ------------------------------------------------------------------------


class CountingListener:
    """A TCP listener on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.count = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.count += 1
            conn.close()

    def close(self):
        self.sock.close()


@pytest.fixture
def no_inet(monkeypatch):
    """Fail any attempt to open an internet socket connection in this process."""
    attempts = []
    real_connect = socket.socket.connect

    def guarded(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(address)
            raise OSError(f"network access attempted during a JSON-LD operation: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    return attempts


def test_no_network_access_during_any_json_ld_operation(no_inet):
    listener = CountingListener()
    own = f"http://127.0.0.1:{listener.port}/"
    try:
        # The server's own URL is the counting listener: a context or frame fetched from
        # there would be counted; one fetched from w3id.org would trip the socket guard.
        app = make_app(real_store(), base_url=own)
        try:
            client = app.test_client()
            for kind in SAMPLES:
                path = sample_path(kind)
                html = client.get(path)
                document = client.get(path + ".jsonld")
                assert html.status_code == 200 and document.status_code == 200, path
                body = json.loads(document.data)
                assert body["@context"] == ld.context_url()
                # Read back by pyld with the frozen loader: served from disk, no fetch,
                # whether the context is named by its public URL or by the server's own.
                assert ld.to_rdf(body, ld.frozen_loader())
                body["@context"] = own + "context/v1.jsonld"
                assert ld.to_rdf(body, ld.frozen_loader((own,)))
            assert client.get("/ontology.jsonld").status_code == 200
            assert client.get("/actors.jsonld").status_code == 200
        finally:
            app.extensions["essgraph"].close()
        # A document pointing at any other context is refused, not fetched.
        foreign = {"@context": own + "elsewhere.jsonld", "name": "x"}
        with pytest.raises(UnsafeInput, match="own context"):
            ld.to_rdf(foreign, ld.frozen_loader((ld.PUBLIC_BASE,)))
        remote = {"@context": "https://example.org/ctx.jsonld", "name": "x"}
        with pytest.raises(UnsafeInput):
            ld.to_rdf(remote, ld.frozen_loader())
    finally:
        listener.close()
    assert listener.count == 0, "something connected to the public base"
    assert no_inet == [], f"connection attempts: {no_inet}"


def test_frozen_loader_stays_in_the_context_folder():
    load = ld.frozen_loader()
    assert load(ld.context_url(), {})["document"]["@context"]["label"]
    for url in (ld.PUBLIC_BASE + "context/../pyproject.toml",
                ld.PUBLIC_BASE + "context/frames/../../README.md",
                ld.PUBLIC_BASE + "id/organisation/x", "file:///etc/passwd"):
        with pytest.raises(UnsafeInput):
            load(url, {})


def test_ontology_terms_in_documents_compact_to_short_names(client):
    doc, _ = get(client, "actor")
    text = json.dumps(doc)
    assert vocab.ESS not in text, "every ess: term used has a short name in the context"
