"""guard: what a user's SPARQL may do. Each refused vector, and what still passes."""

from __future__ import annotations

import time

import pytest

from essgraph.errors import QueryError, QueryRejected, UpdateForbidden
from essgraph.guard import check_dataset, check_query, query_kind

SERVICE_VECTORS = {
    "plain": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "nested": (
        "SELECT * WHERE { ?a ?b ?c OPTIONAL { { SELECT ?s WHERE { FILTER EXISTS {\n"
        "  SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } } } } }"
    ),
    "silent": "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "variable endpoint": (
        "SELECT * WHERE { VALUES ?e { <http://127.0.0.1:9/> } SERVICE ?e { ?s ?p ?o } }"
    ),
    "lower case": "select * where { service <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "escaped keyword": "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "in construct": "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <http://x/> { ?s ?p ?o } }",
    "in ask": "ASK { SERVICE <http://x/> { ?s ?p ?o } }",
    "in describe": "DESCRIBE ?s WHERE { SERVICE <http://x/> { ?s ?p ?o } }",
}


@pytest.mark.parametrize("query", SERVICE_VECTORS.values(), ids=SERVICE_VECTORS.keys())
def test_service_is_rejected_wherever_it_hides(query):
    with pytest.raises(QueryRejected) as e:
        check_query(query)
    assert e.value.code == "QUERY_REJECTED" and e.value.status == 400
    assert "SERVICE" in e.value.message
    assert e.value.where.startswith("line ")


def test_service_position_is_the_keyword():
    with pytest.raises(QueryRejected) as e:
        check_query(SERVICE_VECTORS["nested"])
    assert e.value.where == "line 2, column 3"


UPDATES = {
    "insert data": "INSERT DATA { <http://a> <http://b> <http://c> }",
    "delete where": "PREFIX ex: <http://x/>\nDELETE WHERE { ?s ex:p ?o }",
    "load": "LOAD <http://127.0.0.1:9/data.ttl>",
    "load silent into": "LOAD SILENT <http://127.0.0.1:9/d.ttl> INTO GRAPH <http://g>",
    "clear": "CLEAR ALL",
    "create": "CREATE GRAPH <http://g>",
    "drop": "DROP GRAPH <http://g>",
    "copy": "COPY DEFAULT TO <http://g>",
    "move": "MOVE <http://g> TO DEFAULT",
    "add": "ADD <http://g> TO <http://h>",
    "with": "WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "sequence": "INSERT DATA { <http://a> <http://b> 1 } ; DROP ALL",
    "malformed update": "DELETE DATA { <http://a> <http://b> }",
}


@pytest.mark.parametrize("update", UPDATES.values(), ids=UPDATES.keys())
def test_an_update_sent_as_a_query_is_forbidden(update):
    with pytest.raises(UpdateForbidden) as e:
        check_query(update)
    assert (e.value.code, e.value.status) == ("UPDATE_FORBIDDEN", 403)
    with pytest.raises(UpdateForbidden):
        query_kind(update)


MALFORMED = {
    # (query, where): the position pyoxigraph reports, at the failing token
    "unclosed filter": ("SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER( }", "line 3, column 12"),
    "missing object": ("SELECT * WHERE {\n ?s ?p \n ?o ?x }", "line 3, column 9"),
    "bad limit": ("SELECT * WHERE { ?s ?p ?o } LIMIT x", "line 1, column 35"),
    "undeclared prefix": ("PREFIX a: <http://x/>\nSELECT * { ?s b:p ?o }", "line 2, column 15"),
    "unclosed group": ("CONSTRUCT WHERE {\n  ?s ?p ?o ", "line 2, column 12"),
    # no query form: rdflib's position (the start) is the useful one
    "misspelt keyword": ("SELCT * WHERE { ?s ?p ?o }", "line 1, column 1"),
}


@pytest.mark.parametrize("query, where", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_query_reports_line_and_column(query, where):
    with pytest.raises(QueryError) as e:
        check_query(query)
    assert (e.value.code, e.value.status) == ("QUERY_SYNTAX", 400)
    assert e.value.where == where
    assert e.value.message.startswith("the query does not parse")


def test_malformed_ask_keeps_rdflib_position():
    # ASK is never handed to pyoxigraph for diagnosis (it would evaluate at once).
    with pytest.raises(QueryError) as e:
        check_query("ASK {\n  ?s ?p ?o .\n  FILTER( }")
    assert e.value.where == "line 3, column 3"


ALLOWED = {
    "select": ("SELECT ?s WHERE { ?s ?p 'service' }", "select"),
    "service as a name": (
        "PREFIX service: <http://x/> SELECT ?service WHERE { ?service service:p 'x'@service }",
        "select",
    ),
    "service in an IRI and comment": (
        "# SERVICE <http://x/>\nSELECT * WHERE { <http://x/SERVICE> ?p ?o }",
        "select",
    ),
    "ask": ("ASK { ?s ?p ?o }", "ask"),
    "construct": ("CONSTRUCT { <s> <p> 1 } WHERE {}", "construct"),
    "describe": ("DESCRIBE <http://x/a>", "describe"),
    "prologue first": ("BASE <http://x/>\nPREFIX a: <http://a/>\nASK { ?s a:p ?o }", "ask"),
}


@pytest.mark.parametrize("query, kind", ALLOWED.values(), ids=ALLOWED.keys())
def test_read_queries_pass(query, kind):
    assert check_query(query).kind == kind
    assert query_kind(query) == kind


def test_dataset_clauses_are_resolved():
    parsed = check_query(
        "PREFIX g: <https://w3id.org/essgraph/graph/>\n"
        "SELECT * FROM g:ontologie FROM NAMED <source/000> WHERE { ?s ?p ?o }",
        base_iri="https://w3id.org/essgraph/graph/",
    )
    assert parsed.from_graphs == ("https://w3id.org/essgraph/graph/ontologie",)
    assert parsed.from_named == ("https://w3id.org/essgraph/graph/source/000",)
    assert parsed.names_dataset


def test_check_dataset_refuses_unknown_graphs():
    check_dataset(["http://g/1"], {"http://g/1"}, where="FROM")
    with pytest.raises(QueryRejected) as e:
        check_dataset(["http://127.0.0.1:9/x"], {"http://g/1"}, where="FROM")
    assert e.value.where == "FROM <http://127.0.0.1:9/x>"


def test_check_is_cheap_enough_on_a_5kb_query():
    body = "\n".join(
        f"  ?s{i} <http://example.org/p{i}> ?o{i} . OPTIONAL {{ ?o{i} "
        f"<http://www.w3.org/2000/01/rdf-schema#label> ?l{i} FILTER(lang(?l{i}) = 'fr') }}"
        for i in range(40)
    )
    query = "SELECT * WHERE {\n" + body + "\n} LIMIT 10"
    assert len(query) > 5000
    check_query(query)  # warm
    started = time.perf_counter()
    check_query(query)
    elapsed = time.perf_counter() - started
    started = time.perf_counter()
    assert query_kind(query) == "select"
    lexical = time.perf_counter() - started
    # Measured: about 0.2 s for the rdflib parse, under 5 ms for the lexical look.
    assert elapsed < 2.0
    assert lexical < 0.05


def test_an_accepted_query_is_parsed_once_and_a_refused_one_every_time() -> None:
    from essgraph.errors import QueryRejected
    from essgraph.guard import check_query

    text = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 3 # cache probe"
    assert check_query(text) is check_query(text)  # remembered, not parsed again
    service = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } # cache probe"
    for _ in range(2):
        with pytest.raises(QueryRejected):
            check_query(service)
