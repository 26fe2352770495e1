"""/sparql: the SPARQL 1.1 Protocol, query operation only, plus the service description.

Routes of the protocol: GET ?query=, POST application/x-www-form-urlencoded (query=), POST
application/sparql-query (the UTF-8 query as body); default-graph-uri and named-graph-uri
(repeatable) choose the dataset, otherwise the default graph is the union of the named
graphs. Updates are refused with 403 by every route. GET without a query answers the
service description.

Parameters are read strictly (urllib, errors="strict"), because werkzeug's form parser would
turn bytes that are not UTF-8 into U+FFFD and run a different query than the one sent.
"""

from __future__ import annotations

import time
from collections import defaultdict
from urllib.parse import parse_qsl, urljoin

import pyoxigraph as ox
from flask import Blueprint, Response, request

from .. import guard, vocab, void
from ..errors import EssgraphError, ParameterError, RequestTooLarge, UpdateForbidden
from . import GZIP_MIN_BYTES, service
from .formats import FORMATS, negotiate
from .pool import QueryAnswer, QueryJob

bp = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"
SD = "http://www.w3.org/ns/sparql-service-description#"
_Params = dict[str, list[str]]


@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    settings = service().settings
    params, query = _read_request(settings.max_request_bytes)
    if query is None:
        if request.method == "POST":
            raise ParameterError("the request has no `query` parameter", where="query")
        return _service_description(params)
    if not query.strip():
        raise ParameterError("the `query` parameter is empty", where="query")

    kind = guard.query_kind(query)
    choice = negotiate(kind in ("select", "ask"), params.get("format"), request.accept_mimetypes)
    default_graphs = _graphs(params, "default-graph-uri")
    named_graphs = _graphs(params, "named-graph-uri")
    if named_graphs is not None and default_graphs is None:
        default_graphs = ()  # a dataset of named graphs only: the default graph is empty
    job = QueryJob(
        sparql=query,
        format=choice.format.key,
        base_iri=endpoint_url(),
        default_graphs=default_graphs,
        named_graphs=named_graphs,
        max_rows=settings.max_rows,
    )
    pool = service().pool
    if request.method in ("GET", "HEAD"):
        etag = pool.etag(job)
        if etag is not None and request.if_none_match.contains_weak(etag):
            return not_modified(etag)
    started = time.perf_counter()
    answer = pool.run(job, settings.query_timeout)
    service().metrics.query_served(
        answer.kind, time.perf_counter() - started, truncated=answer.truncated
    )
    return answer_response(job, answer, choice.content_type, settings.max_rows)


def answer_response(job: QueryJob, answer: QueryAnswer, content_type: str,
                    max_rows: int) -> Response:
    """A query's answer with its headers: build, truncation, result cache, ETag.

    A cached answer is gzipped here, once (QueryPool.gzipped), rather than by the app's
    after-request hook on every request.
    """
    if (answer.cache and len(answer.body) >= GZIP_MIN_BYTES
            and request.accept_encodings["gzip"]):
        response = Response(service().pool.gzipped(job, answer), content_type=content_type)
        response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
    else:
        response = Response(answer.body, content_type=content_type)
    response.vary.add("Accept")
    response.headers["X-Essgraph-Build"] = answer.build
    if answer.truncated:
        response.headers["X-Essgraph-Truncated"] = "true"
        response.headers["X-Essgraph-Row-Limit"] = str(max_rows)
    if answer.cache:
        response.headers["X-Essgraph-Cache"] = answer.cache
    if answer.etag:
        # Weak: the bytes on the wire differ when gzipped; the answer is the same.
        response.set_etag(answer.etag, weak=True)
    return response


def not_modified(etag: str) -> Response:
    """304 for a client that holds this build's answer already (If-None-Match)."""
    response = Response(status=304)
    response.set_etag(etag, weak=True)
    response.vary.add("Accept")
    response.headers["X-Essgraph-Cache"] = "hit"
    return response


def endpoint_url() -> str:
    """The endpoint's public URL: the base of relative IRIs in queries, sd:endpoint."""
    return urljoin(service().settings.base_url, "sparql")


