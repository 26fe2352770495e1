"""Linked Data resources: every entity IRI dereferences by content negotiation and at suffix
URLs, with the headers Linked Data clients read (Vary, Content-Location, Link, ETag,
Last-Modified), 404/406 in the one error shape, no blank nodes, and byte-identical documents
across two builds of the same data. Through Flask's test client and a live server.

The store is the real build (the data files, the ontology, territories "used"), made once
per test session by `real_store()`; the other Linked Data test modules import it from here.
"""

from __future__ import annotations

import atexit
import gzip
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from essgraph import linkeddata as ld
from essgraph import vocab
from essgraph.config import Settings

FORMATS = {  # suffix: (media type asked, media type answered)
    "html": ("text/html", "text/html"),
    "jsonld": ("application/ld+json", "application/ld+json"),
    "ttl": ("text/turtle", "text/turtle"),
    "nt": ("application/n-triples", "application/n-triples"),
    "rdf": ("application/rdf+xml", "application/rdf+xml"),
}
OX = {"jsonld": ox.RdfFormat.JSON_LD, "ttl": ox.RdfFormat.TURTLE,
      "nt": ox.RdfFormat.N_TRIPLES, "rdf": ox.RdfFormat.RDF_XML}
# One entity of each kind (and the other resources that dereference), from the real data.
SAMPLES = {
    "actor": "id/organisation/pole-economie-solidaire-21",
    "territory": "id/territoire/commune/21231",
    "policy": "id/politique/feuille-de-route-ess-m2a-2024",
    "body": "id/instance/club-ess-m2a",
    "event": "id/evenement/engager-sa-collectivite-dijon-2024",
    "partnership": "id/partenariat/co-organisation-forum-dijon-2024",
    "indicator": None,  # the first indicator of the build
    "source": "id/source/002",
    "venue": "id/lieu/cesam-espace-co-hop",
    "citation": "id/citation/002/titre",
    "concept": "concept/theme/reemploi",
    "scheme": "concept/theme",
}

_BUILDS: dict[str, Path] = {}


def _build_into(store_dir: Path) -> None:
    """The real build; with no shapes if the shapes (being extended elsewhere) reject it,
    since these tests are about publishing, not validation."""
    from essgraph.build import build
    from essgraph.errors import ValidationFailed

    settings = Settings.load(env={}, store_dir=store_dir, territories_scope="used", keep_builds=1)
    try:
        build(settings)
    except ValidationFailed:
        empty = store_dir.parent / "no-shapes"
        empty.mkdir(exist_ok=True)
        build(settings.with_(shapes_dir=empty))


def real_store(name: str = "a") -> Path:
    """A store dir holding the real build, made once per process for each `name`."""
    if name not in _BUILDS:
        root = Path(tempfile.mkdtemp(prefix=f"essgraph-ld-{name}-"))
        atexit.register(shutil.rmtree, root, True)
        _build_into(root / "store")
        _BUILDS[name] = root / "store"
    return _BUILDS[name]


def entity_iris(store_dir: Path) -> list[str]:
    """Every IRI of the graph's namespaces that has triples of its own, read directly."""
    from essgraph.store.builds import current_build

    store = ox.Store.read_only(str(current_build(store_dir)))
    query = f"""SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(isIRI(?s)
      && (STRSTARTS(STR(?s), "{vocab.ID}") || STRSTARTS(STR(?s), "{vocab.CONCEPT}"))) }}
      ORDER BY ?s"""
    out = [row[0].value for row in store.query(query, use_default_graph_as_union=True)]
    del store
    return out


def select(store_dir: Path, query: str) -> list[tuple]:
    from essgraph.store.builds import current_build

    store = ox.Store.read_only(str(current_build(store_dir)))
    rows = [tuple(t.value if t is not None else None for t in row)
            for row in store.query(vocab.sparql_prologue() + query,
                                   use_default_graph_as_union=True)]
    del store
    return rows


