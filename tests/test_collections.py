"""Collections: every collection walked page by page (hydra:next, keyset on IRIs) to its end
loses and repeats no member and agrees with hydra:totalItems and with the store; walking
back with hydra:previous gives the same pages; filters select what the store says."""

from __future__ import annotations

import csv
import io
import json

import pytest

from essgraph import linkeddata as ld
from essgraph import vocab
from test_linked_data import make_app, real_store, select

SOURCE_GRAPHS = f'FILTER(STRSTARTS(STR(?g), "{vocab.GRAPH_SOURCE}"))'


@pytest.fixture(scope="module")
def app():
    app = make_app(real_store())
    yield app
    app.extensions["essgraph"].close()


@pytest.fixture
def client(app):
    return app.test_client()


def page(client, url: str) -> dict:
    response = client.get(url, headers={"Accept": "application/ld+json"})
    assert response.status_code == 200, (url, response.data[:300])
    assert response.mimetype == "application/ld+json"
    return json.loads(response.data)


def local(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def walk(client, start: str) -> tuple[list[str], int, list[dict]]:
    """Follow hydra:next from `start`: (member IRIs in order, totalItems, pages)."""
    members, pages, url = [], [], start
    total = None
    while url:
        body = page(client, url)
        pages.append(body)
        total = body["hydra:totalItems"] if total is None else total
        assert body["hydra:totalItems"] == total
        assert body["type"] == "hydra:Collection"
        assert body["hydra:view"]["type"] == "hydra:PartialCollectionView"
        assert isinstance(body["@context"], dict), "the context is inline"
        members += [m["id"] for m in body["hydra:member"]]
        nxt = body["hydra:view"].get("hydra:next")
        url = local(nxt["id"]) if nxt else None
        assert len(pages) < 1000
    return members, total, pages


def expected(kind: ld.Kind, extra: str = "") -> list[str]:
    rows = select(real_store(), f"SELECT DISTINCT ?s WHERE {{ ?s a <{kind.cls}> . "
                                f"FILTER(isIRI(?s)) {extra} }}")
    return sorted(r[0] for r in rows)


MENTIONED = ("FILTER EXISTS { GRAPH ?g { { ?s ?p ?o } UNION { ?x ?p2 ?s } } "
             + SOURCE_GRAPHS + " }")


@pytest.mark.parametrize("kind", ld.KINDS, ids=lambda k: k.collection)
def test_walk_every_collection_to_the_end(client, kind):
    members, total, pages = walk(client, f"/{kind.collection}?limit=7")
    assert len(members) == len(set(members)), "a member was repeated"
    assert members == sorted(members), "keyset order is by IRI"
    extra = MENTIONED if kind.name == "territory" else ""
    assert members == expected(kind, extra), "a member was lost or added"
    assert total == len(members)
    assert len(pages) == max(1, -(-total // 7))
    # hydra:first and hydra:previous lead back over the same pages
    last = pages[-1]
    assert local(last["hydra:view"]["hydra:first"]["id"]) == f"/{kind.collection}?limit=7"
    back, url = [], None
    prev = last["hydra:view"].get("hydra:previous")
    url = local(prev["id"]) if prev else None
    while url:
        body = page(client, url)
        back = [m["id"] for m in body["hydra:member"]] + back
        prev = body["hydra:view"].get("hydra:previous")
        url = local(prev["id"]) if prev else None
    tail = [m["id"] for m in last["hydra:member"]]
    assert back + tail == members


def test_territories_are_those_the_data_mentions_unless_all(client):
    kind = ld.KIND_BY_COLLECTION["territories"]
    mentioned, _, _ = walk(client, "/territories?limit=50")
    everything, _, _ = walk(client, "/territories?all=true&limit=50")
    assert set(mentioned) < set(everything)
    assert everything == expected(kind)


def test_territory_filter_includes_everything_inside(client):
    dept = vocab.ID + "territoire/departement/21"
    members, total, _ = walk(client, "/actors?territory=departement/21&limit=3")
    rows = select(real_store(), f"""SELECT DISTINCT ?s WHERE {{ ?s a ess:Actor .
        ?s ess:locatedIn|ess:governs ?t .
        FILTER(?t = <{dept}> || EXISTS {{ ?t ess:within <{dept}> }}) }}""")
    assert members == sorted(r[0] for r in rows) and total == len(members) > 0
    # The commune of Dijon is inside the département: its actors are a subset.
    dijon, _, _ = walk(client, "/actors?territory=commune/21231")
    assert dijon and set(dijon) <= set(members)
    # Given as a full IRI or a local path, the same answer.
    same, _, _ = walk(client, f"/actors?territory={dept}&limit=3")
    path, _, _ = walk(client, "/actors?territory=/id/territoire/departement/21&limit=3")
    assert same == path == members
    # Territories inside a territory, the territory itself included.
    inside, _, _ = walk(client, "/territories?territory=departement/21&all=true")
    assert dept in inside and vocab.ID + "territoire/commune/21231" in inside


def test_type_theme_legal_form_and_year_filters(client):
    assoc, _, _ = walk(client, "/actors?type=Association")
    assert assoc == sorted(r[0] for r in select(
        real_store(), "SELECT DISTINCT ?s WHERE { ?s a ess:Association }"))
    assert assoc
    themed = select(real_store(), "SELECT ?t (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ess:Actor ; "
                                  "ess:theme ?t } GROUP BY ?t ORDER BY DESC(?n) LIMIT 1")
    if themed:
        code = themed[0][0].rsplit("/", 1)[1]
        members, total, _ = walk(client, f"/actors?theme={code}")
        assert total == int(themed[0][1]) == len(members)
    forms = select(real_store(), "SELECT ?f (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ess:Actor ; "
                                 "ess:legalForm ?f } GROUP BY ?f ORDER BY DESC(?n) LIMIT 1")
    if forms:
        code = forms[0][0].rsplit("/", 1)[1]
        members, total, _ = walk(client, f"/actors?legalForm={code}")
        assert total == int(forms[0][1]) == len(members)
    events, _, _ = walk(client, "/events?year=2024")
    dated = select(real_store(), """SELECT DISTINCT ?s WHERE { ?s a ess:Event ;
        schema:startDate ?d FILTER(STRSTARTS(STR(?d), "2024")) }""")
    assert {r[0] for r in dated} <= set(events)
    assert walk(client, "/events?year=1800")[0] == []


@pytest.mark.parametrize("url, where", [
    ("/actors?year=20x4", "year"),
    ("/actors?territory=<bad>", "territory"),
    ("/actors?limit=many", "limit"),
    ("/actors?after=not%20an%20iri", "after"),
    ("/actors?theme=a%20b", "theme"),
])
def test_bad_parameters_use_the_error_shape(client, url, where):
    response = client.get(url, headers={"Accept": "application/ld+json"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "BAD_PARAMETER" and body["where"] == where


def test_csv_and_html_pages(client):
    text = client.get("/actors.csv?limit=5").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["iri", "label"] and len(rows) == 6
    response = client.get("/actors.csv?limit=5")
    assert 'rel="next"' in response.headers["Link"]
    html = client.get("/actors?limit=5", headers={"Accept": "text/html"})
    assert html.mimetype == "text/html"
    page_text = html.get_data(as_text=True)
    assert 'rel="next"' in page_text and "<main" in page_text
    assert '<label for="f-territory"' in page_text
    assert client.get("/actors.xml").status_code == 404
    assert client.get("/actors", headers={"Accept": "image/png"}).status_code == 406
