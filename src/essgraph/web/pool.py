"""Queries run in killable worker processes: a real time limit for pyoxigraph.

pyoxigraph cannot cancel a running query from Python, so a query that runs too long cannot be
stopped in the process that started it. Each query is therefore sent to one of a few worker
processes; each opens the current build read-only, reopens it when `current` is switched,
runs the checked query and sends back the serialised bytes. When the time limit passes, the
web process kills that worker, starts a fresh one, and answers 503 QUERY_TIMEOUT; the other
workers keep serving.

Row limit: a result is cut after `max_rows` rows (solutions, or triples for a graph) and
marked truncated (the web layer sends `X-Essgraph-Truncated: true`; Turtle, N-Triples and
the XML formats also carry a comment). Truncating rather than refusing (413) keeps
exploratory queries useful, as the public endpoints people know do (Virtuoso's
ResultSetMaxRows), while the header says the answer is partial.

Result cache: a build never changes once written (store/builds.py), so a whole answer is a
function of (build id, query text, dataset parameters, format, row limit, base IRI). The pool
keeps answers in an LRU bounded by bytes (`settings.result_cache_mb`), looked up with the
build id read from the `current` symlink (one readlink, no store access), so after a switch
the old build's entries are never answered again; they age out. Errors and timeouts are
never cached, nor queries whose answer changes between runs (RAND, NOW, UUID, STRUUID,
BNODE). `QueryAnswer.cache` says "hit" or "miss"; `QueryAnswer.etag` identifies the answer.

Guard: the web process runs guard.check_query itself for queries up to GUARD_INLINE_BYTES
(remembered by text, so a repeat is free) and sends the verdict with the job; only longer
queries, whose rdflib parse may take seconds, are checked in the worker, under the limit.

Memory: each worker is a fresh interpreter (`python -c`, not a fork of the web process nor
a forkserver) that imports only pyoxigraph and this module's library side, about 30 MB
(rdflib only once it checks a long query).
pyoxigraph keeps what a large query allocated (an aggregate over 3M triples leaves a worker
at 150 MB), so a worker that grew past `settings.query_worker_max_mb` is replaced once its
answer is sent.

In front of a remote store (`settings.store_url`), `make_pool` returns a RemotePool
instead: no worker processes, the query runs through RemoteStore in the request's thread with
the time limit as its HTTP timeout (the endpoint stops the query itself: Virtuoso's
MaxQueryExecutionTime). The same guard, dataset checks, formats and row limit apply. It has
no result cache: a remote store has no build id, and its data may change under us.

No Flask here; the worker side imports only the library.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import queue
import re
import socket
import subprocess
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from itertools import islice
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from .. import errors, vocab
from ..errors import EssgraphError, QueryTimeout, StoreError
from ..guard import ParsedQuery, check_dataset, check_query, query_kind
from ..store.builds import CURRENT, current_build
from .formats import FORMATS, Format

if TYPE_CHECKING:
    from ..store.remote import RemoteStore

log = logging.getLogger("essgraph.web")

_XSD_STRING = vocab.XSD + "string"
GZIP_LEVEL = 5
# Queries up to this size are checked by the guard in the web process (rdflib's parse of a
# few KB is tens of ms, and remembered by text), so the query workers need no rdflib;
# longer ones, whose parse may take seconds, are checked in the worker, under the limit.
GUARD_INLINE_BYTES = 4096
_STARTUP_TIMEOUT = 60.0
# Functions whose value changes from one evaluation to the next: such answers are not cached.
_VOLATILE = re.compile(r"\b(?:RAND|NOW|UUID|STRUUID|BNODE)\s*\(", re.IGNORECASE)
# What an entry costs besides its body and query text (key tuple, answer object, links).
_ENTRY_OVERHEAD = 400


@dataclass(frozen=True)
class QueryJob:
    """One query to run, as the web layer read it from the request."""

    sparql: str
    format: str  # a key of formats.FORMATS
    base_iri: str | None = None
    # The protocol's default-graph-uri / named-graph-uri; None when the request has neither.
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    max_rows: int = 10_000
    # Written by essgraph itself (the Linked Data pages), never by a user: the guard's
    # rdflib parse (~0.3 s for a long query) is skipped; time and row limits still apply.
    internal: bool = False
    # The guard's verdict when the web process checked the query already (QueryPool.run).
    checked: ParsedQuery | None = None


@dataclass(frozen=True)
class QueryAnswer:
    body: bytes
    kind: str  # select | ask | construct | describe
    rows: int
    truncated: bool
    build: str
    cache: str = ""  # "hit" or "miss" when the answer may be cached, "" otherwise
    etag: str | None = None  # the same for every answer of this job on this build
    gzipped: bytes | None = None  # the body gzipped, kept with a cached answer once asked


@dataclass(frozen=True)
class StoreInfo:
    build: str
    triples: int
    graphs: tuple[str, ...]


class ResultCache:
    """Whole answers by (build id, job), least recently used first out, bounded by bytes."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, QueryAnswer] = OrderedDict()
        self._lock = threading.Lock()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple) -> QueryAnswer | None:
        with self._lock:
            answer = self._entries.get(key)
            if answer is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return answer

    def put(self, key: tuple, answer: QueryAnswer) -> None:
        size = _entry_size(key, answer)
        # One answer may take a quarter of the cache at most: a huge answer would flush all.
        if size > self.max_bytes // 4:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.bytes -= _entry_size(key, old)
            self._entries[key] = answer
            self.bytes += size
            while self.bytes > self.max_bytes:
                old_key, old_answer = self._entries.popitem(last=False)
                self.bytes -= _entry_size(old_key, old_answer)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"hits": self.hits, "misses": self.misses, "entries": len(self._entries),
                    "bytes": self.bytes, "max_bytes": self.max_bytes}


