"""The look-up by name (queries/recherche-nom.rq) answers from the build-time search keys
exactly what normalising every name in the query itself answered.

`index.search_key` must normalise like the query's REPLACE chain (the chain is read from the
query file and run by pyoxigraph on the same strings), and the named query must find, on the
knowledge graph of the seeds, the same (entity, matched name) pairs as the reference query
below, which normalises every name of every stated entity (the query as it was before the
index: 12 s at 1M triples).
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from essgraph import index, linkeddata, queries, vocab
from test_queries_answers import QUERIES, _named, _store, run

ROOT = Path(__file__).resolve().parents[1]

TRICKY = [
    "KaléidosCOOP", "Pôle d'Economie Solidaire 21", "PÔLE D’ÉCONOMIE", "  l'Œuvre  d’ART ",
    "Ça c'est l'été, qu'il dit", "Ÿvonne & Ñandú — ÆTHER", "Îles-de-Noël (ÎLE)", "c'est",
    "d'", "'", "l'l'l'x", "S'il  n’est  pas ʼlà", "Straße Øresund", "ÀÂÄÁÃÅ éèêë îïíì ôöóòõ ùûüú",
    "MAJUSCULES ÉTRANGES: Ì Í Ò Ó", "1er forum 2024 - Dijon/Quetigny", "", "   ", "Ωmega ŒUF",
]


def _chain_of_the_query() -> str:
    """The needle's normalising expression of recherche-nom.rq, over ?q."""
    text = (QUERIES / "recherche-nom.rq").read_text(encoding="utf-8")
    found = re.search(r"BIND\(COALESCE\((REPLACE\(.*\)), \"\"\) AS \?needle\)", text)
    assert found, "recherche-nom.rq no longer computes ?needle with COALESCE(REPLACE(...))"
    return found.group(1)


@pytest.mark.parametrize("text", TRICKY)
def test_the_python_key_is_the_query_normalisation(text: str) -> None:
    sparql = (f"SELECT ?n WHERE {{ VALUES ?q {{ {ox.Literal(text)} }} "
              f"BIND({_chain_of_the_query()} AS ?n) }}")
    [row] = list(ox.Store().query(sparql))
    assert index.search_key(text) == row["n"].value


REFERENCE = """
PREFIX ess: <https://w3id.org/essgraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT DISTINCT ?entity ?found WHERE {
  VALUES ?q { %(q)s }
  BIND(%(chain)s AS ?needle)
  FILTER(STRLEN(?needle) > 0)
  ?source a ess:SourceDocument .
  ?entity prov:wasDerivedFrom ?source .
  FILTER(isIRI(?entity) && ?entity != ?source)
  FILTER NOT EXISTS { ?entity a ess:Citation }
  ?entity rdfs:label|foaf:name|dct:title ?found .
  FILTER(CONTAINS(CONCAT(" ", %(found_chain)s), CONCAT(" ", ?needle)))
}"""


@pytest.mark.parametrize("q", [
    "pole economie solidaire", "PÔLE D’ÉCONOMIE", "kaleidoscoop", "ccom", "dijon", "l'ess",
    "economie sociale et solidaire", "de", "a", "cress", "ouche et montagne", "21", "  ",
])
def test_the_search_finds_what_normalising_every_name_finds(q: str) -> None:
    chain = _chain_of_the_query()
    reference = REFERENCE % {"q": ox.Literal(q), "chain": chain,
                             "found_chain": chain.replace("?q", "?found")}
    expected = {(entity.value, found.value) for entity, found in _store().query(reference).rows}
    rows = run("recherche-nom", q=q)
    got = {(r["entity"], name) for r in rows for name in (r["matchedNames"] or "").split(" ; ")
           if r["matchedNames"]}
    assert got == expected
    assert len(rows) == len({r["entity"] for r in rows})


def test_every_stated_entity_name_has_its_key() -> None:
    keys = {(r[0].value, r[1].value) for r in _store().query(
        f"SELECT ?e ?k WHERE {{ ?e <{index.SEARCH_KEY.value}> ?k }}").rows}
    kaleidos = vocab.ID + "organisation/kaleidoscoop"
    assert (kaleidos, "kaleidoscoop") in keys
    assert all(k and k == k.strip() and "  " not in k for _, k in keys)
    # only what the sources state is indexed, not the names of the territorial reference
    unstated = _store().query(f"""PREFIX prov: <{vocab.PROV}> PREFIX ess: <{vocab.ESS}>
        ASK {{ ?e ess:searchKey ?k
               FILTER NOT EXISTS {{ ?e prov:wasDerivedFrom ?d . ?d a ess:SourceDocument }} }}""")
    assert unstated.value is False
    assert not any(e == vocab.ID + "territoire/region/27" for e, _ in keys)


def test_search_keys_stay_off_the_entity_documents() -> None:
    store = _store()
    iri = vocab.ID + "organisation/kaleidoscoop"
    triples = store.query(linkeddata.describe_query(iri)).triples
    predicates = {t.predicate.value for t in triples}
    assert predicates, "the document of KaléidosCOOP is empty"
    assert index.SEARCH_KEY.value not in predicates


def test_the_named_query_parses() -> None:
    assert "q" in queries.load_named_query(QUERIES / "recherche-nom.rq").params
    assert "recherche-nom" in _named()
