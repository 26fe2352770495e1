"""Queries run in killable worker processes: a real time limit for pyoxigraph.

pyoxigraph cannot cancel a running query from Python, so a query that runs too long cannot be
stopped in the process that started it. Each query is therefore sent to one of a few worker
processes; each opens the current build read-only, reopens it when `current` is switched,
checks the query (guard.check_query, so the rdflib parse is under the time limit too), runs
it and sends back the serialised bytes. When the time limit passes, the web process kills
that worker, starts a fresh one, and answers 503 QUERY_TIMEOUT; the other workers keep
serving.

Row limit: a result is cut after `max_rows` rows (solutions, or triples for a graph) and
marked truncated (the web layer sends `X-Essgraph-Truncated: true`; Turtle, N-Triples and
the XML formats also carry a comment). Truncating rather than refusing (413) keeps
exploratory queries useful, as the public endpoints people know do (Virtuoso's
ResultSetMaxRows), while the header says the answer is partial.

In front of a remote store (`settings.store_url`), `make_pool` returns a RemotePool
instead: no worker processes, the query runs through RemoteStore in the request's thread with
the time limit as its HTTP timeout (the endpoint stops the query itself: Virtuoso's
MaxQueryExecutionTime). The same guard, dataset checks, formats and row limit apply.

No Flask here; the worker side imports only the library.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import queue
import threading
from dataclasses import dataclass
from itertools import islice
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from .. import errors, vocab
from ..errors import EssgraphError, QueryTimeout, StoreError
from ..guard import ParsedQuery, check_dataset, check_query, query_kind
from ..store import AskResult, GraphResult, SelectResult
from ..store.builds import current_build
from ..store.remote import RemoteStore
from ..store.results import to_json
from .formats import FORMATS, Format

log = logging.getLogger("essgraph.web")

_XSD_STRING = vocab.XSD + "string"
_STARTUP_TIMEOUT = 60.0


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


@dataclass(frozen=True)
class QueryAnswer:
    body: bytes
    kind: str  # select | ask | construct | describe
    rows: int
    truncated: bool
    build: str


@dataclass(frozen=True)
class StoreInfo:
    build: str
    triples: int
    graphs: tuple[str, ...]


class QueryPool:
    """A few worker processes answering queries; safe to share between threads.

    Workers start on first use. `size` bounds how many queries run at once in this process;
    a request waits for a free worker at most as long as its own time limit.
    """

    def __init__(self, store_dir: Path, *, size: int = 2, start_method: str = "forkserver"):
        self.store_dir = Path(store_dir)
        self.size = size
        self._ctx = multiprocessing.get_context(start_method)
        if start_method == "forkserver":
            self._ctx.set_forkserver_preload([__name__])
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._workers: set[_Worker] = set()
        self._lock = threading.Lock()
        self._started = False
        self._closed = False

    def run(self, job: QueryJob, timeout: float) -> QueryAnswer:
        """Run `job`; raises the query's EssgraphError, or QueryTimeout after `timeout` s."""
        return self._call(("query", job), timeout)

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
            reply = worker.conn.recv()
        except (EOFError, OSError) as e:
            log.error("query worker %s died: %s", worker.pid, e)
            self._replace(worker)
            raise StoreError("the query worker stopped unexpectedly") from e
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
        worker = _Worker(self._ctx, self.store_dir)
        self._workers.add(worker)
        self._idle.put(worker)

    def _replace(self, worker: _Worker) -> None:
        worker.stop()
        with self._lock:
            self._workers.discard(worker)
            if not self._closed:
                self._spawn()


class _Worker:
    """The web-process end of one worker process."""

    def __init__(self, ctx, store_dir: Path):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_serve, args=(child, str(store_dir)), name="essgraph-query", daemon=True
        )
        self.process.start()
        child.close()
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
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


def make_pool(settings) -> QueryPool | RemotePool:
    """Worker processes on the local build, or a RemotePool when store_url is set."""
    if settings.store_url:
        return RemotePool(RemoteStore(settings.store_url, timeout=settings.query_timeout))
    return QueryPool(settings.store_dir, size=settings.query_workers)


class RemotePool:
    """QueryPool's interface over a RemoteStore; the HTTP timeout is the time limit."""

    def __init__(self, store: RemoteStore):
        self.store = store

    def run(self, job: QueryJob, timeout: float) -> QueryAnswer:
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

    def info(self, timeout: float) -> StoreInfo:
        return StoreInfo("remote", self.store.count_triples(), self.store.graphs())

    def close(self) -> None:
        self.store.close()


def _checked(job: QueryJob) -> ParsedQuery:
    if job.internal:
        return ParsedQuery(job.sparql, query_kind(job.sparql))
    return check_query(job.sparql, base_iri=job.base_iri)


# --- the worker side -------------------------------------------------------------------


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
        conn.send(reply)


class Engine:
    """Runs checked queries on the current build; usable in-process too (tests, CLI)."""

    def __init__(self, store_dir: Path):
        self.store_dir = Path(store_dir)
        self._path: Path | None = None
        self._store: ox.Store | None = None
        self._info: StoreInfo | None = None

    def warm_up(self) -> None:
        """Import-time costs (rdflib's grammar) and opening the store, before any deadline."""
        check_query("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
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
        info = self.info()
        graphs = set(info.graphs)
        if job.default_graphs is not None or job.named_graphs is not None:
            check_dataset(job.default_graphs or (), graphs, where="default-graph-uri")
            check_dataset(job.named_graphs or (), graphs, where="named-graph-uri")
            dataset = {
                "default_graph": [ox.NamedNode(g) for g in job.default_graphs or ()],
                "named_graphs": [ox.NamedNode(g) for g in job.named_graphs or ()],
            }
        elif parsed.names_dataset:
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
        return QueryAnswer(body, parsed.kind, rows, truncated, info.build)


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
