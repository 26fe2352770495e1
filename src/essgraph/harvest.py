"""check-harvest: replay what data.gouv.fr (udata) and CKAN (ckanext-dcat) do to a catalog.

Harvesters do not negotiate much and forgive little. What this module replays, read from
their code (opendatateam/udata `harvest/backends/base.py`, `backends/dcat.py`,
`core/dataset/rdf.py`, `rdf.py`; ckan/ckanext-dcat `harvesters/base.py`,
`harvesters/rdf.py`, `profiles/base.py`):

udata (DcatBackend)
- format: from the URL's extension (rdflib's guess_format, plus json/jsonld -> JSON-LD);
  otherwise from the Content-Type of a HEAD request (its ACCEPTED_MIME_TYPES);
- every request refuses redirects (`allow_redirects=False`, then any 3xx is an error);
- no Accept header is sent (so the server's default must be a format udata reads);
- pages: follows `hydra:next` of a `hydra:PartialCollectionView` (or `hydra:nextPage` of a
  `hydra:PagedCollection`), parsing each page on its own (`response.text`, so a text/*
  type without charset is read as ISO-8859-1);
- each dcat:Dataset (not merely referenced by a data service) and each dcat:DataService
  needs `dct:identifier` (else "missing identifier", skipped) and a dataset a `dct:title`;
  identifiers must be unique; a data service finds its datasets by their identifier;
- licences are read from `dct:license`; a licence node with `rdfs:label` or
  `dct:description` is read as that text instead of its IRI.
ckanext-dcat (DCATRDFHarvester)
- HEAD first (GET when HEAD answers 400 or 405), then GET; a response of 50 MB
  (50 × 1024 × 1024 bytes) or more is refused, by Content-Length or while reading;
- the body must be UTF-8; the parser is chosen by the Content-Type;
- the dataset's licence is taken from its distributions' `dct:license`.
Then the whole catalog (the union of its pages) is checked with the DCAT-AP shapes given
(`shapes.ttl`, `range.ttl` of SEMIC's release), with pySHACL.

`check(url)` returns a report of checks, each OK, FAIL (what broke, and where) or SKIP.
Only an unreachable server or an unusable URL is an exception (HarvestUnreachable).
No click here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import requests
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS
from rdflib.util import SUFFIX_FORMAT_MAP, guess_format
from requests.compat import chardet

from .errors import EssgraphError

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
MAX_BYTES = 50 * 1024 * 1024  # ckanext-dcat's DEFAULT_MAX_FILE_SIZE_MB
MAX_PAGES = 1000
UDATA_HEADERS = {"User-Agent": "uData/0.1 dcat", "Accept": None}  # None: no header at all
CKAN_HEADERS = {"User-Agent": "ckanext-dcat (essgraph check-harvest)"}
# udata.rdf: extension -> rdflib format, and ACCEPTED_MIME_TYPES.
UDATA_EXTENSIONS = {"json": "json-ld", "jsonld": "json-ld", "xml": "xml"}
UDATA_MIME_TYPES = {
    "application/rdf+xml": "xml", "application/xml": "xml", "text/xml": "xml",
    "text/n3": "n3", "application/x-turtle": "turtle", "text/turtle": "turtle",
    "application/n-triples": "nt", "application/ld+json": "json-ld",
    "application/json": "json-ld", "application/trig": "trig",
}
PAGINATION = ((HYDRA.PartialCollectionView, HYDRA.next), (HYDRA.PagedCollection, HYDRA.nextPage))
SHAPE_FILES = ("shapes.ttl", "range.ttl")
SH = Namespace("http://www.w3.org/ns/shacl#")


class HarvestUnreachable(EssgraphError):
    """The catalog cannot be fetched at all: no connection, timeout, not an http(s) URL."""

    code, status = "UNREACHABLE", 502


@dataclass
class Check:
    name: str
    status: str  # OK | FAIL | SKIP
    detail: str
    where: str | None = None

    def line(self) -> str:
        where = f" [{self.where}]" if self.where else ""
        return f"{self.status:<4} {self.name:<22} {self.detail}{where}"


@dataclass
class Report:
    url: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.status != "FAIL" for c in self.checks)

    def add(self, name: str, ok: bool, detail: str, where: str | None = None) -> bool:
        self.checks.append(Check(name, "OK" if ok else "FAIL", detail, where))
        return ok

    def skip(self, name: str, detail: str) -> None:
        self.checks.append(Check(name, "SKIP", detail))

    def render(self) -> str:
        failed = sum(c.status == "FAIL" for c in self.checks)
        verdict = "harvestable" if failed == 0 else f"NOT harvestable: {failed} check(s) failed"
        return "\n".join([f"check-harvest {self.url}", *(c.line() for c in self.checks),
                          verdict]) + "\n"


@dataclass
class Page:
    url: str
    graph: Graph


def check(
    url: str,
    *,
    shapes_dir: Path | None = None,
    session: requests.Session | None = None,
    timeout: float = 30.0,
    max_bytes: int = MAX_BYTES,
) -> Report:
    """Replay udata's and ckanext-dcat's harvest of `url`; every finding is in the report."""
    if not url.lower().startswith(("http://", "https://")):
        raise HarvestUnreachable("a catalog URL starts with http:// or https://", where=url)
    http = _Http(session or requests.Session(), timeout, max_bytes)
    report = Report(url)
    fmt = _udata_format(http, url, report)
    pages = _udata_walk(http, url, fmt, report) if fmt else []
    for page in pages or [Page(url, Graph())]:
        _ckan_fetch(http, page.url, report)
    if not pages:
        for name in ("udata.identifiers", "licence", "dcat-ap"):
            report.skip(name, "no page could be read")
        return report
    _identifiers(pages, report)
    union = Graph()
    for page in pages:
        union += page.graph
    _licences(union, report)
    _shapes(union, shapes_dir, report)
    return report


# --- HTTP ------------------------------------------------------------------------------


@dataclass
class _Fetched:
    response: requests.Response
    content: bytes | None  # None: over the size limit
    size: int


class _Http:
    def __init__(self, session: requests.Session, timeout: float, max_bytes: int):
        self.session, self.timeout, self.max_bytes = session, timeout, max_bytes
        self.largest = 0

    def request(self, method: str, url: str, *, headers: dict, redirects: bool,
                body: bool = True) -> _Fetched:
        try:
            response = self.session.request(method, url, headers=headers, stream=True,
                                            allow_redirects=redirects, timeout=self.timeout)
            content, size = self._read(response) if body and method != "HEAD" else (b"", 0)
        except (requests.ConnectionError, requests.Timeout) as e:
            raise HarvestUnreachable(f"{method} failed: {e}", where=url) from e
        except requests.RequestException as e:
            raise HarvestUnreachable(f"{method} is impossible: {e}", where=url) from e
        self.largest = max(self.largest, size)
        return _Fetched(response, content, size)

    def _read(self, response: requests.Response) -> tuple[bytes | None, int]:
        chunks, size = [], 0
        for chunk in response.iter_content(chunk_size=512 * 1024):
            chunks.append(chunk)
            size += len(chunk)
            if size >= self.max_bytes:
                response.close()
                return None, size
        return b"".join(chunks), size


def _redirect(response: requests.Response) -> str | None:
    if 300 <= response.status_code < 400:
        return (f"redirect {response.status_code} to {response.headers.get('Location')!r}; "
                "udata refuses every redirect")
    return None


def _media_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()


# --- udata -------------------------------------------------------------------------------


def udata_guess_format(url: str) -> str | None:
    """udata.rdf.guess_format on a URL: rdflib's suffix map plus json/jsonld/xml."""
    return guess_format(url, {**SUFFIX_FORMAT_MAP, **UDATA_EXTENSIONS})


