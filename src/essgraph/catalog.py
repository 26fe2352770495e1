"""The DCAT catalog of essgraph (DCAT-AP 3.0.1), for data.gouv.fr, CKAN and data.europa.eu.

One catalog, one dataset (the whole graph) with one distribution per dump, and the SPARQL
endpoint as a data service serving that dataset. It is made from a build's manifest
(`dumps.publish`: sizes and checksums of the dumps, coverage counted from the data) and the
base URL the service answers at, so no query runs when a harvester asks for it.

Identity. The catalog, the dataset, the data service, the distributions and the publisher
are named in essgraph's namespace (`https://w3id.org/essgraph/id/...`), so every copy of the
service describes the same dataset; `dct:identifier` is that IRI (stable, unique, what
udata keys a harvested dataset on). Only the URLs (homepage, download and endpoint URLs)
depend on the deployment's `base_url`.

- publisher: `essid:organisation/essgraph`, a `foaf:Organization` named "essgraph": the
  project publishes the graph, not the organisations the sources come from (those are
  in the data, as the `dct:publisher` of each source document).
- licence: Licence Ouverte / Etalab 2.0 as <https://www.etalab.gouv.fr/licence-ouverte-open-licence>,
  the `url` of data.gouv.fr's licence "lov2" (udata's `License.guess_one` matches it
  exactly; CKAN's registry has no Etalab licence). The licence node has no `rdfs:label`:
  udata would match on the label text instead of the IRI. It is on the catalog, the
  dataset, the data service and every distribution (ckanext-dcat reads it from the
  distributions).
- themes: EU data themes ECON, SOCI, REGI and GOVE (the ESS is an economic and social
  subject; the sources are local authorities' and networks' policies).
- spatial: France (EU country authority FRA) with `dcat:bbox` the bounding box of
  metropolitan France with Corsica (BBOX_METROPOLITAN_FRANCE, WGS 84 longitude/latitude,
  rounded outwards to 0.1°: 5.2° W to 9.6° E, 41.3° N to 51.1° N) — the territorial
  reference has no coordinates, and every source is in metropolitan France; then each
  territory a source document covers (`dct:spatial` of the sources), with its name.
- temporal: from the first to the last year named by a source document's `dct:date`,
  `dct:issued` or `dct:temporal`, as `xsd:gYear` (as precise as the sources are).
- the vocabulary terms the catalog points at are typed in it (`dct:LicenseDocument`,
  `dct:MediaType`, `dct:MediaTypeOrExtent`, `skos:Concept` with `skos:prefLabel`,
  `dct:Location`, `dct:Standard`, ...), as DCAT-AP's range shapes require.

Paging: one dataset fits one page, so there is no hydra:PartialCollectionView; a catalog
that grows past PAGE_SIZE datasets would need Hydra paging (udata and ckanext-dcat follow
`hydra:next`), which this module would then add.

No Flask here: the web layer (web/catalog.py) serialises `catalog_graph(...)`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from . import vocab, void
from .dumps import dump_files

ESSID = vocab.ID
CATALOG_IRI = ESSID + "catalogue/essgraph"
DATASET_IRI = ESSID + "jeu-de-donnees/essgraph"
SERVICE_IRI = ESSID + "service/sparql"
PUBLISHER_IRI = ESSID + "organisation/essgraph"
DISTRIBUTION_IRI = DATASET_IRI + "/distribution/"
LICENCE_IRI = "https://www.etalab.gouv.fr/licence-ouverte-open-licence"
PAGE_SIZE = 100

EU = "http://publications.europa.eu/resource/authority/"
DATA_THEME = EU + "data-theme"
FRANCE = EU + "country/FRA"
FRENCH = EU + "language/FRA"
ENGLISH = EU + "language/ENG"
IRREGULAR = EU + "frequency/IRREG"
AVAILABLE = EU + "planned-availability/AVAILABLE"
SPARQL_PROTOCOL = "https://www.w3.org/TR/sparql11-protocol/"
# Metropolitan France with Corsica, longitude/latitude (WGS 84), rounded outwards.
BBOX_METROPOLITAN_FRANCE = "POLYGON((-5.2 41.3, 9.6 41.3, 9.6 51.1, -5.2 51.1, -5.2 41.3))"

SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
DCATAP = Namespace("http://data.europa.eu/r5r/")

THEMES = {  # EU data theme code -> official labels (fr, en)
    "ECON": ("Économie et finances", "Economy and finance"),
    "SOCI": ("Population et société", "Population and society"),
    "REGI": ("Régions et villes", "Regions and cities"),
    "GOVE": ("Gouvernement et secteur public", "Government and public sector"),
}
KEYWORDS = (
    "économie sociale et solidaire", "ESS", "politiques publiques", "collectivités",
    "associations", "coopératives", "innovation sociale", "territoires",
    "données liées", "graphe de connaissances",
)
MAX_THEME_KEYWORDS = 15

CONTEXT: dict[str, str] = {  # inline JSON-LD context: prefixes only, nothing remote
    "dcat": str(DCAT), "dct": str(DCTERMS), "foaf": str(FOAF), "skos": str(SKOS),
    "spdx": str(SPDX), "vcard": str(VCARD), "xsd": str(XSD), "gsp": str(GSP),
    "rdfs": vocab.RDFS, "dcatap": str(DCATAP), "essid": ESSID,
}
PREFIXES = {**CONTEXT, "hydra": str(HYDRA)}

# name -> (media type, rdflib format)
FORMATS: dict[str, tuple[str, str]] = {
    "ttl": ("text/turtle", "turtle"),
    "rdf": ("application/rdf+xml", "xml"),
    "jsonld": ("application/ld+json", "json-ld"),
}


# --- coverage, counted at build time -----------------------------------------------------

_PROLOGUE = vocab.sparql_prologue()
_SOURCE_DATES = _PROLOGUE + """SELECT ?d WHERE {
  ?s a ess:SourceDocument . ?s dct:date|dct:issued|dct:temporal ?d FILTER(isLiteral(?d)) }"""
_SOURCE_PLACES = _PROLOGUE + """SELECT ?t (SAMPLE(?l) AS ?label) WHERE {
  ?s a ess:SourceDocument ; dct:spatial ?t FILTER(isIRI(?t))
  OPTIONAL { ?t skos:prefLabel ?l FILTER(lang(?l) = "fr" || lang(?l) = "") }
} GROUP BY ?t ORDER BY ?t"""
_THEMES = _PROLOGUE + """SELECT ?c (SAMPLE(?l) AS ?label) (COUNT(*) AS ?n) WHERE {
  ?x ess:theme ?c . ?c skos:prefLabel ?l FILTER(lang(?l) = "fr")
} GROUP BY ?c ORDER BY DESC(?n) ?c"""
_SOURCES = _PROLOGUE + "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ess:SourceDocument }"
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|2\d\d\d)(?!\d)")


def coverage(store: ox.Store) -> dict[str, Any]:
    """What the catalog says about the data, counted from a build's store."""
    def rows(sparql: str) -> list[Any]:
        return list(store.query(sparql, use_default_graph_as_union=True))

    years = sorted({int(y) for (d,) in rows(_SOURCE_DATES) for y in _YEAR.findall(d.value)})
    places = [
        {"iri": t.value, "label": label.value if label is not None else None}
        for t, label in rows(_SOURCE_PLACES)
    ]
    themes = [label.value for _c, label, _n in rows(_THEMES)][:MAX_THEME_KEYWORDS]
    sources = rows(_SOURCES)
    return {
        "sources": int(sources[0][0].value) if sources else 0,
        "start_year": years[0] if years else None,
        "end_year": years[-1] if years else None,
        "territories": places,
        "themes": themes,
    }


