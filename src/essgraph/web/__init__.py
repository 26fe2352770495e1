"""The web service: `create_app(settings)` is the only place the Flask app is assembled.

What every response gets, whatever the blueprint: errors as one JSON shape
(`{"error": code, "message": ..., "where": ...}` with the error's status, also for werkzeug's
own 404/405/413), CORS for reads (every route here only reads), and gzip when the client
accepts it. The query worker pool and the metrics live in `app.extensions["essgraph"]`.

Flask is imported inside the functions of this module, not at its top: the query worker
processes import `essgraph.web.pool`, hence this package, and have no use for Flask (about
10 MB each).
"""

from __future__ import annotations

import atexit
import gzip
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..config import Settings
from ..errors import EssgraphError
from .metrics import Metrics
from .pool import GZIP_LEVEL, QueryPool, RemotePool, make_pool

if TYPE_CHECKING:
    from flask import Flask, Response
    from werkzeug.exceptions import HTTPException

log = logging.getLogger("essgraph.web")

EXTENSION = "essgraph"
GZIP_MIN_BYTES = 512
_HTTP_CODES = {413: "REQUEST_TOO_LARGE", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


@dataclass
class Service:
    """What the app holds for its whole life: settings, the query pool, the counters."""

    settings: Settings
    pool: QueryPool | RemotePool
    metrics: Metrics = field(default_factory=Metrics)

    def close(self) -> None:
        self.pool.close()


def service() -> Service:
    """The Service of the app handling the current request."""
    from flask import current_app

    return current_app.extensions[EXTENSION]


def create_app(settings: Settings | None = None) -> Flask:
    from flask import Flask
    from werkzeug.exceptions import HTTPException

    settings = settings or Settings.load()
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=settings.max_request_bytes)
    app.json.ensure_ascii = False
    app.json.sort_keys = False  # errors read {"error", "message", "where"} in that order
    pool = make_pool(settings)
    app.extensions[EXTENSION] = Service(settings, pool, Metrics(cache_stats=pool.cache_stats))
    atexit.register(pool.close)

    from . import api, catalog, collections, home, ops, pages, resources, sparql

    app.register_blueprint(sparql.bp)
    app.register_blueprint(ops.bp)
    api.init_app(app)
    pages.init_app(app)
    app.register_blueprint(resources.bp)
    home.init_app(app)
    collections.init_app(app)
    catalog.init_app(app)
    app.register_error_handler(EssgraphError, _essgraph_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.after_request(_cors)
    app.after_request(_gzip)
    return app


def error_response(code: str, message: str, where: str | None, status: int) -> Response:
    """The one error shape, counted in /metrics."""
    from flask import jsonify

    service().metrics.error(code)
    response = jsonify({"error": code, "message": message, "where": where})
    response.status_code = status
    return response


def _essgraph_error(e: EssgraphError) -> Response:
    return error_response(e.code, e.message, e.where, e.status)


def _http_error(e: HTTPException) -> Response:
    status = e.code or 500
    code = _HTTP_CODES.get(status) or (e.name or "error").upper().replace(" ", "_")
    response = error_response(code, e.description or e.name, None, status)
    for name in ("Allow", "Retry-After"):
        value = e.get_response().headers.get(name)
        if value:
            response.headers[name] = value
    return response


def _unexpected_error(e: Exception) -> Response:
    from flask import request

    log.exception("unexpected error on %s %s", request.method, request.path)
    return error_response("INTERNAL", "an unexpected error occurred; it has been logged", None,
                          500)


def _cors(response: Response) -> Response:
    """Every route only reads, so any origin may call it (also with POSTed queries)."""
    from flask import request

    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = (
        "X-Essgraph-Truncated, X-Essgraph-Build, X-Essgraph-Cache, Content-Length, ETag"
    )
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = request.headers.get(
            "Access-Control-Request-Headers", "Accept, Content-Type"
        )
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


def _gzip(response: Response) -> Response:
    """gzip bodies worth compressing when the client accepts gzip (q > 0)."""
    from flask import request

    if (
        response.direct_passthrough
        or response.is_streamed
        or "Content-Encoding" in response.headers
        or not 200 <= response.status_code < 300
        or not request.accept_encodings["gzip"]
    ):
        return response
    response.vary.add("Accept-Encoding")
    data = response.get_data()
    if len(data) < GZIP_MIN_BYTES:
        return response
    response.set_data(gzip.compress(data, compresslevel=GZIP_LEVEL))
    response.headers["Content-Encoding"] = "gzip"
    return response
