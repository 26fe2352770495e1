"""Collections: /actors, /territories, /policies, /bodies, /events, /partnerships,
/indicators, /sources, as paged Hydra collections in HTML, JSON-LD (context inline) and CSV.

Paging is by keyset, not OFFSET: members are ordered by IRI and a page is "the next `limit`
IRIs after ?after=<iri>" (or before ?before=<iri>, for hydra:previous), so a walk that
follows hydra:next never repeats or skips a member, even across a build switch.

Filters (combined with AND):
- territory=<IRI, /id/... path or territoire/... path>: members in that territory or in any
  territory inside it (ess:within is materialised by the build), following each kind's
  natural link: an actor's ess:locatedIn (or the territory an authority governs), an event's
  venue, a policy's ess:appliesTo/dct:spatial, a partnership's parties...;
- type=<ess class local name or IRI> (e.g. type=Association, type=Metropole);
- legalForm=<code or IRI> (concept:forme-juridique/...), theme=<code or IRI>
  (concept:theme/...);
- year=YYYY: a start date, founding date, reference period, milestone or document date in
  that year.
Territories: only those the ESS data mentions or declares (a triple of a source graph names
them), not every commune of the official reference; ?all=true lists them all.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request

from .. import linkeddata as ld
from .. import vocab
from ..errors import ParameterError
from . import service
from .resources import FORMATS, UI, choose, finish, href, run_select, ui_lang

bp = Blueprint("collections", __name__, template_folder="templates")

OFFERED = ("html", "jsonld", "csv")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_YEAR = re.compile(r"^\d{4}$")

# How a member of each kind reaches a territory (before ess:within).
TERRITORY_PATH = {
    "actor": "(ess:locatedIn|ess:governs)",
    "body": "(ess:locatedIn|dct:spatial|ess:appliesTo|ess:convenedBy/ess:governs)",
    "policy": "(ess:appliesTo|dct:spatial)",
    "event": "(schema:location/ess:locatedIn?)",
    "partnership": "(ess:party/(ess:locatedIn|ess:governs))",
    "indicator": "(dct:spatial|ess:subject/(ess:locatedIn|ess:governs|ess:appliesTo))",
    "source": "dct:spatial",
}
DATE_PATH = ("(schema:startDate|ess:startDate|ess:refPeriod|ess:periodStart|dct:date|dct:issued"
             "|schema:foundingDate|ess:date|ess:milestone/ess:date)")


def init_app(app) -> None:
    for kind in ld.KINDS:
        view = _view(kind)
        app.add_url_rule(f"/{kind.collection}", f"collections.{kind.collection}", view)
        app.add_url_rule(f"/{kind.collection}.<ext>", f"collections.{kind.collection}_ext", view)


def _view(kind: ld.Kind):
    def view(ext: str | None = None) -> Response:
        return collection(kind, ext)

    view.__name__ = f"collection_{kind.name}"
    return view


def _iri(value: str, where: str, prefix: str) -> str:
    """An IRI from a parameter: a full IRI, a local path (/id/...), or a path under prefix."""
    base = service().settings.public_base
    value = value.strip()
    if value.startswith(("http://", "https://")):
        iri = value
    elif value.startswith(("/id/", "/concept/")):
        iri = base + value[1:]
    elif value.startswith(("id/", "concept/")):
        iri = base + value
    elif all(_CODE.match(part) for part in value.split("/")) and value:
        iri = prefix + value
    else:
        raise ParameterError(f"{where} must be an IRI or a code, not {value!r}", where=where)
    try:
        return ld.iri_term(iri)
    except ValueError as e:
        raise ParameterError(f"{where} is not a valid IRI: {value!r}", where=where) from e


def filters_sparql(kind: ld.Kind, args) -> tuple[str, dict[str, str]]:
    """The WHERE-clause lines for the request's filters, and the filters as given."""
    base = service().settings.public_base
    lines, used = [], {}
    if "territory" in args and args["territory"]:
        t = args["territory"].strip()
        if not t.startswith(("http", "/", "id/", "territoire/")):
            t = "territoire/" + t
        if t.startswith("territoire/"):
            t = "id/" + t
        term = _iri(t, "territory", base + "id/")
        used["territory"] = args["territory"]
        if kind.name == "territory":
            lines.append(f"FILTER(?s = {term} || EXISTS {{ ?s ess:within {term} }})")
        else:
            lines.append(f"?s {TERRITORY_PATH[kind.name]} ?t0 . "
                         f"FILTER(?t0 = {term} || EXISTS {{ ?t0 ess:within {term} }})")
    if args.get("type"):
        term = _iri(args["type"], "type", vocab.ESS)
        used["type"] = args["type"]
        lines.append(f"?s a {term} .")
    if args.get("legalForm"):
        term = _iri(args["legalForm"], "legalForm", base + "concept/forme-juridique/")
        used["legalForm"] = args["legalForm"]
        lines.append(f"?s ess:legalForm {term} .")
    if args.get("theme"):
        term = _iri(args["theme"], "theme", base + "concept/theme/")
        used["theme"] = args["theme"]
        lines.append(f"?s ess:theme {term} .")
    if args.get("year"):
        if not _YEAR.match(args["year"]):
            raise ParameterError("year must be four digits, e.g. 2024", where="year")
        used["year"] = args["year"]
        lines.append(f"?s {DATE_PATH} ?d . "
                     f"FILTER(SUBSTR(STR(?d), 1, 4) = {ox.Literal(args['year'])})")
    if kind.name == "territory":
        if args.get("all") == "true":
            used["all"] = "true"
        else:
            lines.append("FILTER EXISTS { GRAPH ?mg { { ?s ?mp ?mo } UNION { ?ms ?mp2 ?s } } "
                         f"FILTER(STRSTARTS(STR(?mg), \"{vocab.GRAPH_SOURCE}\")) }}")
    return "\n  ".join(lines), used


