"""The files a build publishes beside its database: dumps, manifest, VoID and sitemap.

A build writes them into `<build>/publish/` before `current` is switched, so a server never
sees a current build without them (and a build that fails here changes nothing). The web
layer serves them as files (/dumps/<file>, /sitemap.xml) and builds the DCAT catalog from
the manifest, without opening the database.

- `essgraph.ttl`: the union of every named graph (the default graph of every query), Turtle;
- `essgraph.nt.gz`: the same union as N-Triples, gzip (mtime 0: same data, same bytes);
- `essgraph.nq`: every named graph, N-Quads: the dump that keeps where each fact comes from;
- `essgraph.jsonld`: the union as expanded JSON-LD (no context to load, local or remote);
- `manifest.json`: build id and time, each dump's size and SHA-256, and the coverage the
  catalog states (essgraph.catalog.coverage);
- `void.ttl`: the VoID description (essgraph.void), counted from the build;
- `sitemap.xml`: the resource pages (/id/...) under `base_url` (an index of
  `sitemap-N.xml` beyond 50,000 pages), and `resources.txt`, their paths one a line, to
  list them again under another base URL.

No Flask and no click here.
"""

from __future__ import annotations

import gc
import gzip
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urljoin

import pyoxigraph as ox

from . import sitemap, vocab, void
from .config import Settings
from .errors import NotFound, StoreError

Progress = Callable[[str], None]

PUBLISH_DIR = "publish"
MANIFEST = "manifest.json"
VOID_FILE = "void.ttl"
MANIFEST_VERSION = 1
PARTS = ("dumps", "void", "sitemap")

_UNION = "CONSTRUCT { ?s ?p ?o } WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
_IANA = "http://www.iana.org/assignments/media-types/"
_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"


@dataclass(frozen=True)
class DumpFormat:
    """One dump: its file, how it is written and how the catalog and HTTP describe it."""

    key: str
    file: str
    ox_format: ox.RdfFormat
    media_type: str  # of the RDF inside (dcat:mediaType)
    content_type: str  # of the file as served (HTTP Content-Type)
    file_type: str  # EU file-type authority code (dct:format)
    union: bool  # the union of the graphs (True) or every quad with its graph (False)
    gzip: bool
    title_fr: str
    title_en: str
    description_fr: str
    description_en: str

    @property
    def media_type_iri(self) -> str:
        return _IANA + self.media_type

    @property
    def file_type_iri(self) -> str:
        return _FILE_TYPE + self.file_type


DUMPS: dict[str, DumpFormat] = {
    d.key: d
    for d in (
        DumpFormat("ttl", "essgraph.ttl", ox.RdfFormat.TURTLE, "text/turtle",
                   "text/turtle; charset=utf-8", "RDF_TURTLE", True, False,
                   "Graphe complet (Turtle)", "Whole graph (Turtle)",
                   "Tous les faits du graphe (union des graphes nommés), en Turtle.",
                   "Every statement of the graph (the union of its named graphs), as Turtle."),
        DumpFormat("nt.gz", "essgraph.nt.gz", ox.RdfFormat.N_TRIPLES, "application/n-triples",
                   "application/gzip", "RDF_N_TRIPLES", True, True,
                   "Graphe complet (N-Triples compressé gzip)",
                   "Whole graph (N-Triples, gzip-compressed)",
                   "Tous les faits du graphe, une ligne par triplet, compressés en gzip.",
                   "Every statement of the graph, one triple a line, gzip-compressed."),
        DumpFormat("nq", "essgraph.nq", ox.RdfFormat.N_QUADS, "application/n-quads",
                   "application/n-quads", "RDF_N_QUADS", False, False,
                   "Graphe complet avec ses graphes nommés (N-Quads)",
                   "Whole graph with its named graphs (N-Quads)",
                   "Chaque fait avec le graphe nommé de sa source (document source, "
                   "ontologie, territoires, inférences).",
                   "Every statement with the named graph it belongs to (source document, "
                   "ontology, territories, inferences)."),
        DumpFormat("jsonld", "essgraph.jsonld", ox.RdfFormat.JSON_LD, "application/ld+json",
                   "application/ld+json", "JSON_LD", True, False,
                   "Graphe complet (JSON-LD)", "Whole graph (JSON-LD)",
                   "Tous les faits du graphe en JSON-LD développé (sans contexte à charger).",
                   "Every statement of the graph as expanded JSON-LD (no context to fetch)."),
    )
}
BY_FILE = {d.file: d for d in DUMPS.values()}


@dataclass(frozen=True)
class DumpFile:
    """A written dump, as the manifest records it."""

    key: str
    file: str
    bytes: int
    sha256: str

    @property
    def format(self) -> DumpFormat:
        return DUMPS[self.key]


# --- writing ---------------------------------------------------------------------------


def write_dump(store: ox.Store, dump: DumpFormat, path: Path, *,
               union: Path | None = None) -> DumpFile:
    """Write one dump of `store` (default graph = union of the named graphs) to `path`.

    `union`: an N-Triples file of the union already written (write_dumps), read instead of
    querying the store again; the DISTINCT over every statement is the slow part.
    """
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as raw:
            if dump.gzip:
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                   compresslevel=6) as out:
                    _serialise(store, dump, out, union)
            else:
                _serialise(store, dump, raw, union)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return DumpFile(dump.key, path.name, path.stat().st_size, sha256_of(path))


