"""Named queries: strict header parsing with file:line errors, typed binding, and values
that cannot change a query's structure whatever they contain."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from essgraph import queries, vocab
from essgraph.errors import NamedQueryError, ParameterError, UnknownQuery
from essgraph.store import AskResult, SelectResult
from essgraph.store.embedded import EmbeddedStore

QUERIES = Path(__file__).resolve().parent / "data" / "queries"

ESS, ID = vocab.ESS, vocab.ID
SKOS_PREF = vocab.SKOS + "prefLabel"


# --- header parsing ------------------------------------------------------------------------


def test_loads_every_query_of_the_folder() -> None:
    named = queries.load_named_queries(QUERIES)
    assert set(named) == {"organisations", "count-by-name", "typed", "territory-ask"}
    nq = named["organisations"]
    assert nq.title == "Organisations"
    assert nq.description == (
        "Every located organisation with its French name, optionally only those located in one "
        "territory."
    )
    territory = nq.params["territory"]
    assert (territory.type, territory.required) == ("iri", False)
    assert territory.example == "essid:territoire/commune/21231"
    assert territory.description == "a commune or EPCI"
    assert nq.sparql.startswith("PREFIX ess:")
    assert "#+" not in nq.sparql
    assert named["typed"].params["y"].default == "2024"


def _write(tmp_path: Path, text: str, name: str = "x.rq") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


BODY = "SELECT ?a WHERE { ?a ?p ?o }\n"


@pytest.mark.parametrize(
    ("header", "line", "words"),
    [
        ("#+ description: no title\n", 1, "title"),
        ("#+ title: T\n#+ description: D\n#+ summary: grlc key\n", 3, "unknown header key"),
        ("#+ title: T\n#+ description: D\n#+ params:\n#+   a: {type: uri}\n", 4, "type"),
        ("#+ title: T\n#+ description: D\n#+ params:\n#+   a:\n#+     type: iri\n"
         "#+     requird: true\n", 6, "requird"),
        ("#+ title: T\n#+ description: D\n#+ params:\n#+   a: {type: iri}\n"
         "#+   b: {type: string}\n", 5, "not used"),
        ("#+ title: T\n#+ description: D\n#+ params:\n#+   a: {type: iri, required: 'true'}\n",
         4, "required"),
        ("#+ title: T\n#+ description: D\n#+ params: [a\n", 3, "header"),
        ("#+ title: T\n#+ title: again\n#+ description: D\n", 2, "duplicate"),
        ("#+ title: T\n#+ description: D\n#+ params:\n#+   a: {type: integer}\n"
         "#+ defaults:\n#+   a: many\n", 6, "integer"),
        ("#+ title: T\n#+ description: D\n#+ defaults:\n#+   z: 1\n", 4, "unknown parameter"),
        ("#+ title: T\n#+ description: D\n#+ params:\n#+   a: {type: string, lang: fr}\n",
         4, "lang"),
    ],
)
def test_bad_headers_name_the_file_and_line(
    tmp_path: Path, header: str, line: int, words: str
) -> None:
    path = _write(tmp_path, header + BODY)
    with pytest.raises(NamedQueryError) as info:
        queries.load_named_query(path)
    assert info.value.where.endswith(f"x.rq:{line}"), info.value.where
    assert words in info.value.message


def test_a_file_without_header_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NamedQueryError) as info:
        queries.load_named_query(_write(tmp_path, BODY))
    assert info.value.where.endswith("x.rq:1")


def test_a_query_that_does_not_parse_is_refused_at_load(tmp_path: Path) -> None:
    path = _write(tmp_path, "#+ title: T\n#+ description: D\nSELECT ?a WHERE { ?a ?p }\n")
    with pytest.raises(NamedQueryError) as info:
        queries.load_named_query(path)
    assert info.value.where.endswith("x.rq:3")
    assert "line 1, column" in info.value.message


def test_one_bad_file_fails_the_folder(tmp_path: Path) -> None:
    _write(tmp_path, "#+ title: T\n#+ description: D\n" + BODY, "good.rq")
    _write(tmp_path, "#+ title: T\n" + BODY, "bad.rq")
    with pytest.raises(NamedQueryError) as info:
        queries.load_named_queries(tmp_path)
    assert info.value.where.endswith("bad.rq:1")


def test_find_by_name_or_path() -> None:
    assert queries.find_named_query("typed", QUERIES).name == "typed"
    assert queries.find_named_query(str(QUERIES / "typed.rq"), Path("/nowhere")).name == "typed"
    with pytest.raises(UnknownQuery) as info:
        queries.find_named_query("nope", QUERIES)
    assert info.value.where == "nope"


# --- binding -------------------------------------------------------------------------------


def _nq(name: str) -> queries.NamedQuery:
    return queries.load_named_queries(QUERIES)[name]


def test_values_become_typed_terms() -> None:
    terms = queries.bind(
        _nq("typed"),
        {"i": "+042", "d": "3.50", "day": "2024-02-29", "b": "TRUE", "s": 'a "b"'},
    )
    xsd = vocab.XSD
    assert terms["i"] == ox.Literal("42", datatype=ox.NamedNode(xsd + "integer"))
    assert terms["d"] == ox.Literal("3.50", datatype=ox.NamedNode(xsd + "decimal"))
    assert terms["day"] == ox.Literal("2024-02-29", datatype=ox.NamedNode(xsd + "date"))
    assert terms["b"] == ox.Literal("true", datatype=ox.NamedNode(xsd + "boolean"))
    assert terms["s"] == ox.Literal('a "b"')
    # the default applies when no value is given
    assert terms["y"] == ox.Literal("2024", datatype=ox.NamedNode(xsd + "gYear"))


def test_lang_and_prefixed_iris() -> None:
    assert queries.bind(_nq("count-by-name"), {"name": "Réseau"})["name"] == ox.Literal(
        "Réseau", language="fr"
    )
    iri = queries.bind(_nq("organisations"), {"territory": "essid:territoire/commune/21231"})
    assert iri["territory"] == ox.NamedNode(ID + "territoire/commune/21231")
    assert queries.bind(_nq("organisations"), {}) == {}


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        ({}, "i"),  # required
        ({"i": "4.5"}, "i"),
        ({"i": "1", "d": "1,5"}, "d"),
        ({"i": "1", "day": "2024-13-01"}, "day"),
        ({"i": "1", "day": "2024-1-1"}, "day"),
        ({"i": "1", "y": "24"}, "y"),
        ({"i": "1", "b": "yes"}, "b"),
        ({"i": "1", "zz": "1"}, "zz"),  # unknown parameter
    ],
)
def test_bad_values_name_the_parameter(raw: dict[str, str], where: str) -> None:
    with pytest.raises(ParameterError) as info:
        queries.bind(_nq("typed"), raw)
    assert info.value.where == where
    assert info.value.code == "BAD_PARAMETER"


@pytest.mark.parametrize(
    "value",
    [
        "http://example.org/a> } ; DROP ALL ; #",
        "http://example.org/a }",
        'http://example.org/"a"',
        "http://example.org/a b",
        "http://example.org/a\n} SELECT",
        "not-an-iri",
        "<http://example.org/a>> { ?s ?p ?o }",
    ],
)
def test_hostile_iris_are_refused(value: str) -> None:
    with pytest.raises(ParameterError) as info:
        queries.bind(_nq("organisations"), {"territory": value})
    assert info.value.where == "territory"


# --- running on a store --------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    """A two-organisation database written directly with pyoxigraph, opened read-only."""
    path = tmp_path / "db"
    g = ox.NamedNode(vocab.GRAPH_SOURCE + "001")
    db = ox.Store(str(path))
    for slug, name, where in [
        ("la-recyclerie", "La Recyclerie", "territoire/epci/242100410"),
        ("pole", "Pôle ESS", "territoire/commune/21231"),
    ]:
        org = ox.NamedNode(ID + "organisation/" + slug)
        a = ox.NamedNode(vocab.RDF + "type")
        db.add(ox.Quad(org, a, ox.NamedNode(ESS + "Organisation"), g))
        db.add(ox.Quad(org, ox.NamedNode(SKOS_PREF), ox.Literal(name, language="fr"), g))
        db.add(ox.Quad(org, ox.NamedNode(ESS + "locatedIn"), ox.NamedNode(ID + where), g))
    db.flush()
    del db
    with EmbeddedStore(path) as opened:
        yield opened


def test_projected_parameter_goes_through_substitutions(store: EmbeddedStore) -> None:
    dijon = {"territory": "essid:territoire/commune/21231"}
    result = queries.run(store, _nq("organisations"), dijon)
    assert isinstance(result, SelectResult)
    assert [row[1].value for row in result.rows] == ["Pôle ESS"]
    everything = queries.run(store, _nq("organisations"), {})
    assert [row[1].value for row in everything.rows] == ["La Recyclerie", "Pôle ESS"]


def test_unprojected_parameter_goes_through_values(store: EmbeddedStore) -> None:
    result = queries.run(store, _nq("count-by-name"), {"name": "La Recyclerie"})
    assert isinstance(result, SelectResult)
    assert result.rows[0][0].value == "1"


def test_ask_query_binds_too(store: EmbeddedStore) -> None:
    nq = _nq("territory-ask")
    dijon, paris = "essid:territoire/commune/21231", "essid:territoire/commune/75056"
    assert queries.run(store, nq, {"territory": dijon}) == AskResult(True)
    assert queries.run(store, nq, {"territory": paris}) == AskResult(False)


INJECTIONS = [
    'La Recyclerie"@fr } UNION { ?org ?p ?name } #',
    "La Recyclerie'@fr . ?org ?p ?o } #",
    'x" ) } SELECT * WHERE { ?s ?p ?o } #',
    "La Recyclerie\n} UNION { ?org a ?name }",
    "# La Recyclerie",
    '"""',
    "\\",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_injected_text_is_an_inert_literal(store: EmbeddedStore, value: str) -> None:
    nq = _nq("count-by-name")
    sparql = queries.inject_values(nq.sparql, queries.bind(nq, {"name": value}))
    # the value sits in the query as one escaped literal, nothing else was added
    assert sparql.replace(str(ox.Literal(value, language="fr")), "", 1).count("VALUES") == 1
    result = queries.run(store, nq, {"name": value})
    assert isinstance(result, SelectResult)
    assert result.variables == ["n"]
    assert result.rows[0][0].value == "0"  # no organisation has that name