# --- the catalog graph -----------------------------------------------------------------


def catalog_graph(manifest: dict[str, Any], base_url: str) -> Graph:
    """The catalog of the build described by `manifest`, served at `base_url`."""
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    built = Literal(manifest["built_at"], datatype=XSD.dateTime)
    cover = manifest.get("coverage") or {}
    home = URIRef(base_url)
    catalog, dataset, service = URIRef(CATALOG_IRI), URIRef(DATASET_IRI), URIRef(SERVICE_IRI)
    licence = _licence(g)
    publisher = _publisher(g)
    contact = _contact(g, home)
    french = _typed(g, FRENCH, DCTERMS.LinguisticSystem)

    g.add((catalog, RDF.type, DCAT.Catalog))
    _texts(g, catalog, DCTERMS.title,
           "essgraph — graphe de connaissances de l'économie sociale et solidaire",
           "essgraph — knowledge graph of the French social and solidarity economy")
    _texts(g, catalog, DCTERMS.description,
           "Catalogue des données publiées par essgraph : le graphe complet en "
           "téléchargement et son point d'accès SPARQL.",
           "Catalogue of the data essgraph publishes: the whole graph as downloads and "
           "its SPARQL endpoint.")
    g.add((catalog, DCTERMS.identifier, Literal(CATALOG_IRI)))
    g.add((catalog, DCTERMS.publisher, publisher))
    g.add((catalog, FOAF.homepage, _typed(g, base_url, FOAF.Document)))
    g.add((catalog, DCTERMS.license, licence))
    g.add((catalog, DCTERMS.language, french))
    g.add((catalog, DCTERMS.modified, built))
    taxonomy = _typed(g, DATA_THEME, SKOS.ConceptScheme)
    g.add((taxonomy, DCTERMS.title, Literal("Data theme", lang="en")))
    g.add((catalog, DCAT.themeTaxonomy, taxonomy))
    g.add((catalog, DCTERMS.spatial, _france(g)))
    g.add((catalog, DCAT.dataset, dataset))
    g.add((catalog, DCAT.service, service))

    _dataset(g, dataset, manifest, cover, base_url, built, licence, publisher, contact, french)
    _service(g, service, dataset, base_url, licence, publisher, contact)
    return g