def _entry_size(key: tuple, answer: QueryAnswer) -> int:
    return len(answer.body) + len(answer.gzipped or b"") + len(key[1]) + _ENTRY_OVERHEAD


def job_key(job: QueryJob) -> tuple:
    """What the answer of `job` depends on, besides the build."""
    return (job.sparql, job.format, job.base_iri, job.default_graphs, job.named_graphs,
            job.max_rows, job.internal)


def etag_of(build: str, key: tuple) -> str:
    return hashlib.sha256(repr((build, key)).encode()).hexdigest()[:32]


def cacheable(job: QueryJob) -> bool:
    """False when the query's answer may change between two runs on the same build."""
    return _VOLATILE.search(job.sparql) is None


class QueryPool:
    """A few worker processes answering queries; safe to share between threads.

    Workers start on first use. `size` bounds how many queries run at once in this process;
    a request waits for a free worker at most as long as its own time limit. With
    `cache_bytes` > 0, answers are kept per build (see the module docstring).
    """

    def __init__(self, store_dir: Path, *, size: int = 2, cache_bytes: int = 0,
                 worker_max_bytes: int = 0):
        self.store_dir = Path(store_dir)
        self.size = size
        self.cache = ResultCache(cache_bytes) if cache_bytes > 0 else None
        self.worker_max_bytes = worker_max_bytes
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._workers: set[_Worker] = set()
        self._lock = threading.Lock()
        self._started = False
        self._closed = False

    def run(self, job: QueryJob, timeout: float) -> QueryAnswer:
        """Run `job`; raises the query's EssgraphError, or QueryTimeout after `timeout` s."""
        if self.cache is None or not cacheable(job):
            return self._call(("query", _precheck(job)), timeout)
        key = job_key(job)
        build = self.build_id()
        if build is not None:
            cached = self.cache.get((build, *key))
            if cached is not None:  # its text passed the guard when it was answered
                return replace(cached, cache="hit")
        answer: QueryAnswer = self._call(("query", _precheck(job)), timeout)
        # The worker may have opened a newer build than the one read above: file the answer
        # under the build that gave it.
        answer = replace(answer, cache="miss", etag=etag_of(answer.build, key))
        self.cache.put((answer.build, *key), answer)
        return answer

    def gzipped(self, job: QueryJob, answer: QueryAnswer) -> bytes:
        """`answer`'s body gzipped; compressed once and kept with the cached answer, so a
        repeated large answer is not compressed again on every request."""
        if answer.gzipped is not None:
            return answer.gzipped
        data = gzip.compress(answer.body, compresslevel=GZIP_LEVEL)
        if self.cache is not None and answer.cache:
            self.cache.put((answer.build, *job_key(job)), replace(answer, gzipped=data))
        return data

    def etag(self, job: QueryJob) -> str | None:
        """The ETag `job`'s answer has on the current build, without running it; None when
        the answer is not cached (so cannot be promised to stay the same)."""
        if self.cache is None or not cacheable(job):
            return None
        build = self.build_id()
        return None if build is None else etag_of(build, job_key(job))

    def build_id(self) -> str | None:
        """The current build's id from the `current` symlink alone (no store access)."""
        try:
            return os.path.basename(os.readlink(self.store_dir / CURRENT))
        except OSError:
            return None

    def cache_stats(self) -> dict[str, int] | None:
        return None if self.cache is None else self.cache.stats()

    def pids(self) -> list[int]:
        """The worker processes' ids (for operations: their memory, their count)."""
        with self._lock:
            return sorted(w.pid for w in self._workers if w.pid is not None)

    def info(self, timeout: float) -> StoreInfo:
        """The current build: its id, size and named graphs."""
        return self._call(("info",), timeout)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self._workers = list(self._workers), set()
        for worker in workers:
            worker.stop()

    def _call(self, request: tuple, timeout: float):
        worker = self._acquire(timeout)
        try:
            worker.conn.send(request)
            if not worker.conn.poll(timeout):
                log.warning("query over %.1f s: killing worker %s", timeout, worker.pid)
                self._replace(worker)
                raise QueryTimeout(
                    f"the query ran longer than {timeout:g} s and was stopped; narrow it "
                    "(LIMIT, more specific patterns) or run it on a local copy of the data"
                )
            reply, rss = worker.conn.recv()
        except (EOFError, OSError) as e:
            log.error("query worker %s died: %s", worker.pid, e)
            self._replace(worker)
            raise StoreError("the query worker stopped unexpectedly") from e
        if self.worker_max_bytes and rss > self.worker_max_bytes:
            log.info("query worker %s at %d MB: replacing it", worker.pid, rss >> 20)
            self._replace(worker)
        else:
            self._idle.put(worker)
        if reply[0] == "ok":
            return reply[1]
        _, name, message, where = reply
        cls = getattr(errors, name, None)
        if not (isinstance(cls, type) and issubclass(cls, EssgraphError)):
            cls = StoreError
        raise cls(message, where=where)

    def _acquire(self, timeout: float) -> _Worker:
        self._start()
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise QueryTimeout(
                f"all {self.size} query workers stayed busy for {timeout:g} s; try again later"
            ) from None
        if not worker.ready:
            try:
                worker.wait_ready()
            except StoreError:
                self._replace(worker)
                raise
        return worker

    def _start(self) -> None:
        with self._lock:
            if self._closed:
                raise StoreError("the query pool is closed")
            if self._started:
                return
            self._started = True
            for _ in range(self.size):
                self._spawn()

    def _spawn(self) -> None:
        worker = _Worker(self.store_dir)
        self._workers.add(worker)
        self._idle.put(worker)

    def _replace(self, worker: _Worker) -> None:
        worker.stop()
        with self._lock:
            self._workers.discard(worker)
            if not self._closed:
                self._spawn()


