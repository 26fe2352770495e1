"""The bench's rdflib baseline: one N-Quads file in an rdflib Dataset, answered at /sparql.

    .venv/bin/python bench/rdflib_server.py DUMP.nq PORT [LIMIT]

For the benchmark only: the smallest SPARQL 1.1 Protocol endpoint (GET or form POST,
SPARQL JSON results) over rdflib's in-memory store, so that rdflib is timed through HTTP
like essgraph and Virtuoso. The default graph is the union of the named graphs (as in
essgraph), FROM never loads anything (SPARQL_LOAD_GRAPHS = False) and answers are cut after
10,000 rows, like the two other engines. Prints "ready LOAD_SECONDS" on stdout once loaded.

Each query runs in a child forked from the loaded process (copy-on-write: no reload) and
is killed after LIMIT seconds (default 60), answering 503: rdflib cannot be interrupted,
and a runaway query left running would slow every later measurement. The fork costs a few
milliseconds, which only flatters essgraph's ratio against rdflib by that much.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import time
from itertools import islice
from pathlib import Path

import rdflib
import rdflib.plugins.sparql
from flask import Flask, Response, request
from werkzeug.serving import make_server

MAX_ROWS = 10_000


def create_app(dataset: rdflib.Dataset, limit: float) -> Flask:
    app = Flask(__name__)

    @app.route("/sparql", methods=["GET", "POST"])
    def sparql() -> Response:
        query = request.values.get("query")
        if not query:
            return Response("no query", status=400)
        status, body = run_killable(dataset, query, limit)
        content_type = "application/sparql-results+json" if status == 200 else "text/plain"
        return Response(body, status=status, content_type=content_type)

    return app


def run_killable(dataset: rdflib.Dataset, query: str, limit: float) -> tuple[int, bytes]:
    """(HTTP status, body) of the query run in a forked child, killed after `limit` s."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer, write, leave without any clean-up
        os.close(read_end)
        try:
            status, body = 200, answer(dataset, query)
        except Exception as e:  # the bench reports the engine's failure, whatever it is
            status, body = 400, f"{type(e).__name__}: {e}".encode()
        with os.fdopen(write_end, "wb") as out:
            out.write(status.to_bytes(2, "big") + body)
        os._exit(0)
    os.close(write_end)
    chunks: list[bytes] = []
    deadline = time.monotonic() + limit
    with os.fdopen(read_end, "rb", buffering=0) as pipe:
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([pipe], [], [], max(left, 0))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return 503, f"rdflib: stopped after {limit:g} s".encode()
            chunk = pipe.read(1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    os.waitpid(pid, 0)
    data = b"".join(chunks)
    if len(data) < 2:
        return 500, b"rdflib: the query process died"
    return int.from_bytes(data[:2], "big"), data[2:]


def answer(dataset: rdflib.Dataset, query: str) -> bytes:
    result = dataset.query(query)
    if result.type == "ASK":
        body = {"head": {}, "boolean": bool(result.askAnswer)}
    else:
        variables = [str(v) for v in result.vars]
        rows = [
            {v: _term(row[i]) for i, v in enumerate(variables) if row[i] is not None}
            for row in islice(result, MAX_ROWS)
        ]
        body = {"head": {"vars": variables}, "results": {"bindings": rows}}
    return json.dumps(body, ensure_ascii=False).encode()


def _term(term: rdflib.term.Node) -> dict:
    if isinstance(term, rdflib.URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, rdflib.BNode):
        return {"type": "bnode", "value": str(term)}
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype:
        out["datatype"] = str(term.datatype)
    return out


def main(argv: list[str]) -> int:
    dump, port = Path(argv[0]), int(argv[1])
    limit = float(argv[2]) if len(argv) > 2 else 60.0
    rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
    started = time.perf_counter()
    dataset = rdflib.Dataset(default_union=True)
    dataset.parse(str(dump), format="nquads")
    print(f"ready {time.perf_counter() - started:.1f}", flush=True)
    server = make_server("127.0.0.1", port, create_app(dataset, limit), threaded=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