@pytest.mark.parametrize("value", INJECTIONS)
def test_injected_text_through_substitutions(store: EmbeddedStore, value: str) -> None:
    nq = _nq("typed")
    result = queries.run(store, nq, {"i": "1", "s": value})
    assert isinstance(result, SelectResult)
    assert result.variables == ["i", "d", "day", "y", "b", "s"]
    assert len(result.rows) == 1
    assert result.rows[0][5] == ox.Literal(value)


def test_values_go_in_the_outermost_where_group() -> None:
    sparql = (
        'PREFIX ex: <http://example.org/WHERE#x>\n'
        'CONSTRUCT { ?s ex:p "WHERE {" } # WHERE {\n'
        "WHERE { ?s ?p ?o { SELECT ?s WHERE { ?s ?q ?r } } }"
    )
    term = ox.NamedNode("http://example.org/x")
    out = queries.inject_values(sparql, {"s": term})
    assert out.index("VALUES (?s)") == sparql.index("WHERE { ?s ?p ?o") + len("WHERE {") + 1
    assert "<http://example.org/x>" in out


def test_a_query_file_without_header_runs_as_an_ad_hoc_query(tmp_path) -> None:
    from essgraph.errors import QueryError
    from essgraph.queries import find_named_query

    plain = tmp_path / "count.rq"
    plain.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }\n", encoding="utf-8")
    nq = find_named_query(str(plain), tmp_path / "elsewhere")
    assert (nq.name, nq.params) == ("count", {})
    broken = tmp_path / "broken.rq"
    broken.write_text("SELECT ?s WHERE { ?s ?p }\n", encoding="utf-8")
    with pytest.raises(QueryError) as caught:
        find_named_query(str(broken), tmp_path)
    assert caught.value.where.startswith(str(broken)) or "broken.rq" in caught.value.where