# The worker's command: a fresh interpreter importing only this module's library side (not
# Flask: essgraph.web imports it lazily). Not a fork of the web process, which runs threads,
# nor of a forkserver, which would be one more process holding the same imports.
_WORKER_MAIN = "import sys; from essgraph.web.pool import _worker_main; _worker_main(sys.argv)"


class _Worker:
    """The web-process end of one worker process."""

    def __init__(self, store_dir: Path):
        parent, child = socket.socketpair()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _WORKER_MAIN, str(child.fileno()), str(store_dir)],
                pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL,
            )
        except BaseException:
            parent.close()
            raise
        finally:
            child.close()
        self.conn = Connection(parent.detach())
        self.ready = False

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def wait_ready(self) -> None:
        """Startup (imports, opening the store) does not count against a query's limit."""
        try:
            if not self.conn.poll(_STARTUP_TIMEOUT) or self.conn.recv() != ("ready",):
                raise StoreError("a query worker did not start")
        except (EOFError, OSError) as e:
            raise StoreError("a query worker did not start") from e
        self.ready = True

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            log.error("query worker %s did not stop", self.process.pid)
        self.conn.close()


def make_pool(settings) -> QueryPool | RemotePool:
    """Worker processes on the local build, or a RemotePool when store_url is set."""
    if settings.store_url:
        from ..store.remote import RemoteStore

        return RemotePool(RemoteStore(settings.store_url, timeout=settings.query_timeout))
    return QueryPool(settings.store_dir, size=settings.query_workers,
                     cache_bytes=settings.result_cache_mb << 20,
                     worker_max_bytes=settings.query_worker_max_mb << 20)


