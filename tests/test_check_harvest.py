"""`essgraph check-harvest` against live servers on 127.0.0.1: the real catalog passes, and
catalogs broken the ways harvesters notice (redirects, no identifier, no licence, remote
JSON-LD context, no charset, too big, bad paging) fail on the check that says so."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask, Response, request
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS
from werkzeug.serving import make_server

from essgraph import catalog, harvest
from essgraph.cli import essgraph
from essgraph.harvest import HYDRA, check
from test_dumps import published  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
DCAT_AP = ROOT.parent / "shared" / "dcat-ap-3.0.1"
SHAPES = DCAT_AP if (DCAT_AP / "shapes.ttl").is_file() else None
DATASET = URIRef(catalog.DATASET_IRI)
DCAT_NS = "http://www.w3.org/ns/dcat#"
MANIFEST = {  # a catalog needs no build: a manifest is enough
    "build": "test", "built_at": "2026-01-02T03:04:05+00:00", "statements": 12,
    "dumps": [{"key": "ttl", "file": "essgraph.ttl", "bytes": 1234, "sha256": "ab" * 32},
              {"key": "nq", "file": "essgraph.nq", "bytes": 5678, "sha256": "cd" * 32}],
    "coverage": {"sources": 1, "start_year": 2010, "end_year": 2024, "territories": [],
                 "themes": []},
}


@contextmanager
def serving(make_app: Callable[[str], Callable]) -> Iterator[str]:
    """A WSGI app (made knowing its own root URL) served by werkzeug in a thread."""
    holder: dict[str, Callable] = {}
    server = make_server("127.0.0.1", 0, lambda env, start: holder["app"](env, start),
                         threaded=True)
    root = f"http://127.0.0.1:{server.server_port}"
    holder["app"] = make_app(root)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def live_root(published) -> Iterator[str]:  # noqa: F811
    """The real app on a published build, on a free port of 127.0.0.1."""
    from essgraph.web import create_app

    apps = []

    def make(root: str):
        app = create_app(published.with_(base_url=root + "/"))
        apps.append(app)
        return app

    with serving(make) as root:
        yield root
    for app in apps:
        app.extensions["essgraph"].close()


def statuses(report: harvest.Report) -> dict[str, str]:
    return {c.name: c.status for c in report.checks}


def failed(report: harvest.Report) -> dict[str, harvest.Check]:
    return {c.name: c for c in report.checks if c.status == "FAIL"}


# --- the real catalog --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/catalog", "/catalog.ttl", "/catalog.rdf", "/catalog.jsonld"])
def test_the_published_catalog_passes_every_check(live_root, path):
    report = check(live_root + path, shapes_dir=SHAPES)
    assert report.ok, report.render()
    got = statuses(report)
    for name in ("udata.format", "udata.pages", "size", "ckan.fetch", "udata.identifiers",
                 "licence"):
        assert got[name] == "OK", report.render()
    if SHAPES:
        assert got["dcat-ap shapes.ttl"] == got["dcat-ap range.ttl"] == "OK"


def test_the_format_comes_from_the_extension_or_from_head(live_root):
    by_head = check(live_root + "/catalog").checks[0]
    assert by_head.detail == "turtle, from the Content-Type of HEAD (text/turtle)"
    by_extension = check(live_root + "/catalog.jsonld").checks[0]
    assert by_extension.detail == "json-ld, from the URL's extension"


def test_cli_prints_one_line_per_check_and_exits_0(live_root):
    args = ["check-harvest", live_root + "/catalog"]
    if SHAPES:
        args += ["--shapes", str(SHAPES)]
    result = CliRunner().invoke(essgraph, args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"check-harvest {live_root}/catalog"
    assert lines[1].startswith("OK   udata.format")
    assert lines[-1] == "harvestable"


def test_cli_without_shapes_skips_that_check(live_root, monkeypatch):
    monkeypatch.delenv("ESSGRAPH_DCAT_AP_SHAPES", raising=False)
    result = CliRunner().invoke(essgraph, ["check-harvest", live_root + "/catalog.ttl"])
    assert result.exit_code == 0
    assert "SKIP dcat-ap" in result.output


# --- broken catalogs ---------------------------------------------------------------------


def catalog_turtle(root: str, change: Callable[[Graph], None] | None = None) -> bytes:
    graph = catalog.catalog_graph(MANIFEST, root + "/")
    if change:
        change(graph)
    return catalog.serialize(graph, "ttl")


def tiny_app(pages: dict[str, Callable[[str], tuple[int, dict, bytes]]],
             *, refuse_head: bool = False) -> Callable[[str], Flask]:
    """A Flask app answering each path with (status, headers, body) made from its root."""
    def make(root: str) -> Flask:
        app = Flask("broken")

        def view(path: str = "") -> Response:
            if refuse_head and request.method == "HEAD":
                return Response(status=405)
            status, headers, body = pages["/" + path](root)
            return Response(body, status=status, headers=headers)

        app.add_url_rule("/<path:path>", "view", view)
        return app

    return make


def turtle(body: bytes, content_type: str = "text/turtle; charset=utf-8"):
    return 200, {"Content-Type": content_type}, body


def test_a_redirect_fails_the_format_check_and_the_cli_exits_1():
    app = tiny_app({
        "/catalog": lambda root: (302, {"Location": root + "/catalog.ttl"}, b""),
        "/catalog.ttl": lambda root: turtle(catalog_turtle(root)),
    })
    with serving(app) as root:
        report = check(root + "/catalog")
        result = CliRunner().invoke(essgraph, ["check-harvest", root + "/catalog"])
    problem = failed(report)["udata.format"]
    assert "redirect 302" in problem.detail and "udata refuses every redirect" in problem.detail
    assert problem.where == root + "/catalog"
    assert result.exit_code == 1
    assert "FAIL udata.format" in result.output
    assert result.output.splitlines()[-1].startswith("NOT harvestable")


def test_a_redirect_of_the_page_itself_fails_the_pages_check():
    app = tiny_app({"/catalog.ttl": lambda root: (301, {"Location": root + "/x.ttl"}, b"")})
    with serving(app) as root:
        report = check(root + "/catalog.ttl")
    assert "redirect 301" in failed(report)["udata.pages"].detail


def test_a_dataset_without_identifier_is_caught_where_it_is():
    def drop(graph: Graph) -> None:
        graph.remove((DATASET, DCTERMS.identifier, None))

    app = tiny_app({"/catalog.ttl": lambda root: turtle(catalog_turtle(root, drop))})
    with serving(app) as root:
        report = check(root + "/catalog.ttl")
    problem = failed(report)["udata.identifiers"]
    assert problem.detail.startswith(f"dcat:Dataset <{catalog.DATASET_IRI}> has no "
                                     "dct:identifier: udata skips it")
    assert "cannot attach it" in problem.detail or "more" in problem.detail
    assert problem.where == root + "/catalog.ttl"


def test_a_catalog_without_licence_on_the_distributions_fails():
    def drop(graph: Graph) -> None:
        for dist in list(graph.objects(DATASET, URIRef(DCAT_NS + "distribution"))):
            graph.remove((dist, DCTERMS.license, None))

    app = tiny_app({"/catalog.ttl": lambda root: turtle(catalog_turtle(root, drop))})
    with serving(app) as root:
        report = check(root + "/catalog.ttl")
    assert "ckanext-dcat finds no licence" in failed(report)["licence"].detail


def test_a_licence_with_a_label_fails():
    def label(graph: Graph) -> None:
        graph.add((URIRef(catalog.LICENCE_IRI), RDFS.label, Literal("Licence Ouverte")))

    app = tiny_app({"/catalog.ttl": lambda root: turtle(catalog_turtle(root, label))})
    with serving(app) as root:
        report = check(root + "/catalog.ttl")
    assert "which udata reads instead of the IRI" in failed(report)["licence"].detail


def test_turtle_without_charset_garbles_for_udata():
    app = tiny_app({"/catalog": lambda root: turtle(catalog_turtle(root), "text/turtle")})
    with serving(app) as root:
        report = check(root + "/catalog")
    assert "no charset" in failed(report)["udata.pages"].detail


def test_a_remote_jsonld_context_fails():
    body = b'{"@context": "https://example.org/context.jsonld", "@id": "http://x/a"}'
    app = tiny_app({"/catalog.jsonld": lambda root: (200, {
        "Content-Type": "application/ld+json"}, body)})
    with serving(app) as root:
        report = check(root + "/catalog.jsonld")
    assert "remote context" in failed(report)["udata.pages"].detail


def test_an_html_answer_is_not_a_format_udata_reads():
    app = tiny_app({"/catalog": lambda root: (200, {"Content-Type": "text/html"}, b"<p>")})
    with serving(app) as root:
        report = check(root + "/catalog")
    assert "'text/html'" in failed(report)["udata.format"].detail


def test_ckan_falls_back_to_get_when_head_is_refused():
    app = tiny_app({"/catalog.ttl": lambda root: turtle(catalog_turtle(root))},
                   refuse_head=True)
    with serving(app) as root:
        report = check(root + "/catalog.ttl")
    assert statuses(report)["ckan.fetch"] == "OK", report.render()


def test_a_catalog_over_the_size_limit_fails():
    app = tiny_app({"/catalog.ttl": lambda root: turtle(catalog_turtle(root))})
    with serving(app) as root:
        report = check(root + "/catalog.ttl", max_bytes=1000)
    found = failed(report)
    assert "1,000 bytes" in found["udata.pages"].detail
    assert "1,000-byte limit" in found["ckan.fetch"].detail


def paged(root: str, n: int, next_n: int | None, identifier: str) -> bytes:
    """Page n of a catalog with one dataset each (and the data service on page 1 only),
    hydra:next pointing at page next_n."""
    def change(graph: Graph) -> None:
        graph.set((DATASET, DCTERMS.identifier, Literal(identifier)))
        if n > 1:
            graph.remove((URIRef(catalog.SERVICE_IRI), None, None))
        view = URIRef(f"{root}/catalog.ttl?page={n}")
        graph.add((view, RDF.type, HYDRA.PartialCollectionView))
        if next_n is not None:
            graph.add((view, HYDRA.next, URIRef(f"{root}/catalog.ttl?page={next_n}")))

    return catalog_turtle(root, change)


def paging_app(next_of_2: int | None, second_id: str):
    def make(root: str) -> Flask:
        app = Flask("paged")

        @app.get("/catalog.ttl")
        def page() -> Response:
            n = int(request.args.get("page", "1"))
            body = (paged(root, 1, 2, "dataset-1") if n == 1
                    else paged(root, 2, next_of_2, second_id))
            return Response(body, content_type="text/turtle; charset=utf-8")

        return app

    return make


def test_hydra_pages_are_followed_and_each_parsed_alone():
    with serving(paging_app(None, "dataset-2")) as root:
        report = check(root + "/catalog.ttl")
    assert report.ok, report.render()
    pages = next(c for c in report.checks if c.name == "udata.pages")
    assert pages.detail.startswith("2 page(s)")
    assert next(c for c in report.checks if c.name == "udata.identifiers").detail.startswith(
        "2 dataset(s)")


def test_a_hydra_loop_and_a_repeated_identifier_fail():
    with serving(paging_app(1, "dataset-1")) as root:
        report = check(root + "/catalog.ttl?page=1")
    found = failed(report)
    assert found["udata.pages"].detail == f"hydra:next loops back to {root}/catalog.ttl?page=1"
    assert "identifier 'dataset-1' already used" in found["udata.identifiers"].detail


@pytest.mark.skipif(SHAPES is None, reason=f"no DCAT-AP shapes at {DCAT_AP}")
def test_the_dcat_ap_shapes_catch_a_dataset_without_description():
    def drop(graph: Graph) -> None:
        graph.remove((DATASET, DCTERMS.description, None))

    app = tiny_app({"/catalog.ttl": lambda root: turtle(catalog_turtle(root, drop))})
    with serving(app) as root:
        result = CliRunner().invoke(essgraph, ["check-harvest", root + "/catalog.ttl",
                                               "--shapes", str(SHAPES)])
    assert result.exit_code == 1
    line = next(x for x in result.output.splitlines() if "dcat-ap shapes.ttl" in x)
    assert line.startswith("FAIL") and "dct:description" in line
    assert f"[{catalog.DATASET_IRI}]" in line


# --- errors ------------------------------------------------------------------------------


def test_an_unreachable_server_is_an_error_exit_2():
    with serving(tiny_app({})) as root:
        pass  # the port is closed again
    result = CliRunner().invoke(essgraph, ["check-harvest", root + "/catalog"])
    assert result.exit_code == 2
    assert result.output.startswith(f"error UNREACHABLE at {root}/catalog: HEAD failed")


def test_a_url_that_is_not_http_is_an_error_exit_2():
    result = CliRunner().invoke(essgraph, ["check-harvest", "ftp://example.org/catalog"])
    assert result.exit_code == 2
    assert "error UNREACHABLE at ftp://example.org/catalog" in result.output
