"""The files a build publishes (dumps, manifest, VoID, sitemap) and how they are served."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from essgraph import dumps, sitemap, vocab
from essgraph.cli import essgraph
from essgraph.config import Settings
from essgraph.errors import StoreError
from essgraph.store import current_build

TESTS = Path(__file__).resolve().parent
BUILD_DATA = TESTS / "data" / "build"
BASE_URL = "http://essgraph.test/"
# A source document with dates and a place, so the catalog has something to say about them.
SOURCE_003 = """\
@prefix ess: <https://w3id.org/essgraph/ontology#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/essgraph/graph/source/003> {
    <https://w3id.org/essgraph/id/source/003> a ess:SourceDocument ;
        dct:title "Bilan de la politique ESS"@fr ;
        dct:date "2024-03"^^xsd:gYearMonth ;
        dct:temporal "2010/2023" ;
        dct:spatial <https://w3id.org/essgraph/id/territoire/commune/21231> .
}
"""


def settings_for(root: Path, **overrides) -> Settings:
    data_dir = root / "data"
    if not data_dir.exists():
        shutil.copytree(BUILD_DATA / "data", data_dir)
        (data_dir / "003_bilan.trig").write_text(SOURCE_003, encoding="utf-8")
    values = dict(
        data_dir=data_dir,
        ontology_dir=BUILD_DATA / "ontology",
        shapes_dir=BUILD_DATA / "shapes",
        queries_dir=TESTS / "data" / "queries",
        store_dir=root / "store",
        territories_dir=BUILD_DATA / "territories" / "data",
        territories_scope="used",
        keep_builds=1,
        base_url=BASE_URL,
    )
    values.update(overrides)
    return Settings.load(env={}, **values)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings after one build of the fixture data (plus SOURCE_003), with its publish files."""
    from essgraph.build import build

    settings = settings_for(tmp_path_factory.mktemp("published"))
    build(settings)
    return settings


@pytest.fixture(scope="module")
def published_app(published: Settings):
    from essgraph.web import create_app

    app = create_app(published)
    app.config["TESTING"] = True
    yield app
    app.extensions["essgraph"].close()


@pytest.fixture
def client(published_app):
    return published_app.test_client()


def publish_folder(settings: Settings) -> Path:
    return dumps.publish_dir(current_build(settings.store_dir))


def manifest_of(settings: Settings) -> dict:
    return json.loads((publish_folder(settings) / dumps.MANIFEST).read_text())


def triples(quads) -> set[ox.Triple]:
    return {ox.Triple(q.subject, q.predicate, q.object) for q in quads}


def union_triples(settings: Settings) -> set[ox.Triple]:
    store = ox.Store.read_only(str(current_build(settings.store_dir)))
    try:
        return triples(store)
    finally:
        del store


# --- what a build writes -----------------------------------------------------------------


def test_a_build_writes_the_dumps_with_their_size_and_checksum(published):
    folder = publish_folder(published)
    manifest = manifest_of(published)
    assert [d["file"] for d in manifest["dumps"]] == [
        "essgraph.ttl", "essgraph.nt.gz", "essgraph.nq", "essgraph.jsonld"]
    for entry in manifest["dumps"]:
        body = (folder / entry["file"]).read_bytes()
        assert entry["bytes"] == len(body) > 0
        assert entry["sha256"] == hashlib.sha256(body).hexdigest()
    assert manifest["build"] == current_build(published.store_dir).name
    assert manifest["base_url"] == BASE_URL
    for name in (dumps.VOID_FILE, sitemap.INDEX, sitemap.PATHS_FILE):
        assert (folder / name).is_file()


def test_turtle_ntriples_and_jsonld_hold_the_union_and_nquads_the_graphs(published):
    folder = publish_folder(published)
    union = union_triples(published)
    ttl = triples(ox.parse(path=str(folder / "essgraph.ttl"), format=ox.RdfFormat.TURTLE))
    nt = triples(ox.parse(gzip.decompress((folder / "essgraph.nt.gz").read_bytes()),
                          format=ox.RdfFormat.N_TRIPLES))
    jsonld = list(ox.parse(path=str(folder / "essgraph.jsonld"), format=ox.RdfFormat.JSON_LD))
    assert all(isinstance(q.graph_name, ox.DefaultGraph) for q in jsonld)
    assert ttl == nt == triples(jsonld) == union
    quads = list(ox.parse(path=str(folder / "essgraph.nq"), format=ox.RdfFormat.N_QUADS))
    graphs = {q.graph_name.value for q in quads}
    assert vocab.GRAPH_SOURCE + "001" in graphs and vocab.GRAPH_ONTOLOGY in graphs
    assert not any(isinstance(q.graph_name, ox.DefaultGraph) for q in quads)