class RemotePool:
    """QueryPool's interface over a RemoteStore; the HTTP timeout is the time limit."""

    def __init__(self, store: RemoteStore):
        self.store = store

    def run(self, job: QueryJob, timeout: float) -> QueryAnswer:
        from ..store import AskResult, GraphResult, SelectResult
        from ..store.results import to_json

        parsed = _checked(job)
        fmt = FORMATS[job.format]
        if fmt.results == parsed.is_graph:
            raise errors.NotAcceptable(
                f"a {parsed.kind.upper()} query cannot be answered as {fmt.media_type}",
                where="format",
            )
        graphs = set(self.store.graphs())
        dataset: dict = {}
        if job.default_graphs is not None or job.named_graphs is not None:
            check_dataset(job.default_graphs or (), graphs, where="default-graph-uri")
            check_dataset(job.named_graphs or (), graphs, where="named-graph-uri")
            dataset = {"default_graphs": job.default_graphs or (),
                       "named_graphs": job.named_graphs or ()}
        elif parsed.names_dataset:
            check_dataset(parsed.from_graphs, graphs, where="FROM")
            check_dataset(parsed.from_named, graphs, where="FROM NAMED")
        result = self.store.query(job.sparql, base_iri=job.base_iri, **dataset)
        if isinstance(result, GraphResult):
            raw: object = result.triples
        else:
            assert isinstance(result, SelectResult | AskResult)
            raw = ox.parse_query_results(to_json(result), format=ox.QueryResultsFormat.JSON)
        body, rows, truncated = serialise(raw, fmt, job.max_rows)
        return QueryAnswer(body, parsed.kind, rows, truncated, "remote")

    def etag(self, job: QueryJob) -> str | None:
        return None  # no build id: nothing says two answers are the same

    def cache_stats(self) -> dict[str, int] | None:
        return None

    def info(self, timeout: float) -> StoreInfo:
        return StoreInfo("remote", self.store.count_triples(), self.store.graphs())

    def close(self) -> None:
        self.store.close()


def _precheck(job: QueryJob) -> QueryJob:
    """`job` with the guard's verdict when the web process may check it (short queries)."""
    if job.internal or job.checked is not None or len(job.sparql) > GUARD_INLINE_BYTES:
        return job
    return replace(job, checked=check_query(job.sparql, base_iri=job.base_iri))


def _checked(job: QueryJob) -> ParsedQuery:
    if job.checked is not None:
        return job.checked
    if job.internal:
        return ParsedQuery(job.sparql, query_kind(job.sparql))
    return check_query(job.sparql, base_iri=job.base_iri)


# --- the worker side -------------------------------------------------------------------


def _worker_main(argv: list[str]) -> None:
    """Entry point of a worker process: `-c _WORKER_MAIN FD STORE_DIR`.

    Ctrl-C at the terminal reaches the whole process group: the worker leaves stopping to
    the web process (which kills it, or closes the pipe, which ends the loop below).
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _serve(Connection(int(argv[1])), argv[2])


def _rss() -> int:
    """This process's resident size in bytes (one small read of /proc)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _serve(conn: Connection, store_dir: str) -> None:
    """Worker main loop: one request at a time until the web process goes away."""
    engine = Engine(Path(store_dir))
    engine.warm_up()
    conn.send(("ready",))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if request[0] == "query":
                reply = ("ok", engine.run(request[1]))
            else:
                reply = ("ok", engine.info())
        except EssgraphError as e:
            reply = ("error", type(e).__name__, e.message, e.where)
        except Exception as e:  # a bug or a store failure: report it, keep serving
            log.exception("query failed")
            reply = ("error", "StoreError", f"query failed: {type(e).__name__}: {e}", None)
        try:
            conn.send((reply, _rss()))
        except (EOFError, OSError):
            return


