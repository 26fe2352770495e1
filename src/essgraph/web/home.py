"""The home page: what the dataset is, its collections, and the ways in (SPARQL, catalog,
dumps, ontology, search). Also the template helpers every Linked Data page shares."""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, render_template, request

from .. import linkeddata as ld
from ..errors import EssgraphError
from .resources import UI, choose, current_build_id, finish, ui_lang

bp = Blueprint("home", __name__, template_folder="templates")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.context_processor(_template_helpers)


def _template_helpers() -> dict:
    return {"ld_kinds": ld.KINDS, "other_lang_url": other_lang_url}


def other_lang_url() -> str:
    """This page in the other language (lang=en, or French without the parameter)."""
    args = request.args.to_dict(flat=False)
    if ui_lang() == "en":
        args.pop("lang", None)
    else:
        args["lang"] = ["en"]
    query = urlencode(args, doseq=True)
    return request.path + ("?" + query if query else "")


@bp.get("/")
def home() -> Response:
    fmt = choose(("html",))
    lang = ui_lang()
    body = render_template("ld/home.html", lang=lang, ui=UI[lang], kinds=ld.KINDS)
    response = Response(body, content_type=fmt.content_type)
    response.headers["Link"] = '</context/v1.jsonld>; rel="describedby"'
    try:
        build = current_build_id()
    except EssgraphError:  # the page explains the dataset even before the first build
        build = ""
    return finish(response, hashlib.sha256(body.encode()).hexdigest()[:32], build, vary=False)
