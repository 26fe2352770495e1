"""The query editor: /sparql for a browser, with YASGUI and the named queries as examples.

A request for /sparql without parameters whose Accept header prefers `text/html` to every
format of the service description (what a browser sends; curl's `*/*` and SPARQL clients
still get the description) gets an HTML page running YASGUI on this endpoint, with one tab
per named query: its title as the tab's name and its text with the parameters bound to
their examples (the engine's VALUES block, as the API binds them) or, when a required
parameter has no example, the query as written.

YASGUI comes from npm (`@zazuko/yasgui`, pinned in package.json and installed by
`make setup`) and is served from `node_modules/@zazuko/yasgui/build/` at /static/yasgui/:
never from a CDN, never copied into the repository. The bundle needs the page to declare
`<meta charset="utf-8">`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, render_template, request, send_from_directory

from ..errors import EssgraphError
from ..queries import NamedQuery
from . import service
from .api import bound_text, catalog, example_values
from .formats import GRAPH_FORMATS

log = logging.getLogger("essgraph.web")

bp = Blueprint("pages", __name__, template_folder="templates")

YASGUI_BUILD = Path("node_modules") / "@zazuko" / "yasgui" / "build"
YASGUI_FILES = frozenset({"yasgui.min.js", "yasgui.min.css", "yasgui.min.js.map"})
HTML = "text/html"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.before_request(_editor_for_browsers)


def yasgui_dir() -> Path:
    return service().settings.root / YASGUI_BUILD


def wants_editor() -> bool:
    """A plain GET of /sparql from a client that prefers HTML to RDF."""
    if request.path != "/sparql" or request.method not in ("GET", "HEAD"):
        return False
    if request.query_string:
        return False
    offered = [f.media_type for f in GRAPH_FORMATS] + [HTML]
    return request.accept_mimetypes.best_match(offered) == HTML and (
        request.accept_mimetypes[HTML] > 0
    )


def _editor_for_browsers() -> Response | None:
    if not wants_editor():
        return None
    response = Response(editor_page(), content_type="text/html; charset=utf-8")
    response.vary.add("Accept")
    return response


def editor_page() -> str:
    examples, problem = _examples()
    config = {
        "endpoint": "/sparql",
        "examples": examples,
        # A new set of examples is offered again to a browser that saw an older one.
        "fingerprint": hashlib.sha256(json.dumps(examples).encode()).hexdigest()[:16],
    }
    return render_template(
        "editor.html",
        config=config,
        problem=problem,
        yasgui_installed=(yasgui_dir() / "yasgui.min.js").is_file(),
    )


def _examples() -> tuple[list[dict[str, str]], str | None]:
    """One tab per named query; a broken queries folder costs the examples, not the page."""
    try:
        named = catalog().queries()
    except EssgraphError as e:
        log.warning("query editor without examples: %s", e)
        return [], f"The named queries could not be read: {e}"
    return [{"name": nq.name, "title": nq.title, "query": example_text(nq)}
            for nq in named.values()], None


def example_text(nq: NamedQuery) -> str:
    """The query text an example tab opens with: a comment saying what it is, then the
    query with its example values bound, or as written."""
    lines = [f"# {nq.title}", f"# {nq.description}"]
    values = example_values(nq)
    text = nq.sparql
    if values is not None:
        try:
            text = bound_text(nq, values)
            if values:
                lines.append("# Example values: " + ", ".join(
                    f"{k} = {v}" for k, v in values.items()))
        except EssgraphError as e:
            log.warning("named query %s: example values do not bind: %s", nq.name, e)
            text = nq.sparql
    if nq.params:
        lines.append("# API: /api/queries/" + nq.name + "?" + "&".join(
            f"{p}=..." for p in nq.params))
    return "\n".join(lines) + "\n" + text


@bp.get("/static/yasgui/<path:filename>")
def yasgui_asset(filename: str) -> Response:
    """YASGUI's bundle from node_modules (a fixed list of files, nothing else there)."""
    if filename not in YASGUI_FILES:
        abort(404)
    directory = yasgui_dir()
    if not (directory / filename).is_file():
        abort(404, description="YASGUI is not installed: run `make setup` (npm install)")
    return send_from_directory(directory, filename, max_age=3600)