def make_app(store_dir: Path, **overrides):
    from essgraph.web import create_app

    values = {"store_dir": store_dir, "base_url": "http://essgraph.test/", "query_workers": 2}
    values.update(overrides)
    settings = Settings.load(env={}, **values)
    app = create_app(settings)
    app.config["TESTING"] = True
    return app


@pytest.fixture(scope="module")
def ld_app():
    app = make_app(real_store())
    yield app
    app.extensions["essgraph"].close()


@pytest.fixture
def client(ld_app):
    return ld_app.test_client()


def sample_path(kind: str) -> str:
    path = SAMPLES[kind]
    if path is None:
        first = next(i for i in entity_iris(real_store()) if "/id/indicateur/" in i)
        path = first[len(ld.PUBLIC_BASE):]
    return "/" + path


@pytest.fixture(scope="module")
def live_root() -> Iterator[str]:
    """`essgraph serve` (gunicorn) on a free port of 127.0.0.1 over the real build."""
    from web_fixtures import live_server

    with live_server(env={"ESSGRAPH_STORE_DIR": str(real_store())}) as server:
        yield server.root


def graph_of(body: bytes, key: str) -> set[ox.Triple]:
    if key == "jsonld":
        body = inline_jsonld(body)
    return {q.triple if isinstance(q, ox.Quad) else q for q in ox.parse(body, format=OX[key])}


def inline_jsonld(body: bytes) -> bytes:
    """The document with the context's content in place of its URL (no fetch needed)."""
    import json

    return json.dumps(ld.inline_context(json.loads(body))).encode()


# --- content negotiation and suffixes --------------------------------------------------


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_every_format_by_accept_and_by_suffix(client, kind):
    path = sample_path(kind)
    graphs = {}
    for key, (asked, answered) in FORMATS.items():
        by_accept = client.get(path, headers={"Accept": asked})
        assert by_accept.status_code == 200, (path, key, by_accept.data[:300])
        assert by_accept.mimetype == answered
        assert by_accept.headers["Content-Location"] == f"{path}.{key}"
        assert "Accept" in by_accept.headers["Vary"]
        links = by_accept.headers["Link"]
        for other, (_, media) in FORMATS.items():
            assert f'<{path}.{other}>; rel="alternate"; type="{media}"' in links
        by_suffix = client.get(f"{path}.{key}", headers={"Accept": "image/png"})
        assert by_suffix.status_code == 200 and by_suffix.mimetype == answered
        if key != "html":  # an HTML page links to itself (language switch) by its own URL
            assert by_suffix.data == by_accept.data
            graphs[key] = graph_of(by_accept.data, key)
    assert all(g == graphs["nt"] for g in graphs.values()), "formats disagree"
    iri = ld.PUBLIC_BASE + path[1:]
    assert any(t.subject == ox.NamedNode(iri) for t in graphs["nt"])


def test_wildcard_and_no_accept_get_html(client):
    path = sample_path("actor")
    for headers in ({"Accept": "*/*"}, {}, {"Accept": "text/*;q=0.5, */*;q=0.1"}):
        response = client.get(path, headers=headers)
        assert response.status_code == 200 and response.mimetype == "text/html", headers
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert client.get(path, headers={"Accept": browser}).mimetype == "text/html"
    assert client.get(path, headers={"Accept": "application/json"}).mimetype == \
        "application/ld+json"
    assert client.get(path, headers={"Accept": "text/plain"}).mimetype == "application/n-triples"


def test_not_acceptable_lists_the_formats(client):
    response = client.get(sample_path("actor"), headers={"Accept": "image/png"})
    assert response.status_code == 406
    body = response.get_json()
    assert list(body) == ["error", "message", "where"]
    assert body["error"] == "NOT_ACCEPTABLE" and body["where"] == "Accept"
    for _, media in FORMATS.values():
        assert media in body["message"]