def _dataset(g: Graph, dataset: URIRef, manifest: dict[str, Any], cover: dict[str, Any],
             base_url: str, built: Literal, licence: URIRef, publisher: URIRef,
             contact: BNode | URIRef, french: URIRef) -> None:
    n_sources = cover.get("sources") or 0
    g.add((dataset, RDF.type, DCAT.Dataset))
    _texts(g, dataset, DCTERMS.title,
           "Graphe de connaissances de l'économie sociale et solidaire (essgraph)",
           "Knowledge graph of the French social and solidarity economy (essgraph)")
    _texts(g, dataset, DCTERMS.description,
           "Acteurs de l'économie sociale et solidaire (associations, coopératives, "
           "réseaux, collectivités), politiques publiques, dispositifs, événements, "
           "partenariats et indicateurs, extraits de "
           f"{n_sources} documents sources et reliés au référentiel officiel des "
           "territoires (découpage administratif). Chaque fait cite sa source. "
           f"{manifest.get('statements', 0)} triplets RDF, ontologie OWL et formes SHACL.",
           "Actors of the French social and solidarity economy (associations, cooperatives, "
           "networks, local authorities), public policies, support schemes, events, "
           f"partnerships and indicators, drawn from {n_sources} source documents and "
           "linked to the official reference of French territories. Every fact cites its "
           f"source. {manifest.get('statements', 0)} RDF statements, OWL ontology and SHACL "
           "shapes.")
    g.add((dataset, DCTERMS.identifier, Literal(DATASET_IRI)))
    g.add((dataset, DCTERMS.publisher, publisher))
    g.add((dataset, DCTERMS.license, licence))
    g.add((dataset, DCTERMS.language, french))
    g.add((dataset, DCTERMS.modified, built))
    g.add((dataset, DCTERMS.conformsTo, _typed(g, vocab.ONTOLOGY_IRI, DCTERMS.Standard)))
    g.add((dataset, DCTERMS.accrualPeriodicity, _typed(g, IRREGULAR, DCTERMS.Frequency)))
    g.add((dataset, DCAT.landingPage, _typed(g, base_url, FOAF.Document)))
    g.add((dataset, DCAT.contactPoint, contact))
    g.add((dataset, URIRef(vocab.RDFS + "seeAlso"),
           URIRef(urljoin(base_url, void.DOCUMENT_PATH))))
    for word in (*KEYWORDS, *cover.get("themes", ())):
        g.add((dataset, DCAT.keyword, Literal(word, lang="fr")))
    for code in THEMES:
        g.add((dataset, DCAT.theme, _theme(g, code)))
    _spatial(g, dataset, cover)
    _temporal(g, dataset, cover)
    for dump in dump_files(manifest):
        _distribution(g, dataset, dump, base_url, built, licence)


