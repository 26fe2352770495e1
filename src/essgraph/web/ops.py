"""Operations: /healthz for load balancers and /metrics for Prometheus."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from . import service

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """200 with the current build when a query worker can open it; the error (503) if not."""
    info = service().pool.info(service().settings.query_timeout)
    return jsonify(
        {"status": "ok", "build": info.build, "triples": info.triples, "graphs": len(info.graphs)}
    )


@bp.get("/metrics")
def metrics() -> Response:
    return Response(service().metrics.render(), content_type="text/plain; version=0.0.4")