def test_unknown_resource_is_a_helpful_page_or_the_error_shape(client):
    html = client.get("/id/organisation/does-not-exist", headers={"Accept": "text/html"})
    assert html.status_code == 404 and html.mimetype == "text/html"
    text = html.get_data(as_text=True)
    assert 'role="search"' in text and "/sparql" in text and "does-not-exist" in text
    for key in ("jsonld", "ttl", "nt", "rdf"):
        response = client.get("/id/organisation/does-not-exist",
                              headers={"Accept": FORMATS[key][0]})
        assert response.status_code == 404
        body = response.get_json(force=True)
        assert body["error"] == "NOT_FOUND" and body["where"] == "/id/organisation/does-not-exist"
    suffixed = client.get("/id/organisation/does-not-exist.ttl")
    assert suffixed.status_code == 404 and suffixed.get_json(force=True)["error"] == "NOT_FOUND"
    assert client.get("/concept/nope/nope.nt").status_code == 404


def test_unknown_frame_and_bad_suffix(client):
    response = client.get("/context/frames/nope.jsonld")
    assert response.status_code == 404 and response.get_json()["error"] == "NOT_FOUND"


# --- caching ---------------------------------------------------------------------------


def test_etag_and_last_modified_give_304(client):
    path = sample_path("event")
    tags = set()
    for asked, _ in FORMATS.values():
        first = client.get(path, headers={"Accept": asked})
        tag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        tags.add(tag)
        again = client.get(path, headers={"Accept": asked, "If-None-Match": tag})
        assert again.status_code == 304 and again.data == b""
        since = client.get(path, headers={"Accept": asked, "If-Modified-Since": modified})
        assert since.status_code == 304
        assert client.get(path, headers={"Accept": asked, "If-None-Match": 'W/"x"'}) \
            .status_code == 200
    assert len(tags) == len(FORMATS), "one ETag per media type"


def test_etag_is_the_hash_of_the_canonical_document(client):
    path = sample_path("actor")
    nt = client.get(path + ".nt")
    triples = ld.canonical(ld.parse_nt(nt.data))
    assert nt.data == ld.nt_bytes(triples)
    assert nt.headers["ETag"] == f'W/"{ld.etag(triples, "application/n-triples")}"'


@pytest.mark.parametrize("path", ["/", "/ontology", "/actors", "/context/v1.jsonld"])
def test_other_pages_are_conditional_too(client, path):
    first = client.get(path)
    assert first.status_code == 200 and first.headers.get("ETag")
    assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


# --- what documents hold ---------------------------------------------------------------


def test_no_entity_document_has_a_blank_node_and_each_is_about_its_iri(client):
    iris = entity_iris(real_store())
    assert len(iris) > 500
    for iri in iris:
        path = ld.local_path(iri)
        response = client.get(path + ".nt")
        assert response.status_code == 200, iri
        triples = ld.parse_nt(response.data)
        assert not ld.has_blank_nodes(triples), iri
        assert any(t.subject.value == iri for t in triples), iri


def test_document_holds_labels_types_and_sources_of_what_it_links_to(client):
    triples = ld.parse_nt(client.get(sample_path("actor") + ".nt").data)
    iri = ld.PUBLIC_BASE + SAMPLES["actor"]
    by = {(t.subject.value, t.predicate.value) for t in triples}
    objects = [t.object.value for t in triples
               if t.subject.value == iri and isinstance(t.object, ox.NamedNode)
               and t.predicate.value not in (ld.RDF_TYPE, vocab.ESS + "citation")]
    for o in objects:  # every linked resource that has a label in the data shows it
        assert (o, ld.LABEL) in by or (o, ld.RDF_TYPE) in by or (o, vocab.DCT + "title") in by \
            or not o.startswith(ld.PUBLIC_BASE), o
    source = ld.PUBLIC_BASE + "id/source/002"
    assert (source, vocab.DCT + "title") in by
    citations = [t.object.value for t in triples
                 if t.subject.value == iri and t.predicate.value == vocab.ESS + "citation"]
    assert citations
    for c in citations:
        assert (c, vocab.ESS + "quote") in by and (c, vocab.ESS + "section") in by
    # schema.org terms are in the data itself (subclass entailment), not only in the context.
    assert (iri, ld.RDF_TYPE) in by
    assert ox.Triple(ox.NamedNode(iri), ox.NamedNode(ld.RDF_TYPE),
                     ox.NamedNode(vocab.SCHEMA + "Organization")) in triples
    # and it says what points at it: a partnership it is a party of, with the partners
    assert any(t.predicate.value == vocab.ESS + "party" and t.object.value == iri
               for t in triples)
    # inferred rdfs:label copies and the inverse ess:contains are left out
    assert not any(t.predicate.value == vocab.RDFS + "label" for t in triples)


