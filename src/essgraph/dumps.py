"""The files a build publishes beside its database: dumps, manifest, VoID and sitemap.

A build writes them into `<build>/publish/` before `current` is switched, so a server never
sees a current build without them (and a build that fails here changes nothing). The web
layer serves them as files (/dumps/<file>, /sitemap.xml) and builds the DCAT catalog from
the manifest, without opening the database.

- `essgraph.ttl`: the union of every named graph (the default graph of every query), Turtle;
- `essgraph.nt.gz`: the same union as N-Triples, gzip (mtime 0, lines in byte order: same
  data, same bytes);
- `essgraph.nq`: every named graph, N-Quads, lines in byte order: the dump that keeps where
  each fact comes from;
- `essgraph.jsonld`: the union as expanded JSON-LD (no context to load, local or remote);
- `manifest.json`: build id and time, each dump's size and SHA-256, and the coverage the
  catalog states (essgraph.catalog.coverage);
- `void.ttl`: the VoID description (essgraph.void), counted from the build;
- `sitemap.xml`: the resource pages (/id/...) under `base_url` (an index of
  `sitemap-N.xml` beyond 50,000 pages), and `resources.txt`, their paths one a line, to
  list them again under another base URL.

A build publishes from its in-memory dataset before writing the database (then loads the
database from essgraph.nq); `essgraph export` publishes from the database. Both give the
same bytes for the same statements.

No Flask and no click here.
"""

from __future__ import annotations

import gc
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
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

# gzip level of essgraph.nt.gz: at 1M statements (3M with the reference and inferences)
# level 3 takes 3.6 s against 9.1 s at the default 6, for a file 19% bigger.
GZIP_LEVEL = 3
# Below this size of the union N-Triples, writing Turtle and JSON-LD in other processes costs
# more (starting them) than it saves.
PARALLEL_BYTES = 32 << 20
# Memory `sort` may use for the union before it merges temporary files (measured at 3M
# statements: 7.8 s and 264 MB, against 7.6 s and 820 MB unbounded).
SORT_MEMORY = "256M"
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

    `union`: an N-Triples file of the union already written (write_union), read instead of
    computing the union again.
    """
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if union is None and dump.union:
            union = path.with_name(f".{path.name}.union.tmp")
            try:
                write_union(store, union)
                return write_dump(store, dump, path, union=union)
            finally:
                union.unlink(missing_ok=True)
        if dump.gzip:
            assert union is not None
            with open(tmp, "wb") as raw:
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                   compresslevel=GZIP_LEVEL) as out:
                    _copy(union, out)
        elif not dump.union:
            # In byte order too: the same statements give the same bytes, whether they are
            # read from the in-memory dataset (a build) or from the database (an export).
            raw = path.with_name(f".{path.name}.unsorted.tmp")
            try:
                store.dump(str(raw), dump.ox_format)
                _sort_unique(raw, tmp)
            finally:
                raw.unlink(missing_ok=True)
        else:
            assert union is not None
            _from_union(union, dump.key, tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return DumpFile(dump.key, path.name, path.stat().st_size, sha256_of(path))


def _copy(source: Path, out: IO[bytes]) -> None:
    with open(source, "rb") as f:
        shutil.copyfileobj(f, out, 1 << 20)


def _from_union(union: Path | str, key: str, path: Path | str) -> None:
    """Re-serialise the union N-Triples file as DUMPS[key] (Turtle, JSON-LD) into `path`.

    A top-level function of plain arguments: write_dumps runs it in another process."""
    union, path = Path(union), Path(path)
    dump = DUMPS[key]
    if dump.ox_format is ox.RdfFormat.N_TRIPLES:
        shutil.copyfile(union, path)
        return
    prefixes = dict(vocab.PREFIXES) if dump.ox_format is ox.RdfFormat.TURTLE else None
    parsed = ox.parse(path=str(union), format=ox.RdfFormat.N_TRIPLES)
    ox.serialize(parsed, str(path), dump.ox_format, prefixes=prefixes)


def write_union(store: ox.Store, path: Path) -> None:
    """The union of the named graphs of `store` as N-Triples in `path`: each triple once,
    lines in byte order (so a subject's triples are together, and Turtle and JSON-LD group
    them under it).

    Each named graph is dumped by pyoxigraph as N-Triples, then the lines are sorted and
    made unique (a SPARQL `SELECT DISTINCT` over every statement was most of the dumps'
    time: 40 s of 3M statements, against 8 s). A triple stated in two graphs is the same
    line in both (one serialiser), so `sort -u` writes it once. GNU sort does it in bounded
    memory (SORT_MEMORY, then merges files); without a `sort` program, Python does it in
    memory.
    """
    raw = path.with_name(path.name + ".graphs")
    try:
        with open(raw, "wb") as f:
            for graph in store.named_graphs():
                store.dump(f, ox.RdfFormat.N_TRIPLES, from_graph=graph)
        _sort_unique(raw, path)
    finally:
        raw.unlink(missing_ok=True)


def _sort_unique(source: Path, target: Path) -> None:
    program = shutil.which("sort")
    if program is None:
        with open(source, "rb") as f:
            lines = sorted(set(f))
        with open(target, "wb") as out:
            out.writelines(lines)
        return
    done = subprocess.run(
        [program, "-u", "-S", SORT_MEMORY, "-T", str(target.parent), "-o", str(target),
         str(source)],
        env={**os.environ, "LC_ALL": "C"}, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False,
    )
    if done.returncode != 0:
        raise StoreError(
            f"sorting the union of the graphs failed: {done.stderr.decode(errors='replace')}",
            where=str(target),
        )


def write_dumps(store: ox.Store, out_dir: Path, *,
                progress: Progress = lambda s: None) -> list[DumpFile]:
    """Every dump of DUMPS into `out_dir`; returns what was written, in DUMPS order.

    The union is written once (write_union) and the other union dumps are made from it.
    Turtle and JSON-LD (re-serialised by pyoxigraph, which holds the interpreter lock) are
    written by two other Python processes while this one writes the gzip and N-Quads dumps,
    when the union is big enough for that to pay (PARALLEL_BYTES).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    union = out_dir / ".union.nt.tmp"
    written: dict[str, DumpFile] = {}
    try:
        write_union(store, union)
        keys = [d.key for d in DUMPS.values() if d.union and not d.gzip]
        if union.stat().st_size >= PARALLEL_BYTES:
            children = {key: _start_union_dump(union, key, out_dir / DUMPS[key].file)
                        for key in keys}
            try:
                for dump in DUMPS.values():
                    if dump.key not in children:
                        written[dump.key] = write_dump(store, dump, out_dir / dump.file,
                                                       union=union)
                        progress(f"publish: {dump.file} ({written[dump.key].bytes:,} bytes)")
                for key, child in children.items():
                    written[key] = _finish_union_dump(child, key, out_dir / DUMPS[key].file)
                    progress(f"publish: {written[key].file} ({written[key].bytes:,} bytes)")
            finally:
                for child in children.values():
                    if child.poll() is None:
                        child.kill()
                        child.wait()
        else:
            for dump in DUMPS.values():
                written[dump.key] = write_dump(store, dump, out_dir / dump.file, union=union)
                progress(f"publish: {dump.file} ({written[dump.key].bytes:,} bytes)")
    finally:
        union.unlink(missing_ok=True)
    return [written[key] for key in DUMPS]


