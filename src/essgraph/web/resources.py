"""Dereferenceable resources: /id/..., /concept/..., /ontology, the JSON-LD context and
frames, and the name search.

Every IRI under `settings.public_base` (https://w3id.org/essgraph/ by default) is served at
its path here: https://w3id.org/essgraph/id/organisation/x at /id/organisation/x. A GET
answers 200 directly (no 303 redirect: one round trip; each document is about exactly one
IRI, the root of its JSON-LD) in the format the Accept header prefers among HTML, JSON-LD,
Turtle, N-Triples and RDF/XML; `*/*` and no Accept header get HTML. The same documents are
at suffix URLs (.html, .jsonld, .ttl, .nt, .rdf), which ignore the Accept header. Headers:
`Vary: Accept`, `Content-Location` (the suffix URL of what was sent), `Link: rel="alternate"` for
every format, and for JSON-LD `rel="profile"` (the frame) and `rel="describedby"` (the
context). A weak ETag (hash of the canonical N-Triples of the document and the media type)
and Last-Modified (the build's time) on every GET; 304 on If-None-Match/If-Modified-Since.

Unknown resources: 404, an HTML page for browsers, the JSON error shape otherwise. Nothing
acceptable: 406 listing the formats. All store access goes through the query pool.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from threading import Lock

import pyoxigraph as ox
from flask import Blueprint, Response, abort, render_template, request
from markupsafe import Markup
from pyld import jsonld

from .. import linkeddata as ld
from .. import vocab
from ..errors import NotAcceptable, NotFound
from . import service
from .pool import QueryJob

log = logging.getLogger("essgraph.web")

bp = Blueprint("ld", __name__, template_folder="templates")


# --- formats and negotiation -----------------------------------------------------------


@dataclass(frozen=True)
class DocFormat:
    key: str  # also the URL suffix
    media_type: str
    aliases: tuple[str, ...]
    name: str  # for people
    ox_format: ox.RdfFormat | None = None

    @property
    def content_type(self) -> str:
        return self.media_type + ("; charset=utf-8" if self.media_type.startswith("text/")
                                  else "")


FORMATS: dict[str, DocFormat] = {
    f.key: f
    for f in (
        DocFormat("html", "text/html", ("application/xhtml+xml",), "HTML"),
        DocFormat("jsonld", "application/ld+json", ("application/json",), "JSON-LD",
                  ox.RdfFormat.JSON_LD),
        DocFormat("ttl", "text/turtle", ("application/x-turtle", "application/turtle"),
                  "Turtle", ox.RdfFormat.TURTLE),
        DocFormat("nt", "application/n-triples", ("text/plain",), "N-Triples",
                  ox.RdfFormat.N_TRIPLES),
        DocFormat("rdf", "application/rdf+xml", ("application/xml", "text/xml"), "RDF/XML",
                  ox.RdfFormat.RDF_XML),
        DocFormat("csv", "text/csv", (), "CSV"),
    )
}
DOC_KEYS = ("html", "jsonld", "ttl", "nt", "rdf")
JSONLD_FRAMED = "http://www.w3.org/ns/json-ld#framed"
_SUFFIX = re.compile(r"^(?P<path>.+)\.(?P<ext>html|jsonld|ttl|nt|rdf|csv)$")


def split_suffix(path: str, offered: Sequence[str] = DOC_KEYS) -> tuple[str, str | None]:
    """("id/x", "ttl") for "id/x.ttl"; the suffix is None when there is none we offer."""
    m = _SUFFIX.match(path)
    if m and m["ext"] in offered:
        return m["path"], m["ext"]
    return path, None


def choose(offered: Sequence[str], suffix: str | None = None) -> DocFormat:
    """The format of the answer: the suffix if any, else the Accept header (server order
    breaks ties, so */* gets the first offered: HTML); 406 when nothing offered fits."""
    if suffix is not None:
        return FORMATS[suffix]
    accept = request.accept_mimetypes
    if not accept:
        return FORMATS[offered[0]]
    by_type: dict[str, DocFormat] = {FORMATS[k].media_type: FORMATS[k] for k in offered}
    for k in offered:
        for alias in FORMATS[k].aliases:
            by_type.setdefault(alias, FORMATS[k])
    best = accept.best_match(list(by_type))
    if best is None:
        raise NotAcceptable(
            f"cannot answer Accept: {accept}; this resource is offered as "
            + ", ".join(FORMATS[k].media_type for k in offered)
            + " (or add the suffix ." + ", .".join(offered) + ")",
            where="Accept",
        )
    return by_type[best]


def wants_html() -> bool:
    """For error pages: does the client prefer HTML to JSON?"""
    accept = request.accept_mimetypes
    return not accept or accept.best_match(["text/html", "application/json"]) == "text/html"


# --- the query pool --------------------------------------------------------------------


def run_graph(sparql: str, max_rows: int | None = None) -> tuple[list[ox.Triple], str]:
    """A CONSTRUCT through the pool: (canonical triples, build id)."""
    svc = service()
    answer = svc.pool.run(
        QueryJob(sparql, "nt", max_rows=max_rows or svc.settings.max_rows, internal=True),
        svc.settings.query_timeout,
    )
    if answer.truncated:
        log.warning("a document was cut at %d triples", answer.rows)
    return ld.canonical(ld.parse_nt(answer.body)), answer.build


def run_select(sparql: str, max_rows: int | None = None) -> tuple[list[dict], str]:
    """A SELECT through the pool: (rows as {var: SPARQL JSON term}, build id)."""
    svc = service()
    answer = svc.pool.run(
        QueryJob(sparql, "json", max_rows=max_rows or svc.settings.max_rows, internal=True),
        svc.settings.query_timeout,
    )
    return json.loads(answer.body)["results"]["bindings"], answer.build


def build_time(build: str) -> datetime | None:
    """The build's time, from its id (builds are named by their UTC start time)."""
    try:
        return datetime.strptime(build.split("-", 1)[0], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
    except ValueError:
        return None


_cache_lock = Lock()
_caches: dict[tuple[str, str], object] = {}


def per_build(name: str, build: str, compute):
    """A value computed once per build (the ontology's labels, the search index)."""
    key = (name, build)
    with _cache_lock:
        if key in _caches:
            return _caches[key]
    value = compute()
    with _cache_lock:
        for old in [k for k in _caches if k[0] == name and k[1] != build]:
            del _caches[old]
        _caches[key] = value
    return value


def current_build_id() -> str:
    svc = service()
    return svc.pool.info(svc.settings.query_timeout).build


# --- responses -------------------------------------------------------------------------


def loader():
    settings = service().settings
    return ld.frozen_loader((settings.public_base, settings.base_url, request.host_url))


def finish(response: Response, tag: str, build: str, *, vary: bool = True) -> Response:
    """ETag, Last-Modified, Vary, caching; 304 when the client has it already."""
    response.set_etag(tag, weak=True)
    modified = build_time(build)
    if modified is not None:
        response.last_modified = modified
    if vary:
        response.vary.add("Accept")
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response.make_conditional(request)


def link_header(path: str, offered: Sequence[str], extra: Sequence[str] = ()) -> str:
    links = [f'<{path}.{k}>; rel="alternate"; type="{FORMATS[k].media_type}"' for k in offered]
    return ", ".join([*links, *extra])


def ui_lang() -> str:
    return "en" if request.args.get("lang") == "en" else "fr"


def not_found(what: str, fmt: DocFormat | None = None) -> Response:
    """404: a page for people (with a search box), the JSON error shape for programs."""
    if (fmt is None and wants_html()) or (fmt is not None and fmt.key == "html"):
        service().metrics.error("NOT_FOUND")
        body = render_template("ld/not_found.html", what=what, lang=ui_lang(), ui=UI[ui_lang()])
        response = Response(body, status=404, content_type="text/html; charset=utf-8")
        response.vary.add("Accept")
        return response
    raise NotFound(f"nothing is known here about {what}", where=request.path)


# --- labels for people -----------------------------------------------------------------

UI = {
    "fr": {
        "site": "essgraph", "tagline": "Graphe de connaissances de l'économie sociale et solidaire",
        "home": "Accueil", "search": "Rechercher", "search_label": "Rechercher un nom",
        "ontology": "Ontologie", "sparql": "SPARQL", "catalog": "Catalogue",
        "dumps": "Téléchargements", "properties": "Propriétés", "property": "Propriété",
        "value": "Valeur", "incoming": "Liens entrants", "sources": "Sources",
        "section": "Section", "quote": "Citation", "formats": "Autres formats",
        "types": "Types", "next": "Suivant", "previous": "Précédent", "first": "Début",
        "not_found": "Ressource inconnue", "results": "Résultats", "no_results": "Aucun résultat",
        "other_lang": "English", "other_lang_code": "en", "members": "éléments",
        "filters": "Filtres", "apply": "Filtrer", "territory": "Territoire (IRI ou code)",
        "type": "Type", "theme": "Thème", "year": "Année", "all": "tous les territoires",
        "legal_form": "Forme juridique", "classes": "Classes", "definition": "Définition",
        "label": "Libellé", "domain": "Domaine", "range": "Portée", "subclass_of": "Sous-classe de",
        "subproperty_of": "Sous-propriété de", "inverse_of": "Inverse de",
        "skip": "Aller au contenu", "data_license": "Données sous Licence Ouverte",
        "cited_quotes": "Extraits qui attestent ces faits", "document": "Document",
    },
    "en": {
        "site": "essgraph", "tagline": "Knowledge graph of the social and solidarity economy",
        "home": "Home", "search": "Search", "search_label": "Search a name",
        "ontology": "Ontology", "sparql": "SPARQL", "catalog": "Catalogue",
        "dumps": "Downloads", "properties": "Properties", "property": "Property",
        "value": "Value", "incoming": "Incoming links", "sources": "Sources",
        "section": "Section", "quote": "Quote", "formats": "Other formats",
        "types": "Types", "next": "Next", "previous": "Previous", "first": "First",
        "not_found": "Unknown resource", "results": "Results", "no_results": "No result",
        "other_lang": "Français", "other_lang_code": "fr", "members": "items",
        "filters": "Filters", "apply": "Filter", "territory": "Territory (IRI or code)",
        "type": "Type", "theme": "Theme", "year": "Year", "all": "all territories",
        "legal_form": "Legal form", "classes": "Classes", "definition": "Definition",
        "label": "Label", "domain": "Domain", "range": "Range", "subclass_of": "Subclass of",
        "subproperty_of": "Subproperty of", "inverse_of": "Inverse of",
        "skip": "Skip to content", "data_license": "Data under the Licence Ouverte",
        "cited_quotes": "Quotes that support these facts", "document": "Document",
    },
}

# Standard properties the pages show, in both languages (ess: terms come from the ontology).
STANDARD_LABELS: dict[str, tuple[str, str]] = {
    vocab.RDF + "type": ("type", "type"),
    vocab.SKOS + "prefLabel": ("nom", "name"),
    vocab.SKOS + "altLabel": ("autre nom", "other name"),
    vocab.SKOS + "definition": ("définition", "definition"),
    vocab.SKOS + "inScheme": ("dans le schéma", "in scheme"),
    vocab.SKOS + "broader": ("plus large", "broader"),
    vocab.SKOS + "narrower": ("plus précis", "narrower"),
    vocab.SKOS + "topConceptOf": ("concept de tête de", "top concept of"),
    vocab.SKOS + "hasTopConcept": ("concept de tête", "top concept"),
    vocab.SKOS + "notation": ("code", "notation"),
    vocab.DCT + "description": ("description", "description"),
    vocab.DCT + "title": ("titre", "title"),
    vocab.DCT + "isPartOf": ("fait partie de", "part of"),
    vocab.DCT + "hasPart": ("comprend", "has part"),
    vocab.DCT + "spatial": ("territoire concerné", "spatial coverage"),
    vocab.DCT + "subject": ("sujet", "subject"),
    vocab.DCT + "publisher": ("éditeur", "publisher"),
    vocab.DCT + "date": ("date", "date"),
    vocab.DCT + "issued": ("publié le", "issued"),
    vocab.DCT + "temporal": ("période", "temporal coverage"),
    vocab.DCT + "references": ("fait référence à", "references"),
    vocab.DCT + "relation": ("en relation avec", "relation"),
    vocab.PROV + "wasDerivedFrom": ("source", "derived from"),
    vocab.PROV + "wasQuotedFrom": ("cité de", "quoted from"),
    vocab.ORG + "memberOf": ("membre de", "member of"),
    vocab.ORG + "hasMember": ("a pour membre", "has member"),
    vocab.FOAF + "homepage": ("site web", "homepage"),
    vocab.FOAF + "name": ("nom", "name"),
    vocab.SCHEMA + "location": ("lieu", "location"),
    vocab.SCHEMA + "organizer": ("organisateur", "organizer"),
    vocab.SCHEMA + "startDate": ("début", "start date"),
    vocab.SCHEMA + "endDate": ("fin", "end date"),
    vocab.SCHEMA + "superEvent": ("fait partie de l'événement", "super-event"),
    vocab.SCHEMA + "subEvent": ("sous-événement", "sub-event"),
    vocab.SCHEMA + "about": ("à propos de", "about"),
    vocab.SCHEMA + "address": ("adresse", "address"),
    vocab.SCHEMA + "attendee": ("participant", "attendee"),
    vocab.SCHEMA + "mentions": ("mentionne", "mentions"),
    vocab.IGEO + "codeINSEE": ("code INSEE", "INSEE code"),
}
# How a link reads from the page of its object ("partenaire de", "membre de", "cité par").
INVERSE_LABELS: dict[str, tuple[str, str]] = {
    vocab.ESS + "party": ("partie de", "party of"),
    vocab.ESS + "provider": ("apporte à", "provider in"),
    vocab.ESS + "recipient": ("bénéficiaire de", "recipient in"),
    vocab.ORG + "hasMember": ("membre de", "member of"),
    vocab.ORG + "memberOf": ("a pour membre", "has member"),
    vocab.PROV + "wasDerivedFrom": ("cité par", "cited by"),
    vocab.ESS + "citedExample": ("cité en exemple par", "cited as an example by"),
    vocab.ESS + "locatedIn": ("localisé ici", "located here"),
    vocab.ESS + "within": ("contient", "contains"),
    vocab.ESS + "directlyWithin": ("contient directement", "directly contains"),
    vocab.ESS + "appliesTo": ("s'applique ici", "applies here"),
    vocab.SCHEMA + "organizer": ("organise", "organises"),
    vocab.ESS + "eventPartner": ("partenaire de l'événement", "event partner of"),
    vocab.ESS + "presenter": ("intervient à", "presents at"),
    vocab.ESS + "carriedBy": ("porte", "carries"),
    vocab.ESS + "adoptedBy": ("a adopté", "adopted"),
    vocab.ESS + "heldBy": ("détient", "holds"),
    vocab.ESS + "subject": ("mesuré par", "measured by"),
    vocab.DCT + "isPartOf": ("comprend", "has part"),
    vocab.SCHEMA + "superEvent": ("comprend l'événement", "has sub-event"),
    vocab.SCHEMA + "location": ("lieu de", "location of"),
    vocab.ESS + "relatedTo": ("lié à", "related to"),
    vocab.ESS + "governs": ("gouverné par", "governed by"),
    vocab.ESS + "convenedBy": ("convoque", "convenes"),
    vocab.ESS + "theme": ("thème de", "theme of"),
}


@dataclass
class OntologyIndex:
    """The ontology's terms for pages: labels and definitions by language, hierarchy."""

    labels: dict[str, dict[str, str]]
    definitions: dict[str, dict[str, str]]
    classes: list[str]
    properties: list[str]
    triples: list[ox.Triple]
    by_subject: dict[str, list[ox.Triple]]


def ontology_index() -> OntologyIndex:
    def compute() -> OntologyIndex:
        triples, _ = run_graph(ld.ontology_query(), max_rows=200_000)
        labels: dict[str, dict[str, str]] = defaultdict(dict)
        definitions: dict[str, dict[str, str]] = defaultdict(dict)
        by_subject: dict[str, list[ox.Triple]] = defaultdict(list)
        classes, properties = set(), set()
        for t in triples:
            s, p, o = t.subject.value, t.predicate.value, t.object
            by_subject[s].append(t)
            if p == vocab.RDFS + "label" and isinstance(o, ox.Literal):
                labels[s][o.language or ""] = o.value
            elif p == vocab.SKOS + "definition" and isinstance(o, ox.Literal):
                definitions[s][o.language or ""] = o.value
            elif p == ld.RDF_TYPE and s.startswith(vocab.ESS):
                if o.value == vocab.OWL + "Class":
                    classes.add(s)
                elif o.value.endswith("Property"):
                    properties.add(s)
        return OntologyIndex(dict(labels), dict(definitions), sorted(classes),
                             sorted(properties), triples, dict(by_subject))

    return per_build("ontology", current_build_id(), compute)


def term_label(iri: str, lang: str, index: OntologyIndex | None) -> str:
    if index is not None and iri in index.labels:
        labels = index.labels[iri]
        return labels.get(lang) or labels.get("fr") or next(iter(labels.values()))
    if iri in STANDARD_LABELS:
        return STANDARD_LABELS[iri][0 if lang == "fr" else 1]
    return short_iri(iri)


def short_iri(iri: str) -> str:
    for prefix, ns in vocab.PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def href(iri: str) -> str:
    """Where a page links for an IRI: the local path of our resources, the IRI otherwise."""
    return ld.local_path(iri, service().settings.public_base) or iri


def pick_label(values: dict[str, list[str]] | None, lang: str) -> tuple[str, str] | None:
    """(text, lang) of the best label: the page's language, then French, then any."""
    if not values:
        return None
    for candidate in (lang, "fr", "en", ""):
        if values.get(candidate):
            return values[candidate][0], candidate
    first = next(iter(values))
    return values[first][0], first


def json_script(document: dict) -> Markup:
    """JSON for a <script> element: nothing in it can close the element."""
    text = json.dumps(document, ensure_ascii=False, indent=1)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


# --- entity documents ------------------------------------------------------------------


@dataclass
class Document:
    iri: str
    path: str  # local path without suffix
    triples: list[ox.Triple]
    build: str
    kind: ld.Kind | None

    @property
    def frame(self) -> str:
        return self.kind.name if self.kind else ld.GENERIC_FRAME


def load_document(path: str) -> Document | None:
    settings = service().settings
    iri = settings.public_base + path
    try:
        query = ld.describe_query(iri)
    except ValueError:
        return None
    triples, build = run_graph(query)
    own_types = [t.object.value for t in triples
                 if t.subject.value == iri and t.predicate.value == ld.RDF_TYPE]
    if not any(t.subject.value == iri for t in triples):
        return None
    return Document(iri, "/" + path, triples, build, ld.kind_of(own_types))


def jsonld_document(doc: Document) -> dict:
    return ld.framed(doc.triples, doc.iri, doc.frame, loader(), service().settings.public_base)


@bp.get("/id/<path:rest>")
def entity(rest: str) -> Response:
    return serve_resource("id/" + rest)


@bp.get("/concept/<path:rest>")
def concept(rest: str) -> Response:
    return serve_resource("concept/" + rest)


def serve_resource(path: str) -> Response:
    path, suffix = split_suffix(path)
    fmt = choose(DOC_KEYS, suffix)
    doc = load_document(path)
    if doc is None:
        return not_found(service().settings.public_base + path, fmt)
    links = [link_header(doc.path, DOC_KEYS)]
    if fmt.key == "html":
        return html_resource(doc, fmt, links)
    if fmt.key == "jsonld":
        body = json.dumps(jsonld_document(doc), ensure_ascii=False, indent=1).encode()
        links += [f'</context/frames/{doc.frame}.jsonld>; rel="profile"',
                  f'</context/{ld.CONTEXT_VERSION}.jsonld>; rel="describedby"']
        content_type = f'{fmt.media_type}; profile="{JSONLD_FRAMED}"'
    else:
        body = ld.serialise(doc.triples, fmt.ox_format)
        content_type = fmt.content_type
    response = Response(body, content_type=content_type)
    response.headers["Link"] = ", ".join(links)
    response.headers["Content-Location"] = f"{doc.path}.{fmt.key}"
    return finish(response, ld.etag(doc.triples, fmt.media_type), doc.build,
                  vary=suffix is None)


INCOMING_PAGE = 50


def html_resource(doc: Document, fmt: DocFormat, links: list[str]) -> Response:
    lang = ui_lang()
    after = None
    if request.args.get("in_p") and request.args.get("in_s"):
        after = (request.args["in_p"], request.args["in_s"])
    try:
        rows, _ = run_select(ld.incoming_query(doc.iri, after, INCOMING_PAGE + 1))
    except ValueError:
        abort(400, description="in_p and in_s must be IRIs")
    more = len(rows) > INCOMING_PAGE
    rows = rows[:INCOMING_PAGE]
    index = ontology_index()
    context = page_context(doc, lang, index)
    incoming = defaultdict(list)
    for row in rows:
        p = row["p"]["value"]
        label = row.get("label")
        incoming[p].append({
            "href": href(row["s"]["value"]), "iri": row["s"]["value"],
            "label": label["value"] if label else short_iri(row["s"]["value"]),
            "lang": label.get("xml:lang", "") if label else "",
        })
    incoming_groups = [
        {"label": INVERSE_LABELS[p][0 if lang == "fr" else 1] if p in INVERSE_LABELS
         else "← " + term_label(p, lang, index), "items": items}
        for p, items in incoming.items()
    ]
    next_incoming = None
    if more:
        last = rows[-1]
        next_incoming = {"in_p": last["p"]["value"], "in_s": last["s"]["value"]}
        if lang == "en":
            next_incoming["lang"] = "en"
    document = ld.inline_context(jsonld_document(doc))
    body = render_template(
        "ld/resource.html", doc=doc, lang=lang, ui=UI[lang], jsonld=json_script(document),
        incoming=incoming_groups, next_incoming=next_incoming,
        formats=[FORMATS[k] for k in DOC_KEYS if k != "html"], **context,
    )
    response = Response(body, content_type=fmt.content_type)
    response.headers["Link"] = ", ".join(links)
    response.headers["Content-Location"] = f"{doc.path}.html"
    extra = json.dumps(rows, sort_keys=True) + request.query_string.decode("latin-1")
    return finish(response, ld.etag(doc.triples, fmt.media_type, extra), doc.build,
                  vary=request.path == doc.path)


HIDDEN = {ld.RDF_TYPE, ld.LABEL, vocab.DCT + "description", vocab.ESS + "citation",
          vocab.PROV + "wasDerivedFrom"}


def page_context(doc: Document, lang: str, index: OntologyIndex) -> dict:
    """What the resource page shows, from the document's triples."""
    labels: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    titles: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    by_subject: dict[str, list[ox.Triple]] = defaultdict(list)
    for t in doc.triples:
        by_subject[t.subject.value].append(t)
        if isinstance(t.object, ox.Literal):
            if t.predicate.value == ld.LABEL:
                labels[t.subject.value][t.object.language or ""].append(t.object.value)
            elif t.predicate.value == vocab.DCT + "title":
                titles[t.subject.value][t.object.language or ""].append(t.object.value)
    own = by_subject[doc.iri]

    def value(term) -> dict:
        if isinstance(term, ox.Literal):
            dt = term.datatype.value if not term.language else None
            shown_dt = None if dt in (vocab.XSD + "string", None) else short_iri(dt)
            return {"text": term.value, "lang": term.language or "", "datatype": shown_dt}
        best = pick_label(labels.get(term.value) or titles.get(term.value), lang)
        return {"href": href(term.value), "iri": term.value,
                "text": best[0] if best else short_iri(term.value),
                "lang": best[1] if best else ""}

    properties: dict[str, list[dict]] = defaultdict(list)
    for t in own:
        if t.predicate.value not in HIDDEN:
            properties[t.predicate.value].append(value(t.object))
    rows = sorted(
        ({"iri": p, "href": href(p) if p.startswith(vocab.ESS) else p,
          "label": term_label(p, lang, index), "values": sorted(vs, key=lambda v: v["text"])}
         for p, vs in properties.items()),
        key=lambda r: r["label"].lower(),
    )
    types = sorted(
        ({"iri": t.object.value, "href": href(t.object.value),
          "label": term_label(t.object.value, lang, index)}
         for t in own if t.predicate.value == ld.RDF_TYPE
         and t.object.value.startswith((vocab.ESS, vocab.SKOS))),
        key=lambda x: x["label"].lower(),
    )
    descriptions = [value(t.object) for t in own if t.predicate.value == vocab.DCT + "description"]
    sources = [value(t.object) for t in own if t.predicate.value == vocab.PROV + "wasDerivedFrom"
               and t.object.value != doc.iri]
    quotes: dict[str, list[dict]] = defaultdict(list)
    for t in own:
        if t.predicate.value != vocab.ESS + "citation":
            continue
        fields = {x.predicate.value: x.object for x in by_subject.get(t.object.value, [])}
        document = fields.get(vocab.ESS + "inDocument")
        quotes[document.value if document else ""].append({
            "section": fields[vocab.ESS + "section"].value
            if vocab.ESS + "section" in fields else "",
            "quote": fields[vocab.ESS + "quote"].value if vocab.ESS + "quote" in fields else "",
            "iri": t.object.value, "href": href(t.object.value),
        })
    citations = [
        {"document": value(ox.NamedNode(d)) if d else None,
         "quotes": sorted(qs, key=lambda q: (q["section"], q["quote"]))}
        for d, qs in sorted(quotes.items())
    ]
    own_labels = labels.get(doc.iri) or {}
    heading = pick_label(own_labels, "fr") or pick_label(titles.get(doc.iri), "fr") \
        or (short_iri(doc.iri), "")
    other = [{"text": v, "lang": k} for k, vs in sorted(own_labels.items())
             for v in vs if (v, k) != heading]
    return {"heading": {"text": heading[0], "lang": heading[1]}, "other_labels": other,
            "types": types, "descriptions": descriptions, "rows": rows, "sources": sources,
            "citations": citations}


# --- the ontology ----------------------------------------------------------------------


@bp.get("/ontology")
@bp.get("/ontology.<ext>")
def ontology(ext: str | None = None) -> Response:
    if ext is not None and ext not in DOC_KEYS:
        abort(404)
    fmt = choose(DOC_KEYS, ext)
    index = ontology_index()
    build = current_build_id()
    triples = index.triples
    if not triples:
        return not_found(service().settings.public_base + "ontology", fmt)
    links = [link_header("/ontology", DOC_KEYS)]
    if fmt.key == "html":
        body = render_template("ld/ontology.html", lang=ui_lang(), ui=UI[ui_lang()],
                               **ontology_page(index))
        response = Response(body, content_type=fmt.content_type)
    elif fmt.key == "jsonld":
        ctx = ld.context_document()["@context"]
        doc = jsonld.compact(ld.expanded(triples), {"@context": ctx},
                                {"documentLoader": loader()})
        doc["@context"] = ld.context_url(service().settings.public_base)
        body = json.dumps(doc, ensure_ascii=False, indent=1).encode()
        links.append(f'</context/{ld.CONTEXT_VERSION}.jsonld>; rel="describedby"')
        response = Response(body, content_type=fmt.media_type)
    else:
        response = Response(ld.serialise(triples, fmt.ox_format), content_type=fmt.content_type)
    response.headers["Link"] = ", ".join(links)
    response.headers["Content-Location"] = f"/ontology.{fmt.key}"
    return finish(response, ld.etag(triples, fmt.media_type, ui_lang()), build,
                  vary=ext is None)


def ontology_page(index: OntologyIndex) -> dict:
    def local(iri: str) -> str:
        return iri[len(vocab.ESS):]

    def link(iri: str) -> dict:
        if iri.startswith(vocab.ESS):
            return {"href": "#" + local(iri), "text": "ess:" + local(iri)}
        return {"href": iri, "text": short_iri(iri)}

    def entry(iri: str) -> dict:
        rel = defaultdict(list)
        for t in index.by_subject.get(iri, []):
            p = t.predicate.value
            if isinstance(t.object, ox.NamedNode):
                for name, pred in (("subclass_of", vocab.RDFS + "subClassOf"),
                                   ("subproperty_of", vocab.RDFS + "subPropertyOf"),
                                   ("domain", vocab.RDFS + "domain"),
                                   ("range", vocab.RDFS + "range"),
                                   ("inverse_of", vocab.OWL + "inverseOf")):
                    if p == pred:
                        rel[name].append(link(t.object.value))
        return {"id": local(iri), "iri": iri, "labels": index.labels.get(iri, {}),
                "definitions": index.definitions.get(iri, {}), "rel": dict(rel)}

    meta = {t.predicate.value: t.object for t in index.by_subject.get(vocab.ONTOLOGY_IRI, [])}
    return {"classes": [entry(c) for c in index.classes],
            "properties": [entry(p) for p in index.properties],
            "version": meta[vocab.OWL + "versionInfo"].value
            if vocab.OWL + "versionInfo" in meta else ""}


# --- context and frames ----------------------------------------------------------------


@bp.get(f"/context/{ld.CONTEXT_VERSION}.jsonld")
def context_file() -> Response:
    return _json_file(ld.context_document())


@bp.get("/context/frames/<name>.jsonld")
def frame_file(name: str) -> Response:
    if name not in ld.FRAMES:
        raise NotFound(f"no frame named {name!r}; frames: {', '.join(ld.FRAMES)}",
                       where=request.path)
    return _json_file(ld.frame_document(name))


def _json_file(document: dict) -> Response:
    body = json.dumps(document, ensure_ascii=False, indent=2).encode()
    response = Response(body, content_type="application/ld+json")
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response.make_conditional(request)


# --- search ----------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lowercase without accents, for accent- and case-insensitive look-up."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


_SEARCH = f"""{vocab.sparql_prologue()}SELECT ?s ?l ?k WHERE {{
  {{ ?s skos:prefLabel ?l }} UNION {{ ?s skos:altLabel ?l }} UNION {{ ?s foaf:name ?l }}
  FILTER(isIRI(?s) && (STRSTARTS(STR(?s), "{vocab.ID}") || STRSTARTS(STR(?s), "{vocab.CONCEPT}")))
  OPTIONAL {{ ?s skos:prefLabel ?k FILTER(LANGMATCHES(LANG(?k), "fr")) }}
}}"""


def search_index() -> list[tuple[str, str, str, str]]:
    """(folded name, name, IRI, display label) for every name of every resource."""
    def compute():
        query = _SEARCH.replace(vocab.ID, service().settings.public_base + "id/").replace(
            vocab.CONCEPT, service().settings.public_base + "concept/")
        rows, _ = run_select(query, max_rows=2_000_000)
        out = {(fold(r["l"]["value"]), r["l"]["value"], r["s"]["value"],
                r["k"]["value"] if "k" in r else r["l"]["value"]) for r in rows}
        return sorted(out)

    return per_build("search", current_build_id(), compute)


SEARCH_LIMIT = 50


@bp.get("/search")
@bp.get("/search.<ext>")
def search(ext: str | None = None) -> Response:
    offered = ("html", "jsonld", "csv")
    if ext is not None and ext not in offered:
        abort(404)
    fmt = choose(offered, ext)
    q = request.args.get("q", "").strip()
    wanted = fold(q)
    hits: dict[str, dict] = {}
    if wanted:
        for folded, name, iri, label in search_index():
            if wanted in folded:
                score = (0 if folded == wanted else 1 if folded.startswith(wanted) else 2)
                best = hits.get(iri)
                if best is None or score < best["score"]:
                    hits[iri] = {"iri": iri, "href": href(iri), "label": label,
                                 "matched": name, "score": score}
    results = sorted(hits.values(), key=lambda h: (h["score"], fold(h["label"]), h["iri"]))
    results = results[:SEARCH_LIMIT]
    lang = ui_lang()
    if fmt.key == "html":
        body = render_template("ld/search.html", q=q, results=results, lang=lang, ui=UI[lang])
        response = Response(body, content_type=fmt.content_type)
    elif fmt.key == "csv":
        import csv
        import io

        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["iri", "label", "matched"])
        for r in results:
            writer.writerow([r["iri"], r["label"], r["matched"]])
        response = Response(out.getvalue(), content_type=fmt.content_type)
    else:
        ctx = ld.context_document()["@context"]
        body = {"@context": ctx, "hydra:member": [
            {"id": r["iri"], "label": {"fr": r["label"]}} for r in results]}
        response = Response(json.dumps(body, ensure_ascii=False, indent=1),
                            content_type=fmt.media_type)
    tag = hashlib.sha256(json.dumps([results, fmt.key, lang]).encode()).hexdigest()[:32]
    return finish(response, tag, current_build_id(), vary=ext is None)