def _serialise(store: ox.Store, dump: DumpFormat, out: IO[bytes], union: Path | None) -> None:
    prefixes = dict(vocab.PREFIXES) if dump.ox_format is ox.RdfFormat.TURTLE else None
    if not dump.union:
        store.dump(out, dump.ox_format)
    elif union is None:
        triples = store.query(_UNION, use_default_graph_as_union=True)
        ox.serialize(triples, out, dump.ox_format, prefixes=prefixes)
    elif dump.ox_format is ox.RdfFormat.N_TRIPLES:
        with open(union, "rb") as f:
            shutil.copyfileobj(f, out, 1 << 20)
    else:
        parsed = ox.parse(path=str(union), format=ox.RdfFormat.N_TRIPLES)
        ox.serialize(parsed, out, dump.ox_format, prefixes=prefixes)


def write_dumps(store: ox.Store, out_dir: Path, *,
                progress: Progress = lambda s: None) -> list[DumpFile]:
    """Every dump of DUMPS into `out_dir`, in order; returns what was written.

    The union is computed once, as N-Triples in a temporary file the other union dumps
    are made from (on the full build: 45 s instead of 100 s for the three).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    union = out_dir / ".union.nt.tmp"
    written = []
    try:
        with open(union, "wb") as f:
            triples = store.query(_UNION, use_default_graph_as_union=True)
            ox.serialize(triples, f, ox.RdfFormat.N_TRIPLES)
        for dump in DUMPS.values():
            done = write_dump(store, dump, out_dir / dump.file, union=union)
            progress(f"publish: {done.file} ({done.bytes:,} bytes)")
            written.append(done)
    finally:
        union.unlink(missing_ok=True)
    return written


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_void(store: ox.Store, path: Path, base_url: str) -> None:
    """The VoID description of essgraph.void, counted from `store`, as Turtle."""
    stats = void.count_store(store)
    document = urljoin(base_url, void.DOCUMENT_PATH)
    triples = void.describe(stats, document=document, endpoint=urljoin(base_url, "sparql"),
                            dumps=dump_urls(base_url))
    path.write_bytes(ox.serialize(triples, format=ox.RdfFormat.TURTLE,
                                  prefixes=void.PREFIXES) or b"")


def publish(
    build_dir: Path,
    settings: Settings,
    *,
    out_dir: Path | None = None,
    parts: Collection[str] = PARTS,
    progress: Progress = lambda s: None,
) -> dict[str, Any]:
    """Write the dumps, VoID, sitemap and manifest of a finished build; return the manifest.

    `out_dir` defaults to `<build_dir>/publish`; `parts` chooses among "dumps", "void" and
    "sitemap" (the manifest is always written: the catalog is made from it). The database
    is opened read-only, as a server would, so this also works on the current build.
    """
    from .catalog import coverage

    build_dir = Path(build_dir)
    out_dir = Path(out_dir) if out_dir is not None else build_dir / PUBLISH_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        store = ox.Store.read_only(str(build_dir))
    except OSError as e:
        raise StoreError(f"cannot open the build: {e}", where=str(build_dir)) from e
    try:
        dumps = write_dumps(store, out_dir, progress=progress) if "dumps" in parts else []
        if "void" in parts:
            write_void(store, out_dir / VOID_FILE, settings.base_url)
            progress(f"publish: {VOID_FILE}")
        paths = sitemap.resource_paths(store) if "sitemap" in parts else []
        if "sitemap" in parts:
            sitemap.write(paths, settings.base_url, out_dir)
            progress(f"publish: sitemap of {len(paths):,} resource pages")
        manifest = {
            "version": MANIFEST_VERSION,
            "build": build_dir.name,
            "built_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "base_url": settings.base_url,
            "statements": len(store),
            "dumps": [asdict(d) for d in dumps],
            "coverage": coverage(store),
            "resources": len(paths),
        }
    finally:
        del store
        gc.collect()  # release the database before the caller reopens or removes it
    write_json(out_dir / MANIFEST, manifest)
    return manifest


def write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


# --- reading (the web layer and the CLI) -------------------------------------------------


def publish_dir(build_dir: Path) -> Path:
    return Path(build_dir) / PUBLISH_DIR


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest of a publish directory; NotFound (with the fix) when there is none."""
    path = Path(directory) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFound(
            "this build has no published files (dumps, manifest, sitemap): it was made "
            "before builds wrote them; run `essgraph build` again (or `essgraph export "
            "--publish DIR` to write them elsewhere)",
            where=str(path),
        ) from None
    except (OSError, ValueError) as e:
        raise StoreError(f"cannot read the manifest: {e}", where=str(path)) from e


def dump_urls(base_url: str) -> list[str]:
    """Where the dumps of a build are downloaded from (the /dumps/ route)."""
    return [urljoin(base_url, "dumps/" + d.file) for d in DUMPS.values()]


def dump_files(manifest: dict[str, Any]) -> list[DumpFile]:
    return [DumpFile(**d) for d in manifest.get("dumps", []) if d.get("key") in DUMPS]
