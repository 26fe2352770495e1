"""The DCAT catalog, the dumps and the sitemap over HTTP, for harvesters and crawlers.

- `/catalog.ttl`, `/catalog.rdf`, `/catalog.jsonld`: the catalog (essgraph.catalog) in one
  format each, 200 at once (no redirect: udata refuses every redirect and picks the parser
  from the extension). `/catalog` negotiates: no Accept header or `*/*` gives Turtle, as
  does an Accept header that names none of the three (a harvester must never get a 406).
  JSON-LD carries its context inline. Every page is the whole catalog (one dataset: no
  Hydra paging).
- `/dumps/`: the dumps of the current build (HTML for a browser, JSON otherwise or with
  `/dumps.json`); `/dumps/<file>`: one dump, with its Content-Type, Content-Length, a
  strong ETag from its SHA-256 and Last-Modified the build time; `/dumps/manifest.json`.
- `/sitemap.xml` (and `/sitemap-N.xml` when there are more than 50,000 pages).

All of it is read from the current build's publish folder (essgraph.dumps), never from the
database; GET and HEAD answer the same headers; If-None-Match / If-Modified-Since give 304.
A build without that folder answers 404 NOT_FOUND saying how to write it.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template_string, request
from werkzeug.datastructures import MIMEAccept

from .. import catalog as dcat_catalog
from .. import dumps, sitemap
from ..errors import NotFound
from ..store.builds import current_build
from . import service

bp = Blueprint("catalog", __name__)

EXTENSION = "essgraph.catalog"
CATALOG_PATH = "/catalog"
# Media types a client may name for each catalog format; the first is the one answered.
_ACCEPTED = {
    "ttl": ("text/turtle", "application/x-turtle", "application/turtle"),
    "rdf": ("application/rdf+xml",),
    "jsonld": ("application/ld+json", "application/json"),
}
_CACHE_SECONDS = 300


@dataclass
class _Published:
    """What the current build published, read once per build."""

    directory: Path
    manifest: dict[str, Any]
    bodies: dict[tuple[str, str], bytes] = field(default_factory=dict)  # (what, base) -> body

    @property
    def built_at(self) -> datetime:
        return datetime.fromisoformat(self.manifest["built_at"])


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    current: _Published | None = None


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = _State()
    app.register_blueprint(bp)


def published() -> _Published:
    """The current build's publish folder and manifest (re-read when `current` moves)."""
    state: _State = current_app.extensions[EXTENSION]
    directory = dumps.publish_dir(current_build(service().settings.store_dir))
    with state.lock:
        if state.current is None or state.current.directory != directory:
            state.current = _Published(directory, dumps.read_manifest(directory))
        return state.current


# --- the catalog -------------------------------------------------------------------------


@bp.get(CATALOG_PATH)
def catalog_negotiated() -> Response:
    fmt = negotiate(request.accept_mimetypes)
    response = _catalog(fmt)
    response.vary.add("Accept")
    response.headers["Content-Location"] = f"{CATALOG_PATH}.{fmt}"
    return response


@bp.get(f"{CATALOG_PATH}.<any(ttl, rdf, jsonld):fmt>")
def catalog_file(fmt: str) -> Response:
    return _catalog(fmt)


def negotiate(accept: MIMEAccept) -> str:
    """ttl, rdf or jsonld for an Accept header; Turtle when it is absent, */* or names none."""
    by_type = {media: fmt for fmt, types in _ACCEPTED.items() for media in types}
    best = accept.best_match(list(by_type)) if accept else None
    return by_type.get(best, "ttl") if best else "ttl"


def _catalog(fmt: str) -> Response:
    pub = published()
    base = service().settings.base_url
    key = ("catalog." + fmt, base)
    body = pub.bodies.get(key)
    if body is None:
        graph = dcat_catalog.catalog_graph(pub.manifest, base)
        body = pub.bodies[key] = dcat_catalog.serialize(graph, fmt)
    media_type = dcat_catalog.FORMATS[fmt][0]
    return _conditional(Response(body, content_type=_content_type(media_type)), pub,
                        etag=hashlib.sha256(body).hexdigest()[:32], weak=True)


# --- dumps -------------------------------------------------------------------------------