def _distribution(g: Graph, dataset: URIRef, dump: Any, base_url: str, built: Literal,
                  licence: URIRef) -> None:
    fmt = dump.format
    node = URIRef(DISTRIBUTION_IRI + fmt.key.replace(".", "-"))
    url = URIRef(urljoin(base_url, "dumps/" + dump.file))
    g.add((dataset, DCAT.distribution, node))
    g.add((node, RDF.type, DCAT.Distribution))
    _texts(g, node, DCTERMS.title, fmt.title_fr, fmt.title_en)
    _texts(g, node, DCTERMS.description, fmt.description_fr, fmt.description_en)
    g.add((node, DCTERMS.identifier, Literal(str(node))))
    g.add((node, DCAT.accessURL, url))
    g.add((node, DCAT.downloadURL, url))
    g.add((node, DCAT.mediaType, _typed(g, fmt.media_type_iri, DCTERMS.MediaType)))
    file_type = _typed(g, fmt.file_type_iri, DCTERMS.MediaTypeOrExtent)
    g.add((node, DCTERMS["format"], file_type))
    if fmt.gzip:
        gzip_type = "http://www.iana.org/assignments/media-types/application/gzip"
        g.add((node, DCAT.compressFormat, _typed(g, gzip_type, DCTERMS.MediaType)))
    g.add((node, DCAT.byteSize, Literal(str(dump.bytes), datatype=XSD.nonNegativeInteger)))
    checksum = BNode()
    g.add((node, SPDX.checksum, checksum))
    g.add((checksum, RDF.type, SPDX.Checksum))
    g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    g.add((checksum, SPDX.checksumValue, Literal(dump.sha256, datatype=XSD.hexBinary)))
    g.add((node, DCTERMS.license, licence))
    g.add((node, DCATAP.availability, _availability(g)))
    g.add((node, DCTERMS.modified, built))
    g.add((node, DCTERMS.conformsTo, _typed(g, vocab.ONTOLOGY_IRI, DCTERMS.Standard)))


def _service(g: Graph, service: URIRef, dataset: URIRef, base_url: str, licence: URIRef,
             publisher: URIRef, contact: BNode | URIRef) -> None:
    endpoint = urljoin(base_url, "sparql")
    g.add((service, RDF.type, DCAT.DataService))
    _texts(g, service, DCTERMS.title, "Point d'accès SPARQL d'essgraph",
           "essgraph SPARQL endpoint")
    _texts(g, service, DCTERMS.description,
           "Requêtes SPARQL 1.1 sur le graphe complet (lecture seule, avec limites de "
           "durée et de nombre de résultats) ; la description du service suit SPARQL 1.1 "
           "Service Description.",
           "SPARQL 1.1 queries over the whole graph (read-only, with time and row limits); "
           "the service describes itself with SPARQL 1.1 Service Description.")
    g.add((service, DCTERMS.identifier, Literal(SERVICE_IRI)))
    g.add((service, DCAT.endpointURL, URIRef(endpoint)))
    g.add((service, DCAT.endpointDescription, URIRef(endpoint)))
    g.add((service, DCAT.servesDataset, dataset))
    g.add((service, DCTERMS.license, licence))
    g.add((service, DCTERMS.publisher, publisher))
    g.add((service, DCAT.contactPoint, contact))
    g.add((service, DCTERMS.conformsTo, _typed(g, SPARQL_PROTOCOL, DCTERMS.Standard)))
    g.add((service, DCAT.landingPage, _typed(g, endpoint, FOAF.Document)))
    for code in THEMES:
        g.add((service, DCAT.theme, _theme(g, code)))
    for word in ("SPARQL", "données liées", "économie sociale et solidaire"):
        g.add((service, DCAT.keyword, Literal(word, lang="fr")))


