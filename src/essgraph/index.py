"""Build-time indexes the named queries need at national scale.

`ess:searchKey`: for every name (`rdfs:label`, `foaf:name`, `dct:title`) of every entity a
source document states (an IRI with `prov:wasDerivedFrom` a `ess:SourceDocument`, other than
the document itself and its citations), the name normalised the way `queries/recherche-nom.rq`
normalises text: lower case, no accents, no elided article (d', l', qu'...), words separated
by one space. The query then looks the words up with a CONTAINS over these precomputed keys
instead of running its chain of thirteen REPLACE on every name of the graph (12 s at 1M
triples); it still checks each matching name with its own REPLACE chain, so the index only
decides which few names get checked, never what the answer is.

The keys go to `graph:inferences` with the other derived statements: they are not facts of
the sources, and the entity documents leave them out (`linkeddata.describe_query`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox

from . import vocab

SEARCH_KEY = ox.NamedNode(vocab.ESS + "searchKey")
_RDF_TYPE = ox.NamedNode(vocab.RDF + "type")
_DERIVED_FROM = ox.NamedNode(vocab.PROV + "wasDerivedFrom")
_SOURCE_DOCUMENT = ox.NamedNode(vocab.ESS + "SourceDocument")
_CITATION = ox.NamedNode(vocab.ESS + "Citation")
_NAMES = tuple(ox.NamedNode(iri) for iri in (
    vocab.RDFS + "label", vocab.FOAF + "name", vocab.DCT + "title"))

# The REPLACE chain of queries/recherche-nom.rq, in its order (SPARQL's `$1` is `\1` here).
_STEPS = (
    (re.compile("[àâäáãå]"), "a"),
    (re.compile("[éèêë]"), "e"),
    (re.compile("[îïíì]"), "i"),
    (re.compile("[ôöóòõ]"), "o"),
    (re.compile("[ùûüú]"), "u"),
    (re.compile("ç"), "c"),
    (re.compile("ÿ"), "y"),
    (re.compile("ñ"), "n"),
    (re.compile("œ"), "oe"),
    (re.compile("æ"), "ae"),
    (re.compile("(^|[^a-z0-9])(d|l|qu|j|s|n|m|c)['’ʼ]"), r"\1"),
    (re.compile("[^a-z0-9]+"), " "),
    (re.compile("^ +| +$"), ""),
)


@dataclass
class IndexStats:
    search_keys: int = 0


def search_key(text: str) -> str:
    """`text` normalised as recherche-nom normalises names and the text looked for."""
    key = text.lower()
    for pattern, replacement in _STEPS:
        key = pattern.sub(replacement, key)
    return key


def materialise_indexes(
    store: ox.Store, *, target_graph: str = vocab.GRAPH_INFERENCES
) -> IndexStats:
    """Add the search keys of the stated entities' names to `target_graph` (one write).

    Reads the union of all graphs, so it runs after `reason.materialise` (most `rdfs:label`
    are inferred from `skos:prefLabel` and `skos:altLabel`). Idempotent."""
    stats = IndexStats()
    target = ox.NamedNode(target_graph)
    keys: set[tuple[ox.NamedNode, str]] = set()
    for entity in _stated_entities(store):
        for predicate in _NAMES:
            for quad in store.quads_for_pattern(entity, predicate, None, None):
                name = quad.object
                if isinstance(name, (ox.Literal, ox.NamedNode)):
                    key = search_key(name.value)
                    if key:
                        keys.add((entity, key))
    store.extend([ox.Quad(entity, SEARCH_KEY, ox.Literal(key), target)
                  for entity, key in sorted(keys, key=lambda k: (k[0].value, k[1]))])
    stats.search_keys = len(keys)
    return stats


def _stated_entities(store: ox.Store) -> set[ox.NamedNode]:
    """The IRIs derived from a source document: what recherche-nom looks up."""
    documents = {q.subject for q in store.quads_for_pattern(None, _RDF_TYPE, _SOURCE_DOCUMENT)}
    citations = {q.subject for q in store.quads_for_pattern(None, _RDF_TYPE, _CITATION)}
    return {
        q.subject
        for document in documents
        for q in store.quads_for_pattern(None, _DERIVED_FROM, document)
        if isinstance(q.subject, ox.NamedNode)
        and q.subject != document
        and q.subject not in citations
    }