def _udata_format(http: _Http, url: str, report: Report) -> str | None:
    fmt = udata_guess_format(url)
    if fmt:
        report.add("udata.format", True, f"{fmt}, from the URL's extension")
        return fmt
    head = http.request("HEAD", url, headers=UDATA_HEADERS, redirects=False).response
    broken = _redirect(head) or (f"HEAD answered {head.status_code}"
                                 if head.status_code >= 400 else None)
    if broken:
        report.add("udata.format", False, broken, url)
        return None
    mime = _media_type(head)
    fmt = UDATA_MIME_TYPES.get(mime)
    if not fmt:
        report.add("udata.format", False, f"HEAD gives Content-Type {mime or 'none'!r}, "
                   "which is not an RDF type udata reads", url)
        return None
    report.add("udata.format", True, f"{fmt}, from the Content-Type of HEAD ({mime})")
    return fmt


def _udata_walk(http: _Http, url: str, fmt: str, report: Report) -> list[Page]:
    pages: list[Page] = []
    seen: set[str] = set()
    next_url: str | None = url
    while next_url:
        if next_url in seen:
            report.add("udata.pages", False, f"hydra:next loops back to {next_url}", next_url)
            return pages
        if len(pages) >= MAX_PAGES:
            report.add("udata.pages", False, f"more than {MAX_PAGES} pages", next_url)
            return pages
        seen.add(next_url)
        graph = _udata_page(http, next_url, fmt, report)
        if graph is None:
            return pages
        pages.append(Page(next_url, graph))
        next_url = _next_page(graph, next_url)
    report.add("udata.pages", True, f"{len(pages)} page(s), each parsed on its own "
               f"as {fmt}, no Accept header, no redirect")
    report.add("size", http.largest < http.max_bytes,
               f"largest page {http.largest:,} bytes (limit {http.max_bytes:,})")
    return pages


