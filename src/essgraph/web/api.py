"""/api/queries: the named queries as a REST API, and /.well-known/void.

- `GET /api/queries` lists the named queries of `settings.queries_dir`: name, title,
  description, parameters (type, required, example, default, description) and the URL that
  runs each one (and, when every required parameter has an example, a ready-to-run URL).
- `GET /api/queries/<name>?param=value` runs one. Values are checked against the
  parameter's type (`queries.bind`) and bound by the engine: the terms are serialised by
  pyoxigraph into a `VALUES` block and the query is parsed before and after
  (`queries.inject_values`), so no value can change the query's structure. The query then
  runs like any other, through the killable worker pool with the time and row limits, and
  answers in the formats of /sparql (Accept header, or `format`, which is therefore not a
  parameter name a named query can use).
- `GET /.well-known/void` describes the dataset in VoID (essgraph.void), counted through
  the same pool and kept per build; Turtle by default, N-Triples, JSON-LD or RDF/XML by
  negotiation.

Errors have the one JSON shape: UNKNOWN_QUERY (404, `where` the name), BAD_PARAMETER (400,
`where` the parameter), and those of /sparql.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urljoin

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, current_app, jsonify, request

from .. import guard, void
from ..errors import ParameterError, UnknownQuery
from ..queries import NamedQuery, Param, bind, inject_values, load_named_queries
from . import service
from .formats import negotiate
from .pool import QueryJob
from .sparql import answer_response, endpoint_url, not_modified

log = logging.getLogger("essgraph.web")

bp = Blueprint("api", __name__)

EXTENSION = "essgraph.api"
RESERVED = frozenset({"format"})
# Internal counting queries (VoID) may return more rows than a user's query.
_VOID_MAX_ROWS = 1_000_000
# A remote store has no build id: its VoID is recounted after this many seconds.
_REMOTE_VOID_TTL = 300.0
# The counting queries scan the whole build (about 3 s for the slowest at 1.3M statements):
# each gets at least this time limit, more than a user's query. They run once per build.
_VOID_MIN_TIMEOUT = 60.0


# --- named queries ---------------------------------------------------------------------


class Catalog:
    """The named queries of a folder, read again when a file is added, changed or removed.

    A folder that does not exist holds no queries (a server of arbitrary RDF files may have
    none); a malformed file is an error (NAMED_QUERY, `where` file:line) until it is fixed.
    """

    def __init__(self, queries_dir: Path):
        self.queries_dir = Path(queries_dir)
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._queries: dict[str, NamedQuery] = {}

    def queries(self) -> dict[str, NamedQuery]:
        stamp = self._snapshot()
        with self._lock:
            if stamp != self._stamp:
                if stamp is None:
                    self._queries = {}
                else:
                    self._queries = load_named_queries(self.queries_dir)
                self._stamp = stamp
            return self._queries

    def get(self, name: str) -> NamedQuery:
        named = self.queries()
        if name not in named:
            known = ", ".join(named) or "none"
            raise UnknownQuery(f"no named query {name!r} (named queries: {known})", where=name)
        return named[name]

    def _snapshot(self) -> tuple | None:
        if not self.queries_dir.is_dir():
            return None
        stamp = []
        for path in sorted(self.queries_dir.glob("*.rq")):
            try:
                stat = path.stat()
            except FileNotFoundError:  # removed while listing: the next request sees it
                continue
            stamp.append((path.name, stat.st_mtime_ns, stat.st_size))
        return tuple(stamp)


@dataclass
class _State:
    catalog: Catalog
    void_lock: threading.Lock
    void_cache: dict  # build id -> (time computed, VoidStats)


def init_app(app: Flask) -> None:
    settings = app.extensions["essgraph"].settings
    app.extensions[EXTENSION] = _State(Catalog(settings.queries_dir), threading.Lock(), {})
    app.register_blueprint(bp)


def catalog() -> Catalog:
    return _state().catalog


def _state() -> _State:
    return current_app.extensions[EXTENSION]


def describe_query(nq: NamedQuery) -> dict:
    """A named query as the listing shows it."""
    url = query_url(nq.name)
    example = example_values(nq)
    return {
        "name": nq.name,
        "title": nq.title,
        "description": nq.description,
        "parameters": [_describe_param(p) for p in nq.params.values()],
        "url": url,
        "example_url": None if example is None else url + _query_string(example),
    }


def _describe_param(p: Param) -> dict:
    return {
        "name": p.name,
        "type": p.type,
        "required": p.required,
        "example": p.example,
        "default": p.default,
        "description": p.description,
        "lang": p.lang,
    }


def example_values(nq: NamedQuery) -> dict[str, str] | None:
    """Values that run the query: each parameter's example (or default); None when a
    required parameter has neither."""
    values = {}
    for p in nq.params.values():
        value = p.example if p.example is not None else p.default
        if value is None:
            if p.required:
                return None
            continue
        values[p.name] = value
    return values


def bound_text(nq: NamedQuery, raw: dict[str, str]) -> str:
    """The query text with `raw` bound by the engine (a VALUES block), ready to run."""
    terms = bind(nq, raw)
    return inject_values(nq.sparql, terms) if terms else nq.sparql


def query_url(name: str) -> str:
    return urljoin(service().settings.base_url, "api/queries/" + quote(name))


def _query_string(values: dict[str, str]) -> str:
    return "?" + urlencode(values) if values else ""


@bp.get("/api/queries")
def list_queries() -> Response:
    return jsonify({"queries": [describe_query(nq) for nq in catalog().queries().values()]})


@bp.get("/api/queries/<name>")
def run_query(name: str) -> Response:
    nq = catalog().get(name)
    params = _read_params()
    raw: dict[str, str] = {}
    for key, values in params.items():
        if key in RESERVED:
            continue
        if len(values) > 1:
            raise ParameterError(f"{key!r} is given {len(values)} times; give it once", where=key)
        raw[key] = values[0]
    sparql = bound_text(nq, raw)
    kind = guard.query_kind(sparql)
    choice = negotiate(kind in ("select", "ask"), params.get("format"), request.accept_mimetypes)
    settings = service().settings
    job = QueryJob(sparql=sparql, format=choice.format.key, base_iri=endpoint_url(),
                   max_rows=settings.max_rows)
    pool = service().pool
    etag = pool.etag(job)
    if etag is not None and request.if_none_match.contains_weak(etag):
        response = not_modified(etag)
    else:
        started = time.perf_counter()
        answer = pool.run(job, settings.query_timeout)
        service().metrics.query_served(
            answer.kind, time.perf_counter() - started, truncated=answer.truncated
        )
        response = answer_response(job, answer, choice.content_type, settings.max_rows)
    response.headers["X-Essgraph-Query"] = nq.name
    return response


def _read_params() -> dict[str, list[str]]:
    """The query string, decoded strictly: bytes that are not UTF-8 are refused, never
    turned into U+FFFD (which would bind a different value than the one sent)."""
    params: dict[str, list[str]] = defaultdict(list)
    try:
        text = request.query_string.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as e:
        raise ParameterError("the query string is not valid UTF-8", where="query string") from e
    for key, value in pairs:
        params[key].append(value)
    return params


# --- VoID ------------------------------------------------------------------------------


VOID_PATH = "/" + void.DOCUMENT_PATH


def void_url() -> str:
    return urljoin(service().settings.base_url, void.DOCUMENT_PATH)


@bp.get(VOID_PATH)
def void_description() -> Response:
    choice = negotiate(False, request.args.getlist("format") or None, request.accept_mimetypes)
    stats = void_stats()
    triples = void.describe(stats, document=void_url(), endpoint=endpoint_url(),
                            dumps=_published_dumps())
    body = ox.serialize(triples, format=choice.format.ox_format,
                        prefixes=void.PREFIXES if choice.format.key in ("ttl", "rdfxml") else None)
    response = Response(body, content_type=choice.content_type)
    response.vary.add("Accept")
    return response


def _published_dumps() -> list[str]:
    """The dump URLs of the current build, if it published its files (a build of
    `essgraph serve FILE...` or a remote store has none)."""
    from .. import dumps
    from ..errors import EssgraphError
    from ..store.builds import current_build

    try:
        dumps.read_manifest(dumps.publish_dir(current_build(service().settings.store_dir)))
    except (EssgraphError, OSError):
        return []
    return dumps.dump_urls(service().settings.base_url)


def void_stats() -> void.VoidStats:
    """The counts of the current build, computed once per build (or every few minutes for a
    remote store) through the query pool: killable, with a time limit for each query."""
    svc, state = service(), _state()
    timeout = svc.settings.query_timeout
    build = svc.pool.info(timeout).build
    with state.void_lock:
        cached = state.void_cache.get(build)
        if cached is not None and (
            build != "remote" or time.monotonic() - cached[0] < _REMOTE_VOID_TTL
        ):
            return cached[1]

        def select(sparql: str) -> list[dict[str, str]]:
            job = QueryJob(sparql=sparql, format="json", max_rows=_VOID_MAX_ROWS)
            answer = svc.pool.run(job, max(timeout, _VOID_MIN_TIMEOUT))
            if answer.truncated:
                log.warning("VoID counts truncated at %d rows", _VOID_MAX_ROWS)
            document = json.loads(answer.body)
            return [{k: v["value"] for k, v in row.items()}
                    for row in document["results"]["bindings"]]

        stats = void.count(select)
        state.void_cache.clear()
        state.void_cache[build] = (time.monotonic(), stats)
        return stats

