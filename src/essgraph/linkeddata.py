"""Linked Data documents of the knowledge graph, without Flask: what an entity's document
holds, its canonical forms, its JSON-LD (context, frames, framing with no network access).

What an entity's document is (the description served at /id/..., /concept/...):

1. its own triples, from every graph, except three kinds of derived triples: `rdfs:label`
   (the reasoner copies every `skos:prefLabel`/`altLabel` into it), `ess:contains` (the
   inverse of `ess:within`: a région contains thousands of communes) and `ess:searchKey`
   (the build's normalised names for the look-up by name, `index.py`). Everything else the
   reasoner materialised stays: the whole class closure of its types (`ess:Association` is
   also `ess:Organisation`, `ess:Actor`, `org:Organization`, `schema:Organization`,
   `prov:Agent`), the schema.org and Dublin Core super-properties (`schema:location`,
   `dct:subject`, `dct:spatial`), the inverses (`org:memberOf`, `dct:hasPart`) and the
   transitive `ess:within`. So a schema.org consumer finds schema: terms in the data itself,
   and a territory's document lists everything it lies within;
2. the `skos:prefLabel` and asserted `rdf:type` of every IRI it links to (and `dct:title`,
   for source documents);
3. its citations (`ess:citation` nodes) whole: section, quote, document;
4. for actors and bodies, what points at them and a reader expects on their page: the
   partnerships they are a party of (type, label, nature, parties with their labels) and the
   events they organise, co-organise or present at (type, label, start date).

No blank nodes: triples whose object is a blank node are left out (only the data cube's
structure definition has any; it is in the ontology download). Triples are sorted by their
N-Triples form, so the same data gives byte-identical documents in every build.

JSON-LD: N-Triples -> expanded JSON-LD (pyld `from_rdf`, no native types: every literal keeps
its lexical form and datatype) -> pyld `frame` with the frame of the entity's kind, matched on
the entity's IRI, compacted with the context v1. pyld is always given `frozen_loader`, which
serves our context and frames from `context/` on disk and refuses every other URL, so nothing
is ever fetched from the network.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
from pyld import jsonld

from . import vocab
from .errors import UnsafeInput

CONTEXT_DIR = Path(__file__).resolve().parents[2] / "context"
CONTEXT_VERSION = "v1"
PUBLIC_BASE = "https://w3id.org/essgraph/"

RDF_TYPE = vocab.RDF + "type"
LABEL = vocab.SKOS + "prefLabel"


@dataclass(frozen=True)
class Kind:
    """A type of entity: its collection, its frame, how to recognise it."""

    name: str  # frame name: context/frames/{name}.jsonld
    collection: str  # /actors ...
    cls: str  # the ess: class every member has (after reasoning)
    title_fr: str
    title_en: str


KINDS: tuple[Kind, ...] = (  # actors and bodies first: their frames embed what points at them
    Kind("actor", "actors", vocab.ESS + "Actor", "Acteurs", "Actors"),
    Kind("body", "bodies", vocab.ESS + "GovernanceBody", "Instances", "Governance bodies"),
    Kind("territory", "territories", vocab.ESS + "Territory", "Territoires", "Territories"),
    Kind("policy", "policies", vocab.ESS + "PolicyInstrument", "Politiques et dispositifs",
         "Policies and schemes"),
    Kind("event", "events", vocab.ESS + "Event", "Événements", "Events"),
    Kind("partnership", "partnerships", vocab.ESS + "Partnership", "Partenariats",
         "Partnerships"),
    Kind("indicator", "indicators", vocab.ESS + "Indicator", "Indicateurs", "Indicators"),
    Kind("source", "sources", vocab.ESS + "SourceDocument", "Documents sources",
         "Source documents"),
)
KIND_BY_NAME = {k.name: k for k in KINDS}
KIND_BY_COLLECTION = {k.collection: k for k in KINDS}
GENERIC_FRAME = "resource"
FRAMES = tuple(k.name for k in KINDS) + (GENERIC_FRAME,)

# What points at an actor or a body and is part of its document (and of its frame).
INCOMING_PARTNERSHIP = vocab.ESS + "party"
INCOMING_EVENT = (vocab.SCHEMA + "organizer", vocab.ESS + "eventPartner",
                  vocab.ESS + "presenter")


# --- which resources are served --------------------------------------------------------


def public_iri(path: str, public_base: str = PUBLIC_BASE) -> str | None:
    """The public IRI for a local path (/id/..., /concept/..., /ontology), or None."""
    path = path.lstrip("/")
    if path.startswith(("id/", "concept/")) and len(path.split("/", 1)[1]) > 0:
        return public_base + path
    if path == "ontology":
        return public_base + "ontology"
    return None


def local_path(iri: str, public_base: str = PUBLIC_BASE) -> str | None:
    """The local path (/id/...) serving a public IRI, or None for IRIs served elsewhere.

    Ontology terms map to the anchor of the documentation page: /ontology#Term.
    """
    if iri.startswith(public_base):
        rest = iri[len(public_base):]
        if rest.startswith(("id/", "concept/")):
            return "/" + rest
        if rest == "ontology" or rest.startswith("ontology#"):
            return "/" + rest
    return None


def iri_term(iri: str) -> str:
    """`<iri>` as SPARQL text, written by the RDF library (raises ValueError when invalid)."""
    if any(c in iri for c in "<>\"{}|^`\\ \n\r\t"):
        raise ValueError(f"not an IRI: {iri!r}")
    return str(ox.NamedNode(iri))


# --- the queries (run through the web layer's query pool) ------------------------------

_P = vocab.sparql_prologue()


def describe_query(iri: str) -> str:
    """CONSTRUCT the document of `iri` (see the module docstring)."""
    e = iri_term(iri)
    own = f"""
      {{ GRAPH ?g {{ ?e ?p ?o }}
        FILTER(!isBLANK(?o))
        FILTER(?p NOT IN (ess:contains, ess:searchKey))
        FILTER(!(?g = <{vocab.GRAPH_INFERENCES}> && ?p = rdfs:label))
        BIND(?e AS ?s) }}"""
    linked = f"""
      UNION {{ ?e ?lp ?s . FILTER(isIRI(?s) && ?lp NOT IN (rdf:type, ess:citation, ess:contains))
        GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{vocab.GRAPH_INFERENCES}>)
        FILTER(?p IN (skos:prefLabel, rdf:type, dct:title)) }}
      UNION {{ ?e ess:citation ?s . GRAPH ?g {{ ?s ?p ?o }}
        FILTER(?g != <{vocab.GRAPH_INFERENCES}>) FILTER(!isBLANK(?o)) }}"""
    events = ", ".join(f"<{p}>" for p in INCOMING_EVENT)
    back = f"""
      UNION {{ ?e a ?k . FILTER(?k IN (ess:Actor, ess:GovernanceBody))
        ?s ess:party ?e . GRAPH ?g {{ ?s ?p ?o }}
        FILTER(?g != <{vocab.GRAPH_INFERENCES}>)
        FILTER(?p IN (rdf:type, skos:prefLabel, ess:party, ess:nature)) }}
      UNION {{ ?e a ?k . FILTER(?k IN (ess:Actor, ess:GovernanceBody))
        ?pt ess:party ?e . ?pt ess:party ?s . FILTER(?s != ?e)
        GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{vocab.GRAPH_INFERENCES}>)
        FILTER(?p = skos:prefLabel) }}
      UNION {{ ?e a ?k . FILTER(?k IN (ess:Actor, ess:GovernanceBody))
        ?s ?ep ?e . FILTER(?ep IN ({events}))
        GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{vocab.GRAPH_INFERENCES}>)
        FILTER(?p IN (rdf:type, skos:prefLabel, schema:startDate)
               || (?p = ?ep && ?o = ?e)) }}"""
    return f"{_P}CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?e {{ {e} }} {own}{linked}{back} }}"


def types_query(iri: str) -> str:
    """SELECT the types of `iri` (every graph): tells whether it exists and its kind."""
    return f"{_P}SELECT DISTINCT ?type WHERE {{ VALUES ?e {{ {iri_term(iri)} }} ?e a ?type }}"


def exists_query(iri: str) -> str:
    """SELECT one triple about `iri`, as subject, or as object for IRIs that are only
    pointed at (a territory of the reference has triples of its own anyway)."""
    return f"{_P}SELECT ?p WHERE {{ VALUES ?e {{ {iri_term(iri)} }} ?e ?p ?o }} LIMIT 1"


def incoming_query(iri: str, after: tuple[str, str] | None, limit: int) -> str:
    """SELECT what points at `iri` (asserted links only, with labels), in keyset order
    (predicate, subject), `limit` rows from after (predicate, subject)."""
    start = ""
    if after is not None:
        p, s = (iri_term(x) for x in after)
        start = f"FILTER(STR(?p) > STR({p}) || (?p = {p} && STR(?s) > STR({s})))"
    return f"""{_P}SELECT ?p ?s (SAMPLE(?l) AS ?label) WHERE {{
  VALUES ?e {{ {iri_term(iri)} }}
  GRAPH ?g {{ ?s ?p ?e }} FILTER(?g != <{vocab.GRAPH_INFERENCES}>) FILTER(isIRI(?s))
  FILTER(?p != ess:inDocument)
  {start}
  OPTIONAL {{ ?s skos:prefLabel ?l }}
}} GROUP BY ?p ?s ORDER BY STR(?p) STR(?s) LIMIT {int(limit)}"""


def ontology_query() -> str:
    """CONSTRUCT the ontology: the ontology graph's triples about the ontology and its
    terms (the concept schemes are served at /concept/...)."""
    return f"""{_P}CONSTRUCT {{ ?s ?p ?o }} WHERE {{
  GRAPH <{vocab.GRAPH_ONTOLOGY}> {{ ?s ?p ?o }}
  FILTER(?s = <{vocab.ONTOLOGY_IRI}> || STRSTARTS(STR(?s), "{vocab.ESS}"))
  FILTER(!isBLANK(?o))
}}"""


# --- canonical forms -------------------------------------------------------------------


def parse_nt(body: bytes) -> list[ox.Triple]:
    """N-Triples as triples (pyoxigraph's parser yields quads in the default graph)."""
    return [q.triple if isinstance(q, ox.Quad) else q
            for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]


def canonical(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """Deduplicated, sorted by N-Triples line: the same data gives the same document."""
    return sorted(set(triples), key=str)


def nt_bytes(triples: list[ox.Triple]) -> bytes:
    return "".join(f"{t} .\n" for t in triples).encode()


def etag(triples: list[ox.Triple], media_type: str, *extra: str) -> str:
    h = hashlib.sha256(nt_bytes(triples))
    for part in (media_type, *extra):
        h.update(b"\0" + part.encode())
    return h.hexdigest()[:32]


def has_blank_nodes(triples: Iterable[ox.Triple]) -> bool:
    return any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)
               for t in triples)