_LISTING = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>essgraph — téléchargements</title>
<link rel="alternate" type="application/json" href="{{ json_url }}">
<link rel="alternate" type="text/turtle" href="{{ catalog_url }}"></head>
<body><h1>Téléchargements</h1>
<p>Le graphe complet de la construction {{ build }} ({{ built_at }}), sous
<a href="{{ licence }}">Licence Ouverte / Etalab 2.0</a>.
Catalogue DCAT : <a href="{{ catalog_url }}">{{ catalog_url }}</a>.</p>
<table><thead><tr><th>fichier</th><th>contenu</th><th>type</th><th>octets</th>
<th>SHA-256</th></tr></thead><tbody>
{% for d in dumps %}<tr><td><a href="{{ d.url }}">{{ d.file }}</a></td><td>{{ d.title }}</td>
<td>{{ d.content_type }}</td><td>{{ d.bytes }}</td><td><code>{{ d.sha256 }}</code></td></tr>
{% endfor %}</tbody></table></body></html>
"""


@bp.get("/dumps/")
def dumps_index() -> Response:
    accept = request.accept_mimetypes
    wants_html = accept and accept.best_match(["application/json", "text/html"]) == "text/html"
    return _dumps_listing("html" if wants_html and accept["text/html"] > 0 else "json")


@bp.get("/dumps.json")
def dumps_index_json() -> Response:
    return _dumps_listing("json")


def _dumps_listing(fmt: str) -> Response:
    pub = published()
    base = service().settings.base_url
    listed = [
        {
            "file": d.file,
            "url": urljoin(base, "dumps/" + d.file),
            "title": d.format.title_fr,
            "media_type": d.format.media_type,
            "content_type": d.format.content_type,
            "bytes": d.bytes,
            "sha256": d.sha256,
            "named_graphs": not d.format.union,
        }
        for d in dumps.dump_files(pub.manifest)
    ]
    data = {
        "build": pub.manifest["build"],
        "built_at": pub.manifest["built_at"],
        "license": dcat_catalog.LICENCE_IRI,
        "catalog": urljoin(base, "catalog.ttl"),
        "dumps": listed,
    }
    if fmt == "html":
        body = render_template_string(
            _LISTING, dumps=listed, build=data["build"], built_at=data["built_at"],
            licence=data["license"], catalog_url=data["catalog"],
            json_url=urljoin(base, "dumps.json"),
        )
        response = Response(body, content_type="text/html; charset=utf-8")
    else:
        response = jsonify(data)
    response.vary.add("Accept")
    return _conditional(response, pub, etag=_digest(response.get_data()), weak=True)


@bp.get("/dumps/<name>")
def dump_file(name: str) -> Response:
    pub = published()
    if name == dumps.MANIFEST:
        return _file(pub, name, "application/json", None)
    known = {d.file: d for d in dumps.dump_files(pub.manifest)}
    if name not in known:
        raise NotFound(f"no dump {name!r}; the dumps are {', '.join(known)}", where=name)
    dump = known[name]
    return _file(pub, name, dump.format.content_type, dump.sha256)


def _file(pub: _Published, name: str, content_type: str, sha256: str | None) -> Response:
    path = pub.directory / name
    if not path.is_file():
        raise NotFound(f"{name} is missing from the build's publish folder", where=str(path))
    size = path.stat().st_size
    response = Response(_chunks(path), content_type=content_type, direct_passthrough=True)
    response.content_length = size
    response.headers["Accept-Ranges"] = "none"
    etag = sha256[:32] if sha256 else _digest(path.read_bytes())
    return _conditional(response, pub, etag=etag, weak=False)


def _chunks(path: Path, size: int = 1 << 16):
    with open(path, "rb") as f:
        while block := f.read(size):
            yield block


# --- sitemap -----------------------------------------------------------------------------


@bp.get("/sitemap.xml")
def sitemap_index() -> Response:
    return _sitemap(sitemap.INDEX)


@bp.get("/sitemap-<int:n>.xml")
def sitemap_part(n: int) -> Response:
    return _sitemap(sitemap.part_name(n))


def _sitemap(name: str) -> Response:
    pub = published()
    base = service().settings.base_url
    if pub.manifest.get("base_url") == base and (pub.directory / name).is_file():
        body = (pub.directory / name).read_bytes()
    else:  # served under another base URL than the build's: list the pages again
        key = ("sitemap", base)
        if key not in pub.bodies:
            files = sitemap.files(sitemap.read_paths(pub.directory), base)
            pub.bodies.update({(n, base): b for n, b in files.items()})
            pub.bodies[key] = b""
        body = pub.bodies.get((name, base))
        if body is None:
            raise NotFound(f"no sitemap {name}", where=name)
    response = Response(body, content_type="application/xml; charset=utf-8")
    return _conditional(response, pub, etag=_digest(body), weak=True)


# --- shared ------------------------------------------------------------------------------


def _conditional(response: Response, pub: _Published, *, etag: str, weak: bool) -> Response:
    """ETag, Last-Modified (the build time), caching; 304 when the client has it already.

    Weak ETags for what the app may gzip on the way out (the representation is the same,
    the bytes are not); strong ones for the dumps, which are sent as they are.
    """
    response.set_etag(etag, weak=weak)
    response.last_modified = pub.built_at
    response.cache_control.public = True
    response.cache_control.max_age = _CACHE_SECONDS
    return response.make_conditional(request)


def _content_type(media_type: str) -> str:
    return media_type + ("; charset=utf-8" if media_type.startswith("text/") else "")


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]