def _read_request(max_bytes: int) -> tuple[_Params, str | None]:
    """The protocol parameters and the query, whichever route the request took."""
    if (request.content_length or 0) > max_bytes or len(request.query_string) > max_bytes:
        raise RequestTooLarge(
            f"the request is larger than the {max_bytes} bytes accepted", where="body"
        )
    params = _parse_params(request.query_string, where="query string")
    if request.method == "POST":
        mimetype = request.mimetype
        if mimetype == UPDATE:
            raise UpdateForbidden("this endpoint is read-only: SPARQL Update is not accepted",
                                  where="Content-Type")
        if mimetype == FORM:
            for name, values in _parse_params(request.get_data(), where="body").items():
                params[name].extend(values)
        elif mimetype == DIRECT:
            charset = request.mimetype_params.get("charset", "utf-8").lower()
            if charset not in ("utf-8", "utf8"):
                raise ParameterError(
                    f"a direct POST query must be UTF-8, not {charset}", where="Content-Type"
                )
            if "query" in params:
                raise ParameterError(
                    "a direct POST carries the query as its body; do not also send `query`",
                    where="query",
                )
            params["query"].append(_utf8(request.get_data(), where="body"))
        else:
            raise ParameterError(
                f"POST a query as {FORM} (query=...) or as {DIRECT}, not "
                f"{mimetype or 'a body without Content-Type'}",
                where="Content-Type",
            )
    if "update" in params:
        raise UpdateForbidden("this endpoint is read-only: SPARQL Update is not accepted",
                              where="update")
    return params, _one(params, "query")


def _parse_params(raw: bytes, *, where: str) -> _Params:
    params: _Params = defaultdict(list)
    try:
        pairs = parse_qsl(_utf8(raw, where=where), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as e:
        raise ParameterError(f"the {where} is not valid UTF-8 once decoded", where=where) from e
    for name, value in pairs:
        params[name].append(value)
    return params


def _utf8(raw: bytes, *, where: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ParameterError(
            f"the {where} is not valid UTF-8 (byte {e.start})", where=where
        ) from e


def _one(params: _Params, name: str) -> str | None:
    values = params.get(name) or []
    if len(values) > 1:
        raise ParameterError(f"`{name}` is given {len(values)} times; give it once", where=name)
    return values[0] if values else None


def _graphs(params: _Params, name: str) -> tuple[str, ...] | None:
    return tuple(params[name]) if name in params else None


def _service_description(params: _Params) -> Response:
    """SPARQL 1.1 Service Description of this endpoint, as a graph (Turtle by default)."""
    choice = negotiate(False, params.get("format"), request.accept_mimetypes)
    rdf_type = ox.NamedNode(vocab.RDF + "type")
    sd = {name: ox.NamedNode(SD + name) for name in (
        "Service", "endpoint", "supportedLanguage", "SPARQL11Query", "feature",
        "UnionDefaultGraph", "resultFormat", "defaultDataset", "Dataset", "defaultGraph",
        "Graph", "namedGraph", "NamedGraph", "name",
    )}
    node = ox.BlankNode("service")
    see_also = ox.NamedNode(vocab.RDFS + "seeAlso")
    void_document = urljoin(service().settings.base_url, void.DOCUMENT_PATH)
    triples = [
        ox.Triple(node, rdf_type, sd["Service"]),
        ox.Triple(node, sd["endpoint"], ox.NamedNode(endpoint_url())),
        ox.Triple(node, sd["supportedLanguage"], sd["SPARQL11Query"]),
        ox.Triple(node, sd["feature"], sd["UnionDefaultGraph"]),
        *(ox.Triple(node, sd["resultFormat"], ox.NamedNode(f.sd_iri)) for f in FORMATS.values()),
        ox.Triple(node, see_also, ox.NamedNode(void_document)),  # its VoID (web/api.py)
    ]
    try:
        info = service().pool.info(service().settings.query_timeout)
    except EssgraphError:  # no build yet: the description says what the service does
        info = None
    if info is not None:
        dataset = ox.NamedNode(void.dataset_iri(void_document))
        default = ox.BlankNode("default")
        triples += [
            ox.Triple(node, sd["defaultDataset"], dataset),
            ox.Triple(dataset, rdf_type, sd["Dataset"]),
            ox.Triple(dataset, rdf_type, ox.NamedNode(void.VOID + "Dataset")),
            ox.Triple(dataset, see_also, ox.NamedNode(void_document)),
            ox.Triple(dataset, sd["defaultGraph"], default),
            ox.Triple(default, rdf_type, sd["Graph"]),
        ]
        for i, iri in enumerate(info.graphs):
            graph = ox.BlankNode(f"graph{i}")
            triples += [
                ox.Triple(dataset, sd["namedGraph"], graph),
                ox.Triple(graph, rdf_type, sd["NamedGraph"]),
                ox.Triple(graph, sd["name"], ox.NamedNode(iri)),
            ]
    body = ox.serialize(
        triples, format=choice.format.ox_format,
        prefixes={"sd": SD, "rdf": vocab.RDF, "rdfs": vocab.RDFS, "void": void.VOID},
    )
    response = Response(body, content_type=choice.content_type)
    response.vary.add("Accept")
    return response