def _udata_page(http: _Http, url: str, fmt: str, report: Report) -> Graph | None:
    fetched = http.request("GET", url, headers=UDATA_HEADERS, redirects=False)
    response = fetched.response
    problem = _redirect(response) or (f"GET answered {response.status_code}"
                                      if response.status_code >= 400 else None)
    if fetched.content is None:
        problem = f"the page reaches {http.max_bytes:,} bytes"
    if problem:
        report.add("udata.pages", False, problem, url)
        return None
    content = fetched.content
    # requests' response.text: the charset of the headers (ISO-8859-1 for text/* without
    # one), else a guess from the bytes.
    encoding = response.encoding or chardet.detect(content)["encoding"] or "utf-8"
    if encoding.lower() in ("iso-8859-1", "latin-1") and any(b > 0x7F for b in content):
        report.add("udata.pages", False, "Content-Type has no charset, so udata reads the "
                   "body as ISO-8859-1 and garbles its non-ASCII text; add "
                   "'; charset=utf-8'", url)
        return None
    text = content.decode(encoding, errors="replace")
    if fmt == "json-ld":
        remote = _remote_contexts(text)
        if remote:
            report.add("udata.pages", False, "JSON-LD uses a remote context "
                       f"({remote[0]}); each page must carry its context", url)
            return None
    graph = Graph()
    try:
        graph.parse(data=text, format=fmt, publicID=url)
    except Exception as e:  # rdflib's parsers raise many unrelated exception types
        report.add("udata.pages", False, f"does not parse as {fmt}: {_short(e)}", url)
        return None
    return graph


def _remote_contexts(text: str) -> list[str]:
    try:
        data = json.loads(text)
    except ValueError:
        return []
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "@context":
                    values = value if isinstance(value, list) else [value]
                    found.extend(v for v in values if isinstance(v, str))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data)
    return found


def _next_page(graph: Graph, url: str) -> str | None:
    for cls, prop in PAGINATION:
        view = graph.value(predicate=RDF.type, object=cls)
        if view is not None:
            target = graph.value(view, prop)
            return urljoin(url, str(target)) if target is not None else None
    return None


def _identifiers(pages: list[Page], report: Report) -> None:
    problems: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    counts = {"datasets": 0, "services": 0}
    for page in pages:
        g = page.graph
        dataset_ids = set()
        for node in dict.fromkeys(g.subjects(RDF.type, DCAT.Dataset)):
            if _external_to_page(g, node):
                continue
            counts["datasets"] += 1
            problems += _identified(g, node, "dcat:Dataset", page.url, seen, title=True)
            ident = g.value(node, DCTERMS.identifier)
            if ident is not None:
                dataset_ids.add(str(ident))
        access = set(g.objects(None, DCAT.accessService))
        for node in dict.fromkeys(g.subjects(RDF.type, DCAT.DataService)):
            if node in access:
                continue
            counts["services"] += 1
            problems += _identified(g, node, "dcat:DataService", page.url, seen, title=True)
            for served in g.objects(node, DCAT.servesDataset):
                ident = g.value(served, DCTERMS.identifier)
                if ident is None:
                    problems.append((f"dcat:DataService {node.n3()} serves {served.n3()}, "
                                     "which has no dct:identifier on this page: udata "
                                     "cannot attach it", page.url))
    if problems:
        detail, where = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        report.add("udata.identifiers", False, detail + more, where)
    else:
        report.add("udata.identifiers", True,
                   f"{counts['datasets']} dataset(s) and {counts['services']} data "
                   "service(s), each with a unique dct:identifier and a dct:title")


def _identified(g: Graph, node, kind: str, url: str, seen: dict[str, str],
                *, title: bool) -> list[tuple[str, str]]:
    out = []
    ident = g.value(node, DCTERMS.identifier)
    if ident is None or not str(ident).strip():
        out.append((f"{kind} {node.n3()} has no dct:identifier: udata skips it "
                    "(\"missing identifier\")", url))
    elif str(ident) in seen:
        out.append((f"{kind} {node.n3()}: identifier {str(ident)!r} already used "
                    f"(page {seen[str(ident)]})", url))
    else:
        seen[str(ident)] = url
    if title and g.value(node, DCTERMS.title) is None:
        out.append((f"{kind} {node.n3()} has no dct:title", url))
    return out


def _external_to_page(g: Graph, node) -> bool:
    """udata's is_dataset_external_to_this_page: a bare reference from a data service."""
    if g.value(node, DCTERMS.title) is not None:
        return False
    links = [p for _s, p in g.subject_predicates(node)]
    return len(links) == 1 and links[0] in (DCAT.servesDataset, DCTERMS.hasPart)


# --- ckanext-dcat ------------------------------------------------------------------------