def serialise(triples: list[ox.Triple], fmt: ox.RdfFormat) -> bytes:
    prefixes = dict(vocab.PREFIXES) if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) \
        else None
    if fmt == ox.RdfFormat.N_TRIPLES:
        return nt_bytes(triples)
    return ox.serialize(triples, format=fmt, prefixes=prefixes)


def kind_of(types: Iterable[str]) -> Kind | None:
    """The kind of an entity from its types (the first of KINDS that matches)."""
    types = set(types)
    for kind in KINDS:
        if kind.cls in types:
            return kind
    return None


# --- JSON-LD ---------------------------------------------------------------------------


def context_url(public_base: str = PUBLIC_BASE) -> str:
    return f"{public_base}context/{CONTEXT_VERSION}.jsonld"


def frame_url(name: str, public_base: str = PUBLIC_BASE) -> str:
    return f"{public_base}context/frames/{name}.jsonld"


@cache
def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def context_document(context_dir: Path = CONTEXT_DIR) -> dict:
    """The context file's content ({"@context": {...}}), as published."""
    return _read_json(context_dir / f"{CONTEXT_VERSION}.jsonld")


def frame_document(name: str, context_dir: Path = CONTEXT_DIR) -> dict:
    if name not in FRAMES:
        raise KeyError(name)
    return _read_json(context_dir / "frames" / f"{name}.jsonld")