def _availability(g: Graph) -> URIRef:
    """Planned availability AVAILABLE: each build replaces the files, at the same URLs."""
    node = _typed(g, AVAILABLE, SKOS.Concept)
    g.set((node, SKOS.prefLabel, Literal("available", lang="en")))
    return node


def _licence(g: Graph) -> URIRef:
    """The licence by its IRI alone: typed, but no label (see the module docstring)."""
    return _typed(g, LICENCE_IRI, DCTERMS.LicenseDocument)


def _publisher(g: Graph) -> URIRef:
    node = URIRef(PUBLISHER_IRI)
    g.add((node, RDF.type, FOAF.Agent))
    g.add((node, RDF.type, FOAF.Organization))
    g.add((node, FOAF.name, Literal("essgraph")))
    return node


def _contact(g: Graph, home: URIRef) -> URIRef:
    node = URIRef(PUBLISHER_IRI + "#contact")
    g.add((node, RDF.type, VCARD.Kind))
    g.add((node, RDF.type, VCARD.Organization))
    g.add((node, VCARD.fn, Literal("essgraph")))
    g.add((node, VCARD.hasURL, home))
    return node


def _theme(g: Graph, code: str) -> URIRef:
    node = _typed(g, f"{DATA_THEME}/{code}", SKOS.Concept)
    fr, en = THEMES[code]
    g.add((node, SKOS.prefLabel, Literal(fr, lang="fr")))
    g.add((node, SKOS.prefLabel, Literal(en, lang="en")))
    g.add((node, SKOS.inScheme, URIRef(DATA_THEME)))
    return node


def _spatial(g: Graph, dataset: URIRef, cover: dict[str, Any]) -> None:
    g.add((dataset, DCTERMS.spatial, _france(g)))
    for place in cover.get("territories", ()):
        node = _typed(g, place["iri"], DCTERMS.Location)
        if place.get("label"):
            g.add((node, SKOS.prefLabel, Literal(place["label"], lang="fr")))
        g.add((dataset, DCTERMS.spatial, node))


def _france(g: Graph) -> URIRef:
    france = _typed(g, FRANCE, DCTERMS.Location)
    g.set((france, SKOS.prefLabel, Literal("France", lang="fr")))
    g.set((france, DCAT.bbox, Literal(BBOX_METROPOLITAN_FRANCE, datatype=GSP.wktLiteral)))
    return france


def _temporal(g: Graph, dataset: URIRef, cover: dict[str, Any]) -> None:
    start, end = cover.get("start_year"), cover.get("end_year")
    if start is None:
        return
    period = BNode()
    g.add((dataset, DCTERMS.temporal, period))
    g.add((period, RDF.type, DCTERMS.PeriodOfTime))
    g.add((period, DCAT.startDate, Literal(f"{start:04d}", datatype=XSD.gYear)))
    g.add((period, DCAT.endDate, Literal(f"{end:04d}", datatype=XSD.gYear)))


def _typed(g: Graph, iri: str, cls: URIRef) -> URIRef:
    node = URIRef(iri)
    g.add((node, RDF.type, cls))
    return node


def _texts(g: Graph, node: URIRef, prop: URIRef, fr: str, en: str) -> None:
    g.add((node, prop, Literal(fr, lang="fr")))
    g.add((node, prop, Literal(en, lang="en")))


# --- serialisation ---------------------------------------------------------------------


def serialize(graph: Graph, fmt: str) -> bytes:
    """The catalog as Turtle ("ttl"), RDF/XML ("rdf") or JSON-LD with its context inline."""
    _media_type, rdflib_format = FORMATS[fmt]
    if fmt == "jsonld":
        text = graph.serialize(format="json-ld", context=CONTEXT, auto_compact=True)
    else:
        text = graph.serialize(format=rdflib_format)
    return text.encode("utf-8")