def members_query(kind: ld.Kind, where: str, after: str | None, before: str | None,
                  limit: int) -> str:
    key = ""
    order = "ORDER BY STR(?s)"
    if after:
        key = f"FILTER(STR(?s) > STR({after}))"
    elif before:
        key = f"FILTER(STR(?s) < STR({before}))"
        order = "ORDER BY DESC(STR(?s))"
    return f"""{vocab.sparql_prologue()}SELECT ?s (SAMPLE(?fr) AS ?label) (SAMPLE(?any) AS ?other)
WHERE {{
  {{ SELECT DISTINCT ?s WHERE {{
    ?s a <{kind.cls}> . FILTER(isIRI(?s))
    {where}
    {key}
  }} {order} LIMIT {int(limit)} }}
  OPTIONAL {{ ?s skos:prefLabel ?fr FILTER(LANGMATCHES(LANG(?fr), "fr")) }}
  OPTIONAL {{ ?s skos:prefLabel ?any }}
}} GROUP BY ?s {order}"""


def count_query(kind: ld.Kind, where: str) -> str:
    return f"""{vocab.sparql_prologue()}SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{
  ?s a <{kind.cls}> . FILTER(isIRI(?s))
  {where}
}}"""


def collection(kind: ld.Kind, ext: str | None) -> Response:
    if ext is not None and ext not in OFFERED:
        from .resources import not_found

        return not_found(request.path)
    fmt = choose(OFFERED, ext)
    args = request.args
    try:
        limit = min(MAX_LIMIT, max(1, int(args.get("limit", DEFAULT_LIMIT))))
    except ValueError as e:
        raise ParameterError("limit must be a number", where="limit") from e
    where, used = filters_sparql(kind, args)
    after = _iri(args["after"], "after", "") if args.get("after") else None
    before = _iri(args["before"], "before", "") if args.get("before") and not after else None
    rows, build = run_select(members_query(kind, where, after, before, limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    if before:
        rows.reverse()
    total = int(run_select(count_query(kind, where))[0][0]["n"]["value"])
    members = []
    for row in rows:
        label = row.get("label") or row.get("other")
        members.append({"iri": row["s"]["value"], "href": href(row["s"]["value"]),
                        "label": label["value"] if label else row["s"]["value"],
                        "lang": label.get("xml:lang", "") if label else ""})

    def page_url(key: str | None = ext, **cursor: str) -> str:
        params = dict(used)
        if limit != DEFAULT_LIMIT:
            params["limit"] = str(limit)
        params.update(cursor)
        suffix = f".{key}" if key else ""
        query = urlencode(params)
        return f"/{kind.collection}{suffix}" + (f"?{query}" if query else "")

    has_next = bool(members) and (more if not before else True)
    has_prev = bool(members) and ((more if before else False) or bool(after))
    pages = {"first": page_url()}
    if has_next:
        pages["next"] = page_url(after=members[-1]["iri"])
    if has_prev:
        pages["previous"] = page_url(before=members[0]["iri"])
    current = request.full_path.rstrip("?")
    if fmt.key == "html":
        lang = ui_lang()
        body = render_template(
            "ld/collection.html", kind=kind, members=members, total=total, pages=pages,
            used=used, lang=lang, ui=UI[lang],
            formats=[FORMATS[k] for k in OFFERED if k != "html"],
            suffix_url=lambda k: page_url(k, **({"after": args["after"]} if after else {})),
        )
    elif fmt.key == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["iri", "label"])
        for m in members:
            writer.writerow([m["iri"], m["label"]])
        body = out.getvalue()
    else:
        body = json.dumps(hydra_page(kind, members, total, pages, current), ensure_ascii=False,
                          indent=1)
    content_type = fmt.content_type if fmt.key != "jsonld" else fmt.media_type
    response = Response(body, content_type=content_type)
    response.headers["Link"] = ", ".join(
        [f'<{url}>; rel="{rel}"' for rel, url in pages.items()]
        + [f'</{kind.collection}.{k}>; rel="alternate"; type="{FORMATS[k].media_type}"'
           for k in OFFERED]
    )
    response.headers["X-Total-Count"] = str(total)
    tag = hashlib.sha256(json.dumps([rows, total, fmt.key, current, ui_lang()]).encode())
    return finish(response, tag.hexdigest()[:32], build, vary=ext is None)


def hydra_page(kind: ld.Kind, members: list[dict], total: int, pages: dict[str, str],
               current: str) -> dict:
    """One page of the collection as JSON-LD (Hydra core), with the context inline."""
    root = request.host_url.rstrip("/")
    context = dict(ld.context_document()["@context"])
    view = {"id": root + current, "type": "hydra:PartialCollectionView"}
    for rel in ("first", "previous", "next"):
        if rel in pages:
            view[f"hydra:{rel}"] = {"id": root + pages[rel]}
    return {
        "@context": context,
        "id": root + f"/{kind.collection}",
        "type": "hydra:Collection",
        "hydra:totalItems": total,
        "hydra:member": [
            {"id": m["iri"], "type": kind.cls[len(vocab.ESS):],
             "label": {m["lang"] or "@none": m["label"]}}
            for m in members
        ],
        "hydra:view": view,
    }