def frozen_loader(
    bases: Iterable[str] = (PUBLIC_BASE,), context_dir: Path = CONTEXT_DIR
) -> Callable[[str, dict], dict]:
    """A pyld document loader that answers our context and frames from disk, under any of
    `bases` (the public base, the server's own URL), and refuses every other URL."""
    bases = tuple(bases)

    def load(url: str, options: dict | None = None) -> dict:
        for base in bases:
            if not url.startswith(base + "context/"):
                continue
            rest = url[len(base) + len("context/"):]
            path = (context_dir / rest).resolve()
            if path.is_relative_to(context_dir.resolve()) and path.suffix == ".jsonld" \
                    and path.is_file():
                return {"contextUrl": None, "documentUrl": url,
                        "document": copy.deepcopy(_read_json(path))}
        raise UnsafeInput(f"JSON-LD documents may only use essgraph's own context and "
                          f"frames; refusing to load {url}", where=urlsplit(url).netloc or url)

    return load


def expanded(triples: list[ox.Triple]) -> list:
    """The triples as expanded JSON-LD, literals as written (no native JSON types)."""
    return jsonld.from_rdf(
        nt_bytes(triples).decode(),
        {"format": "application/n-quads", "useNativeTypes": False, "rdfDirection": None},
    )


def framed(triples: list[ox.Triple], iri: str, frame_name: str,
           loader: Callable[[str, dict], dict], public_base: str = PUBLIC_BASE) -> dict:
    """The entity's JSON-LD: framed with `frame_name`, rooted at `iri`, compacted with the
    context v1 (referenced by its URL: see `inline_context`)."""
    frame = copy.deepcopy(frame_document(frame_name))
    frame["@context"] = context_url(public_base)
    frame["@id"] = iri
    out = jsonld.frame(expanded(triples), frame,
                       {"documentLoader": loader, "omitGraph": True, "embed": "@once",
                        "omitDefault": True})
    return _context_first(out)