def test_the_gzip_dump_is_the_same_bytes_for_the_same_data(published, tmp_path):
    store = ox.Store.read_only(str(current_build(published.store_dir)))
    try:
        one = dumps.write_dump(store, dumps.DUMPS["nt.gz"], tmp_path / "a.nt.gz")
        two = dumps.write_dump(store, dumps.DUMPS["nt.gz"], tmp_path / "b.nt.gz")
    finally:
        del store
    assert one.sha256 == two.sha256


def test_the_sitemap_lists_every_resource_page_under_the_base_url(published):
    root = ElementTree.parse(publish_folder(published) / sitemap.INDEX).getroot()
    assert root.tag == f"{{{sitemap.NS}}}urlset"
    urls = [loc.text for loc in root.iter(f"{{{sitemap.NS}}}loc")]
    assert BASE_URL + "id/organisation/reseau-21" in urls
    assert BASE_URL + "id/source/003" in urls
    assert all(u.startswith(BASE_URL + "id/") for u in urls)
    assert len(urls) == manifest_of(published)["resources"]


def test_a_sitemap_over_50000_pages_becomes_an_index_of_parts():
    paths = [f"organisation/o-{i}" for i in range(sitemap.MAX_URLS + 1)]
    files = sitemap.files(paths, BASE_URL)
    assert set(files) == {"sitemap.xml", "sitemap-1.xml", "sitemap-2.xml"}
    index = ElementTree.fromstring(files["sitemap.xml"])
    assert index.tag == f"{{{sitemap.NS}}}sitemapindex"
    assert [e.text for e in index.iter(f"{{{sitemap.NS}}}loc")] == [
        BASE_URL + "sitemap-1.xml", BASE_URL + "sitemap-2.xml"]
    assert files["sitemap-2.xml"].count(b"<url>") == 1


def test_sitemap_urls_are_percent_encoded_and_xml_escaped():
    body = sitemap.files(["lieu/café&co"], BASE_URL)["sitemap.xml"].decode()
    assert "<loc>http://essgraph.test/id/lieu/caf%C3%A9&amp;co</loc>" in body


# --- served ------------------------------------------------------------------------------