class Engine:
    """Runs checked queries on the current build; usable in-process too (tests, CLI)."""

    def __init__(self, store_dir: Path):
        self.store_dir = Path(store_dir)
        self._path: Path | None = None
        self._store: ox.Store | None = None
        self._info: StoreInfo | None = None

    def warm_up(self) -> None:
        """Open the store before any deadline. rdflib's grammar is not loaded here: the web
        process checks short queries; a long one loads it under its own time limit."""
        try:
            self.store()
        except EssgraphError:
            pass

    def store(self) -> ox.Store:
        """The current build, reopened when `current` points elsewhere."""
        path = current_build(self.store_dir)
        if path != self._path or self._store is None:
            try:
                self._store = ox.Store.read_only(str(path))
            except OSError as e:
                raise StoreError(f"cannot open the store: {e}", where=str(path)) from e
            self._path, self._info = path, None
        return self._store

    def info(self) -> StoreInfo:
        store = self.store()
        if self._info is None:
            assert self._path is not None
            self._info = StoreInfo(
                self._path.name, len(store), tuple(sorted(g.value for g in store.named_graphs()))
            )
        return self._info

    def run(self, job: QueryJob) -> QueryAnswer:
        parsed = _checked(job)
        fmt = FORMATS[job.format]
        if fmt.results == parsed.is_graph:
            raise errors.NotAcceptable(
                f"a {parsed.kind.upper()} query cannot be answered as {fmt.media_type}",
                where="format",
            )
        store = self.store()
        assert self._path is not None
        build = self._path.name
        if job.default_graphs is not None or job.named_graphs is not None:
            # Only a dataset needs the graphs (info() counts the store too: 0.3 s at 3M).
            graphs = set(self.info().graphs)
            check_dataset(job.default_graphs or (), graphs, where="default-graph-uri")
            check_dataset(job.named_graphs or (), graphs, where="named-graph-uri")
            dataset = {
                "default_graph": [ox.NamedNode(g) for g in job.default_graphs or ()],
                "named_graphs": [ox.NamedNode(g) for g in job.named_graphs or ()],
            }
        elif parsed.names_dataset:
            graphs = set(self.info().graphs)
            check_dataset(parsed.from_graphs, graphs, where="FROM")
            check_dataset(parsed.from_named, graphs, where="FROM NAMED")
            dataset = {}
        else:
            dataset = {"use_default_graph_as_union": True}
        try:
            raw = store.query(job.sparql, base_iri=job.base_iri, **dataset)
            body, rows, truncated = serialise(raw, fmt, job.max_rows)
        except SyntaxError as e:
            from ..store.embedded import syntax_error

            raise syntax_error(e) from e
        except (RuntimeError, ValueError, OSError) as e:
            raise StoreError(f"query failed: {e}") from e
        return QueryAnswer(body, parsed.kind, rows, truncated, build)


def serialise(
    raw: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples | list[ox.Triple],
    fmt: Format,
    max_rows: int,
) -> tuple[bytes, int, bool]:
    """(bytes, rows, truncated) with pyoxigraph's serialisers, cut after `max_rows` rows.

    pyoxigraph serialises a whole QuerySolutions only, so a SELECT is cut here, written as
    SPARQL JSON, and read back (parse_query_results) to be written in the asked format.
    """
    if isinstance(raw, ox.QueryBoolean):
        return raw.serialize(format=fmt.ox_format), 1, False
    if isinstance(raw, ox.QueryTriples | list):
        triples = list(islice(raw, max_rows + 1))
        truncated = len(triples) > max_rows
        del triples[max_rows:]
        prefixes = dict(vocab.PREFIXES) if fmt.key in ("ttl", "rdfxml") else None
        body = ox.serialize(triples, format=fmt.ox_format, prefixes=prefixes)
        return _mark(body, fmt, max_rows, "triples") if truncated else body, len(triples), truncated
    variables = [v.value for v in raw.variables]
    bindings = []
    for solution in islice(raw, max_rows + 1):
        values = zip(variables, solution, strict=True)
        bindings.append({name: _term(value) for name, value in values if value is not None})
    truncated = len(bindings) > max_rows
    del bindings[max_rows:]
    document = json.dumps(
        {"head": {"vars": variables}, "results": {"bindings": bindings}}, ensure_ascii=False
    ).encode()
    body = ox.parse_query_results(document, format=ox.QueryResultsFormat.JSON).serialize(
        format=fmt.ox_format
    )
    return _mark(body, fmt, max_rows, "rows") if truncated else body, len(bindings), truncated


def _term(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> dict:
    """A term in the SPARQL 1.1 JSON results shape (with RDF 1.2 triple terms)."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != _XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {
        "type": "triple",
        "value": {
            "subject": _term(term.subject),
            "predicate": _term(term.predicate),
            "object": _term(term.object),
        },
    }


def _mark(body: bytes, fmt: Format, max_rows: int, unit: str) -> bytes:
    """A comment saying the answer is cut, where the format has comments."""
    note = f"essgraph: truncated to the first {max_rows} {unit} (max_rows); page with LIMIT/OFFSET"
    if fmt.comment == "#":
        return f"# {note}\n".encode() + body
    if fmt.comment == "xml" and body.startswith(b"<?xml"):
        end = body.index(b"?>") + 2
        return body[:end] + f"<!-- {note} -->".encode() + body[end:]
    return body