def inline_context(document: dict, context_dir: Path = CONTEXT_DIR) -> dict:
    """The same document with the context's content in place of its URL, for consumers
    that should not fetch anything (the HTML pages embed this form)."""
    out = {"@context": context_document(context_dir)["@context"]}
    out.update({k: v for k, v in document.items() if k != "@context"})
    return out


def to_rdf(document: dict, loader: Callable[[str, dict], dict]) -> list[ox.Triple]:
    """JSON-LD back to triples with pyld (the frozen loader resolves the context)."""
    try:
        nquads = jsonld.to_rdf(document,
                               {"format": "application/n-quads", "documentLoader": loader})
    except jsonld.JsonLdError as e:
        refusal = _refusal(e)
        if refusal is not None:
            raise refusal from e
        raise
    return [q.triple for q in ox.parse(nquads.encode(), format=ox.RdfFormat.N_QUADS)]


def _refusal(error: BaseException) -> UnsafeInput | None:
    """The loader's refusal inside pyld's wrapped errors, to report it as itself."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, UnsafeInput):
            return error
        error = getattr(error, "cause", None) or error.__cause__ or error.__context__
    return None


def _context_first(document: dict) -> dict:
    out = {"@context": document["@context"]} if "@context" in document else {}
    out.update({k: v for k, v in document.items() if k != "@context"})
    return out


def compact_collection(graph_triples: list[ox.Triple], loader: Callable[[str, dict], dict],
                       public_base: str = PUBLIC_BASE) -> dict:
    """A collection page (Hydra) as compact JSON-LD with the context inline."""
    ctx = context_document()["@context"]
    doc = jsonld.compact(expanded(graph_triples), {"@context": ctx},
                         {"documentLoader": loader})
    return inline_context(doc)