@pytest.mark.parametrize("name, content_type", [
    ("essgraph.ttl", "text/turtle; charset=utf-8"),
    ("essgraph.nt.gz", "application/gzip"),
    ("essgraph.nq", "application/n-quads"),
    ("essgraph.jsonld", "application/ld+json"),
])
def test_each_dump_is_served_with_type_length_etag_and_head(published, client, name,
                                                             content_type):
    entry = next(d for d in manifest_of(published)["dumps"] if d["file"] == name)
    response = client.get(f"/dumps/{name}", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Content-Length"] == str(entry["bytes"])
    assert "Content-Encoding" not in response.headers  # the file as it is, checksum intact
    assert hashlib.sha256(response.data).hexdigest() == entry["sha256"]
    assert response.headers["ETag"] == f'"{entry["sha256"][:32]}"'
    assert response.headers["Last-Modified"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    head = client.head(f"/dumps/{name}")
    assert head.status_code == 200 and head.data == b""
    for header in ("Content-Type", "Content-Length", "ETag", "Last-Modified"):
        assert head.headers[header] == response.headers[header]
    again = client.get(f"/dumps/{name}", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    since = client.get(f"/dumps/{name}",
                       headers={"If-Modified-Since": response.headers["Last-Modified"]})
    assert since.status_code == 304


def test_the_dumps_listing_answers_json_and_html(published, client):
    data = client.get("/dumps/", headers={"Accept": "application/json"}).get_json()
    assert [d["file"] for d in data["dumps"]] == [
        d["file"] for d in manifest_of(published)["dumps"]]
    assert data["dumps"][0]["url"] == BASE_URL + "dumps/essgraph.ttl"
    assert data["license"] == "https://www.etalab.gouv.fr/licence-ouverte-open-licence"
    assert client.get("/dumps/").get_json() == data  # no Accept: JSON
    assert client.get("/dumps.json").get_json() == data
    html = client.get("/dumps/", headers={"Accept": "text/html,*/*;q=0.8"})
    assert html.headers["Content-Type"] == "text/html; charset=utf-8"
    page = html.get_data(as_text=True)
    assert 'href="http://essgraph.test/dumps/essgraph.nt.gz"' in page
    assert data["dumps"][1]["sha256"] in page


def test_an_unknown_dump_is_a_404_in_the_error_shape(client):
    response = client.get("/dumps/secret.txt")
    assert response.status_code == 404
    assert response.get_json() == {
        "error": "NOT_FOUND",
        "message": "no dump 'secret.txt'; the dumps are essgraph.ttl, essgraph.nt.gz, "
                   "essgraph.nq, essgraph.jsonld",
        "where": "secret.txt",
    }


def test_the_sitemap_is_served_and_follows_the_served_base_url(published, client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert b"<loc>http://essgraph.test/id/organisation/reseau-21</loc>" in response.data
    assert client.get("/sitemap.xml", headers={
        "If-None-Match": response.headers["ETag"]}).status_code == 304
    from essgraph.web import create_app

    other = create_app(published.with_(base_url="https://ess.example.org/"))
    try:
        body = other.test_client().get("/sitemap.xml").data
    finally:
        other.extensions["essgraph"].close()
    assert b"<loc>https://ess.example.org/id/organisation/reseau-21</loc>" in body
    assert b"essgraph.test" not in body


def test_a_build_without_published_files_says_how_to_get_them(tmp_path):
    from essgraph.web import create_app
    from web_fixtures import make_store

    store_dir = make_store(tmp_path / "store")
    app = create_app(Settings.load(env={}, store_dir=store_dir, base_url=BASE_URL))
    try:
        client = app.test_client()
        for path in ("/dumps/", "/dumps/essgraph.ttl", "/catalog", "/sitemap.xml"):
            response = client.get(path)
            assert response.status_code == 404, path
            body = response.get_json()
            assert body["error"] == "NOT_FOUND"
            assert "essgraph build" in body["message"]
            assert body["where"].endswith("publish/manifest.json")
    finally:
        app.extensions["essgraph"].close()


# --- essgraph export ---------------------------------------------------------------------


def cli_env(settings: Settings) -> dict[str, str]:
    return {"ESSGRAPH_STORE_DIR": str(settings.store_dir), "ESSGRAPH_BASE_URL": BASE_URL}


def test_export_dumps_writes_the_dumps_and_their_manifest(published, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(essgraph, ["export", "--dumps", str(out)],
                                env=cli_env(published))
    assert result.exit_code == 0, result.output
    written = json.loads((out / "manifest.json").read_text())
    # the same store gives the same bytes
    assert written["dumps"] == manifest_of(published)["dumps"]
    for entry in written["dumps"]:
        assert hashlib.sha256((out / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
    assert not (out / sitemap.INDEX).exists()  # --dumps: only the dumps


def test_export_writes_catalog_void_and_sitemap(published, tmp_path):
    args = ["export", "--catalog", str(tmp_path / "catalog.jsonld"), "--void",
            str(tmp_path / "void.ttl"), "--sitemap", str(tmp_path / "sitemap.xml"),
            "--base-url", "https://ess.example.org/"]
    result = CliRunner().invoke(essgraph, args, env=cli_env(published))
    assert result.exit_code == 0, result.output
    catalog = json.loads((tmp_path / "catalog.jsonld").read_text())
    assert isinstance(catalog["@context"], dict)
    assert "https://ess.example.org/dumps/essgraph.ttl" in json.dumps(catalog)
    void = set(ox.parse(path=str(tmp_path / "void.ttl"), format=ox.RdfFormat.TURTLE))
    assert ox.NamedNode("https://ess.example.org/.well-known/void#dataset") in {
        t.subject for t in void}
    assert b"https://ess.example.org/id/" in (tmp_path / "sitemap.xml").read_bytes()


def test_export_publish_writes_what_a_build_writes(published, tmp_path):
    result = CliRunner().invoke(essgraph, ["export", "--publish", str(tmp_path)],
                                env=cli_env(published))
    assert result.exit_code == 0, result.output
    assert {p.name for p in tmp_path.iterdir()} == {
        p.name for p in publish_folder(published).iterdir()}


def test_export_refuses_a_catalog_file_it_cannot_name_a_format_for(published, tmp_path):
    result = CliRunner().invoke(essgraph, ["export", "--catalog", str(tmp_path / "c.txt")],
                                env=cli_env(published))
    assert result.exit_code == 2
    assert "error UNKNOWN_FORMAT" in result.output


def test_export_without_new_options_still_writes_one_format(published):
    result = CliRunner().invoke(essgraph, ["export", "--format", "nt"], env=cli_env(published))
    assert result.exit_code == 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == len(union_triples(published))


def test_the_void_description_links_every_dump(published, client):
    """VoID's void:dataDump names the downloads, in the build's file and on the live route."""
    data_dump = ox.NamedNode("http://rdfs.org/ns/void#dataDump")
    in_file = set(ox.parse(path=str(publish_folder(published) / "void.ttl"),
                           format=ox.RdfFormat.TURTLE))
    dumps_in_file = {t.object.value for t in in_file if t.predicate == data_dump}
    assert {u.rsplit("/", 1)[1] for u in dumps_in_file} == {
        "essgraph.ttl", "essgraph.nt.gz", "essgraph.nq", "essgraph.jsonld"}
    answer = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert answer.status_code == 200
    served = set(ox.parse(answer.data, format=ox.RdfFormat.TURTLE))
    for url in {t.object.value for t in served if t.predicate == data_dump}:
        path = url.split("://", 1)[1].split("/", 1)[1]
        assert client.head("/" + path).status_code == 200, url
    assert len([t for t in served if t.predicate == data_dump]) == 4


# --- how the dumps are made ----------------------------------------------------------------

EX = "http://example.org/"


def _store_with_a_triple_in_two_graphs() -> ox.Store:
    store = ox.Store()
    s, p = ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p")
    for graph in ("g1", "g2"):
        store.add(ox.Quad(s, p, ox.Literal("both"), ox.NamedNode(EX + graph)))
    store.add(ox.Quad(ox.NamedNode(EX + "b"), p, ox.Literal("only g2\nline two"),
                      ox.NamedNode(EX + "g2")))
    store.add(ox.Quad(ox.NamedNode(EX + "a"), p, ox.NamedNode(EX + "o"),
                      ox.NamedNode(EX + "g1")))
    store.add(ox.Quad(ox.NamedNode(EX + "default"), p, ox.Literal("not in a named graph")))
    return store


@pytest.mark.parametrize("sort_program", [True, False], ids=["sort", "python"])
def test_the_union_holds_each_triple_of_the_named_graphs_once_in_byte_order(
    tmp_path, monkeypatch, sort_program
):
    if not sort_program:
        monkeypatch.setattr(dumps.shutil, "which", lambda _name: None)
    path = tmp_path / "union.nt"
    dumps.write_union(_store_with_a_triple_in_two_graphs(), path)
    lines = path.read_bytes().splitlines(keepends=True)
    assert lines == sorted(lines)
    assert len(lines) == 3
    assert triples(ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES)) == {
        ox.Triple(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p"), ox.Literal("both")),
        ox.Triple(ox.NamedNode(EX + "b"), ox.NamedNode(EX + "p"),
                  ox.Literal("only g2\nline two")),
        ox.Triple(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "p"), ox.NamedNode(EX + "o")),
    }
    assert not list(tmp_path.glob("*.graphs"))


def test_dumps_written_by_other_processes_are_the_same_bytes(tmp_path, monkeypatch):
    store = _store_with_a_triple_in_two_graphs()
    alone = dumps.write_dumps(store, tmp_path / "alone")
    monkeypatch.setattr(dumps, "PARALLEL_BYTES", 0)
    parallel = dumps.write_dumps(store, tmp_path / "parallel")
    assert parallel == alone
    assert sorted(p.name for p in (tmp_path / "parallel").iterdir()) == sorted(
        d.file for d in dumps.DUMPS.values())


def test_a_dump_that_fails_in_another_process_says_which_and_leaves_no_file(tmp_path):
    union = tmp_path / "union.nt"
    union.write_text("<http://example.org/s> not n-triples .\n", encoding="utf-8")
    target = tmp_path / "essgraph.ttl"
    child = dumps._start_union_dump(union, "ttl", target)
    with pytest.raises(StoreError, match="ttl dump failed") as failure:
        dumps._finish_union_dump(child, "ttl", target)
    assert failure.value.where == str(target)
    assert list(tmp_path.iterdir()) == [union]


def test_the_nquads_dump_is_the_same_bytes_from_memory_and_from_the_database(
    published, tmp_path
):
    database = ox.Store.read_only(str(current_build(published.store_dir)))
    try:
        memory = ox.Store()
        memory.bulk_extend(database)
        from_disk = dumps.write_dump(database, dumps.DUMPS["nq"], tmp_path / "disk.nq")
    finally:
        del database
    from_memory = dumps.write_dump(memory, dumps.DUMPS["nq"], tmp_path / "memory.nq")
    assert from_memory.sha256 == from_disk.sha256