def _ckan_fetch(http: _Http, url: str, report: Report) -> None:
    name = "ckan.fetch"
    head = http.request("HEAD", url, headers=CKAN_HEADERS, redirects=False).response
    got = None
    if head.status_code in (400, 405):
        got = http.request("GET", url, headers=CKAN_HEADERS, redirects=True)
        head = got.response
    if head.status_code >= 400:
        report.add(name, False, f"HEAD answered {head.status_code}", url)
        return
    length = head.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > http.max_bytes:
        report.add(name, False, f"Content-Length {int(length):,} is over the "
                   f"{http.max_bytes:,}-byte limit", url)
        return
    got = got or http.request("GET", url, headers=CKAN_HEADERS, redirects=True)
    response = got.response
    if response.status_code >= 400:
        report.add(name, False, f"GET answered {response.status_code}", url)
        return
    if got.content is None:
        report.add(name, False, f"the body reaches the {http.max_bytes:,}-byte limit", url)
        return
    try:
        text = got.content.decode("utf-8")
    except UnicodeDecodeError as e:
        report.add(name, False, f"the body is not UTF-8 (byte {e.start})", url)
        return
    mime = _media_type(response)
    if not mime:
        report.add(name, False, "no Content-Type: ckanext-dcat would parse RDF/XML", url)
        return
    try:
        Graph().parse(data=text, format=mime, publicID=url)
    except Exception as e:  # rdflib's parsers raise many unrelated exception types
        report.add(name, False, f"does not parse with the parser of its Content-Type "
                   f"{mime!r}: {_short(e)}", url)
        return
    report.add(name, True, f"HEAD then GET, {got.size:,} bytes, parsed as {mime}")


def _licences(g: Graph, report: Report) -> None:
    missing, labelled, found = [], [], set()
    for dataset in dict.fromkeys(g.subjects(RDF.type, DCAT.Dataset)):
        if _external_to_page(g, dataset):
            continue
        licences = [lic for dist in g.objects(dataset, DCAT.distribution)
                    for lic in g.objects(dist, DCTERMS.license)]
        if not licences:
            missing.append(dataset)
        found.update(licences)
    for subject in [*g.subjects(RDF.type, DCAT.DataService), *g.subjects(RDF.type, DCAT.Catalog)]:
        found.update(g.objects(subject, DCTERMS.license))
    for lic in found:
        if isinstance(lic, Literal):
            labelled.append(f"licence given as text {str(lic)!r}, not an IRI")
        elif any((lic, p, None) in g for p in (RDFS.label, DCTERMS.description)):
            labelled.append(f"licence {lic.n3()} has an rdfs:label or dct:description, "
                            "which udata reads instead of the IRI")
    if missing:
        report.add("licence", False, f"no distribution of {missing[0].n3()} has a "
                   "dct:license: ckanext-dcat finds no licence", str(missing[0]))
    elif labelled:
        report.add("licence", False, labelled[0])
    elif not found:
        report.add("licence", False, "no dct:license anywhere")
    else:
        shown = ", ".join(sorted(str(x) for x in found))
        report.add("licence", True, f"on the distributions: {shown}")


# --- DCAT-AP -----------------------------------------------------------------------------


def _shapes(g: Graph, shapes_dir: Path | None, report: Report) -> None:
    if shapes_dir is None:
        report.skip("dcat-ap", "no shapes given (--shapes DIR with SEMIC's shapes.ttl, "
                    "range.ttl)")
        return
    import pyshacl

    files = [Path(shapes_dir) / name for name in SHAPE_FILES]
    if not any(f.is_file() for f in files):
        raise HarvestUnreachable(f"no {' or '.join(SHAPE_FILES)} in the folder",
                                 where=str(shapes_dir))
    for path in files:
        if not path.is_file():
            report.skip(f"dcat-ap {path.name}", "not in the shapes folder")
            continue
        shapes = Graph().parse(path)
        conforms, results, _text = pyshacl.validate(g, shacl_graph=shapes)
        violations = list(_violations(results))
        if conforms or not violations:
            report.add(f"dcat-ap {path.name}", True, "conforms")
        else:
            first, where = violations[0]
            more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
            report.add(f"dcat-ap {path.name}", False, first + more, where)


def _violations(results: Graph) -> Iterator[tuple[str, str]]:
    for r in results.subjects(RDF.type, SH.ValidationResult):
        if results.value(r, SH.resultSeverity) != SH.Violation:
            continue
        focus = results.value(r, SH.focusNode)
        path = results.value(r, SH.resultPath)
        message = results.value(r, SH.resultMessage)
        shown_path = path.n3(results.namespace_manager) if isinstance(path, URIRef) else path
        yield f"{shown_path}: {message}", str(focus)


def _short(e: Exception) -> str:
    text = " ".join(str(e).split())
    return text if len(text) <= 200 else text[:197] + "..."