def test_documents_are_identical_across_two_builds():
    a_dir, b_dir = real_store("a"), real_store("b")
    assert (a_dir / "current").resolve().name != (b_dir / "current").resolve().name
    app_a, app_b = make_app(a_dir), make_app(b_dir)
    try:
        ca, cb = app_a.test_client(), app_b.test_client()
        for kind in SAMPLES:
            path = sample_path(kind)
            for key in ("ttl", "nt", "jsonld", "rdf"):
                ra, rb = ca.get(f"{path}.{key}"), cb.get(f"{path}.{key}")
                assert ra.data == rb.data, (path, key)
                assert ra.headers["ETag"] == rb.headers["ETag"]
    finally:
        app_a.extensions["essgraph"].close()
        app_b.extensions["essgraph"].close()


# --- the ontology, the context, the search, the home page -------------------------------


def test_ontology_dereferences_with_a_bilingual_page(client):
    turtle = client.get("/ontology", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200
    triples = graph_of(turtle.data, "ttl")
    terms = sorted({t.subject.value for t in triples if t.subject.value.startswith(vocab.ESS)
                    and t.predicate.value == ld.RDF_TYPE and t.object.value.startswith(
                        vocab.OWL) and t.object.value != vocab.OWL + "Ontology"})
    assert len(terms) > 80
    jsonld = client.get("/ontology.jsonld")
    assert graph_of(jsonld.data, "jsonld") == triples
    page = client.get("/ontology", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert page.index('<html lang="fr"') == page.index("<html")
    english = client.get("/ontology?lang=en").get_data(as_text=True)
    assert '<html lang="en"' in english
    labels = {(t.subject.value, t.object.language) for t in triples
              if t.predicate.value == vocab.RDFS + "label"}
    for term in terms:
        anchor = term[len(vocab.ESS):]
        assert f'id="{anchor}"' in page, anchor
        assert (term, "fr") in labels and (term, "en") in labels, term
    assert page.count('lang="en"') > len(terms) and page.count('lang="fr"') > len(terms)


def test_context_is_published_with_cors_and_covers_the_ontology(client):
    response = client.get("/context/v1.jsonld", headers={"Origin": "https://example.org"})
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    context = response.get_json()["@context"]
    assert context["label"] == {"@id": "skos:prefLabel", "@container": "@language"}
    for term in ("partOf", "within", "partner", "locatedIn", "citation", "quote"):
        assert term in context
    assert context["value"]["@type"] == "xsd:decimal"
    assert context["eventStart"]["@type"] == "xsd:date"
    mapped = set()
    for value in context.values():
        if not isinstance(value, str | dict):
            continue
        iri = value if isinstance(value, str) else value.get("@id") or value.get("@reverse")
        if isinstance(iri, str) and iri.startswith("ess:"):
            mapped.add(vocab.ESS + iri[4:])
    turtle = client.get("/ontology.ttl").data
    terms = {t.subject.value for t in ox.parse(turtle, format=ox.RdfFormat.TURTLE)
             if t.subject.value.startswith(vocab.ESS) and t.predicate.value == ld.RDF_TYPE}
    assert terms - mapped == set(), "ontology terms without a short name in context/v1"
    for name in ld.FRAMES:
        frame = client.get(f"/context/frames/{name}.jsonld")
        assert frame.status_code == 200 and frame.get_json()["@context"] == ld.context_url()


def test_search_is_accent_and_case_insensitive(client):
    for q in ("POLE D'ECONOMIE", "pôle d'économie solidaire", "Économie Solidaire 21"):
        page = client.get("/search", query_string={"q": q}).get_data(as_text=True)
        assert "/id/organisation/pole-economie-solidaire-21" in page, q
    csv_text = client.get("/search.csv", query_string={"q": "mulhouse"}).get_data(as_text=True)
    assert csv_text.startswith("iri,label,matched") and "mulhouse" in csv_text.lower()
    empty = client.get("/search", query_string={"q": "zzzzqqq"})
    assert empty.status_code == 200


def test_home_page_links_everywhere(client):
    page = client.get("/").get_data(as_text=True)
    for href in ("/actors", "/territories", "/policies", "/bodies", "/events", "/partnerships",
                 "/indicators", "/sources", "/catalog", "/sparql", "/dumps/", "/ontology",
                 "/search"):
        assert f'"{href}' in page, href
    for landmark in ("<header", "<nav", "<main", "<footer"):
        assert landmark in page


def test_html_page_shows_properties_incoming_links_and_quotes(client):
    page = client.get(sample_path("actor")).get_data(as_text=True)
    assert "<h1>Pôle d&#39;Economie Solidaire 21</h1>" in page
    assert 'href="/id/source/002"' in page and "<blockquote" in page
    assert "Liens entrants" in page and "partie de" in page
    assert '<script type="application/ld+json">' in page
    english = client.get(sample_path("actor") + "?lang=en").get_data(as_text=True)
    assert "Incoming links" in english and "party of" in english


def test_incoming_links_are_paged(client):
    source = "/id/source/001"
    seen, url, pages = [], source, 0
    while url and pages < 50:
        page = client.get(url).get_data(as_text=True)
        import re

        section = page.split('id="h-in"', 1)[1] if 'id="h-in"' in page else ""
        seen += re.findall(r'<li><a href="(/id/[^"]+)"', section.split("</section>")[0])
        nxt = re.search(r'rel="next" href="\?([^"]+)"', page)
        url = f"{source}?{nxt.group(1).replace('&amp;', '&')}" if nxt else None
        pages += 1
    assert pages > 1, "source/001 is cited by more than one page of resources"
    assert len(seen) == len(set(seen))


# --- a live server ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["actor", "territory", "event", "concept"])
def test_live_server_negotiates_and_caches(live_root, kind):
    path = sample_path(kind)
    for key, (asked, answered) in FORMATS.items():
        response = requests.get(live_root + path, headers={"Accept": asked}, timeout=30)
        assert response.status_code == 200
        assert response.headers["Content-Type"].split(";")[0] == answered
        assert response.headers["Content-Location"] == f"{path}.{key}"
        assert "Accept" in response.headers["Vary"]
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        suffixed = requests.get(f"{live_root}{path}.{key}", timeout=30)
        assert suffixed.status_code == 200
        if key != "html":
            assert suffixed.content == response.content
        again = requests.get(live_root + path, timeout=30,
                             headers={"Accept": asked, "If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304
    raw = requests.get(live_root + path + ".ttl", headers={"Accept-Encoding": "gzip"},
                       timeout=30, stream=True)
    assert raw.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(raw.raw.read()).startswith(b"@prefix")


def test_live_server_errors(live_root):
    missing = requests.get(live_root + "/id/nope/nope", headers={"Accept": "text/turtle"},
                           timeout=30)
    assert missing.status_code == 404 and missing.json()["error"] == "NOT_FOUND"
    page = requests.get(live_root + "/id/nope/nope", timeout=30)
    assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")
    refused = requests.get(live_root + sample_path("actor"), headers={"Accept": "image/png"},
                           timeout=30)
    assert refused.status_code == 406 and refused.json()["error"] == "NOT_ACCEPTABLE"
