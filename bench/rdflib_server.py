"""The bench's rdflib baseline: one N-Quads file in an rdflib Dataset, answered at /sparql.

    .venv/bin/python bench/rdflib_server.py DUMP.nq PORT

For the benchmark only: the smallest SPARQL 1.1 Protocol endpoint (GET or form POST,
SPARQL JSON results) over rdflib's in-memory store, so that rdflib is timed through HTTP
like essgraph and Virtuoso. The default graph is the union of the named graphs (as in
essgraph), FROM never loads anything (SPARQL_LOAD_GRAPHS = False) and answers are cut after
10,000 rows, like the two other engines. Prints "ready LOAD_SECONDS" on stdout once loaded.
"""

from __future__ import annotations

import json
import sys
import time
from itertools import islice
from pathlib import Path

import rdflib
import rdflib.plugins.sparql
from flask import Flask, Response, request
from werkzeug.serving import make_server

MAX_ROWS = 10_000


def create_app(dataset: rdflib.Dataset) -> Flask:
    app = Flask(__name__)

    @app.route("/sparql", methods=["GET", "POST"])
    def sparql() -> Response:
        query = request.values.get("query")
        if not query:
            return Response("no query", status=400)
        try:
            result = dataset.query(query)
        except Exception as e:  # the bench reports the engine's failure, whatever it is
            return Response(f"{type(e).__name__}: {e}", status=400)
        if result.type == "ASK":
            body = {"head": {}, "boolean": bool(result.askAnswer)}
        else:
            variables = [str(v) for v in result.vars]
            rows = [
                {v: _term(row[i]) for i, v in enumerate(variables) if row[i] is not None}
                for row in islice(result, MAX_ROWS)
            ]
            body = {"head": {"vars": variables}, "results": {"bindings": rows}}
        return Response(json.dumps(body, ensure_ascii=False),
                        content_type="application/sparql-results+json")

    return app


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
    rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
    started = time.perf_counter()
    dataset = rdflib.Dataset(default_union=True)
    dataset.parse(str(dump), format="nquads")
    print(f"ready {time.perf_counter() - started:.1f}", flush=True)
    server = make_server("127.0.0.1", port, create_app(dataset), threaded=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