def _start_union_dump(union: Path, key: str, path: Path) -> subprocess.Popen[bytes]:
    """Start another Python writing DUMPS[key] from the union file into a temporary file
    beside `path` (a plain subprocess: nothing of this process, its store or its
    __main__ is inherited or re-imported)."""
    tmp = path.with_name(f".{path.name}.tmp")
    code = "import sys; from essgraph.dumps import _from_union; _from_union(*sys.argv[1:])"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-c", code, str(union), key, str(tmp)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)


def _finish_union_dump(child: subprocess.Popen[bytes], key: str, path: Path) -> DumpFile:
    tmp = path.with_name(f".{path.name}.tmp")
    _out, err = child.communicate()
    if child.returncode != 0:
        tmp.unlink(missing_ok=True)
        message = err.decode("utf-8", "replace").strip().splitlines()
        raise StoreError(f"writing the {key} dump failed: "
                         f"{message[-1] if message else f'exit status {child.returncode}'}",
                         where=str(path))
    os.replace(tmp, path)
    return DumpFile(key, path.name, path.stat().st_size, sha256_of(path))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_void(store: ox.Store, path: Path, base_url: str,
               stats: void.VoidStats | None = None) -> None:
    """The VoID description of essgraph.void, counted from `store` (unless `stats` are
    given, counted from it already), as Turtle."""
    stats = void.count_store(store) if stats is None else stats
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
    store: ox.Store | None = None,
    void_stats: void.VoidStats | None = None,
) -> dict[str, Any]:
    """Write the dumps, VoID, sitemap and manifest of a finished build; return the manifest.

    `out_dir` defaults to `<build_dir>/publish`; `parts` chooses among "dumps", "void" and
    "sitemap" (the manifest is always written: the catalog is made from it). The database
    is opened read-only, as a server would, so this also works on the current build;
    `store`, when given, is read instead: the build passes the in-memory dataset it is
    about to write, which pyoxigraph reads several times faster than the on-disk database,
    with `void_stats`, its VoID counts (void.count_store), when it has them already.
    """
    build_dir = Path(build_dir)
    out_dir = Path(out_dir) if out_dir is not None else build_dir / PUBLISH_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    if store is not None:
        manifest = _publish(store, build_dir, settings, out_dir, parts, progress, void_stats)
    else:
        try:
            opened = ox.Store.read_only(str(build_dir))
        except OSError as e:
            raise StoreError(f"cannot open the build: {e}", where=str(build_dir)) from e
        try:
            manifest = _publish(opened, build_dir, settings, out_dir, parts, progress)
        finally:
            del opened
            gc.collect()  # release the database before the caller reopens or removes it
    write_json(out_dir / MANIFEST, manifest)
    return manifest


def _publish(store: ox.Store, build_dir: Path, settings: Settings, out_dir: Path,
             parts: Collection[str], progress: Progress,
             void_stats: void.VoidStats | None = None) -> dict[str, Any]:
    from .catalog import coverage

    dumps = write_dumps(store, out_dir, progress=progress) if "dumps" in parts else []
    if "void" in parts:
        write_void(store, out_dir / VOID_FILE, settings.base_url, void_stats)
        progress(f"publish: {VOID_FILE}")
    paths = sitemap.resource_paths(store) if "sitemap" in parts else []
    if "sitemap" in parts:
        sitemap.write(paths, settings.base_url, out_dir)
        progress(f"publish: sitemap of {len(paths):,} resource pages")
    return {
        "version": MANIFEST_VERSION,
        "build": build_dir.name,
        "built_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "base_url": settings.base_url,
        "statements": len(store),
        "dumps": [asdict(d) for d in dumps],
        "coverage": coverage(store),
        "resources": len(paths),
    }


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
