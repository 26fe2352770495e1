"""sitemap.xml: the resource pages of the graph, for search engines.

Every IRI of essgraph's namespace (`https://w3id.org/essgraph/id/...`) that is the subject
of a statement has a Linked Data page at `<base_url>id/...`; the sitemap lists those pages
(sitemaps.org protocol 0.9). A sitemap holds at most 50,000 URLs: beyond that, sitemap.xml
becomes an index of `sitemap-1.xml`, `sitemap-2.xml`, ... No `<lastmod>`: a build does not
know when each resource last changed, and a wrong date is worse than none.

The URLs depend on the base URL, so the build also keeps the bare paths
(`resources.txt`): a server with another base URL lists them again (`files`).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote, urljoin
from xml.sax.saxutils import escape

import pyoxigraph as ox

from . import vocab

MAX_URLS = 50_000
INDEX = "sitemap.xml"
PATHS_FILE = "resources.txt"
NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
PAGE_PREFIX = "id/"  # resource pages: <base_url>id/<path after the essid: namespace>

# Every subject, filtered in Python: pyoxigraph runs a FILTER on STR(?s) on every statement
# before DISTINCT, even from a subquery (on the 3M-statement bench build read from disk:
# 18 s, against 2.2 s this way).
_SUBJECTS = "SELECT DISTINCT ?s WHERE { ?s ?p ?o }"
# Characters kept as they are in a URL path (RFC 3986 pchar and "/").
_SAFE = "/-._~!$&'()*+,;=:@"


def resource_paths(store: ox.Store) -> list[str]:
    """The paths (after essid:) of every essgraph resource the store says something about."""
    paths = {
        subject.value[len(vocab.ID):]
        for (subject,) in store.query(_SUBJECTS, use_default_graph_as_union=True)
        if isinstance(subject, ox.NamedNode) and subject.value.startswith(vocab.ID)
    }
    return sorted(p for p in paths if p)


def page_url(base_url: str, path: str) -> str:
    return urljoin(base_url, PAGE_PREFIX + quote(path, safe=_SAFE))


def part_name(n: int) -> str:
    return f"sitemap-{n}.xml"


def files(paths: list[str], base_url: str) -> dict[str, bytes]:
    """File name -> content: sitemap.xml alone, or an index and its parts."""
    urls = [page_url(base_url, p) for p in paths]
    if len(urls) <= MAX_URLS:
        return {INDEX: urlset(urls)}
    chunks = [urls[i:i + MAX_URLS] for i in range(0, len(urls), MAX_URLS)]
    out = {part_name(n): urlset(chunk) for n, chunk in enumerate(chunks, start=1)}
    out[INDEX] = index([urljoin(base_url, name) for name in out])
    return out


def urlset(urls: list[str]) -> bytes:
    lines = [f"  <url><loc>{escape(u)}</loc></url>" for u in urls]
    return _document("urlset", lines)


def index(urls: list[str]) -> bytes:
    lines = [f"  <sitemap><loc>{escape(u)}</loc></sitemap>" for u in urls]
    return _document("sitemapindex", lines)


def _document(root: str, lines: list[str]) -> bytes:
    text = "\n".join(
        ['<?xml version="1.0" encoding="UTF-8"?>', f'<{root} xmlns="{NS}">', *lines,
         f"</{root}>", ""]
    )
    return text.encode("utf-8")


def write(paths: list[str], base_url: str, out_dir: Path) -> list[str]:
    """Write the sitemap file(s) and resources.txt into `out_dir`; return the file names."""
    out_dir = Path(out_dir)
    written = []
    for name, body in files(paths, base_url).items():
        _write_bytes(out_dir / name, body)
        written.append(name)
    _write_bytes(out_dir / PATHS_FILE, "".join(p + "\n" for p in paths).encode("utf-8"))
    return written


def read_paths(directory: Path) -> list[str]:
    path = Path(directory) / PATHS_FILE
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line]


def _write_bytes(path: Path, body: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(body)
    os.replace(tmp, path)
