"""The DCAT-AP catalog: its content, its conformance to the official shapes, its routes."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib import namespace as ns
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, SKOS

from essgraph import catalog, dumps
from test_dumps import BASE_URL, client, manifest_of, published, published_app  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
DCAT_AP = ROOT.parent / "shared" / "dcat-ap-3.0.1"
SPDX = catalog.SPDX
LICENCE = URIRef(catalog.LICENCE_IRI)
DATASET = URIRef(catalog.DATASET_IRI)
SERVICE = URIRef(catalog.SERVICE_IRI)


@pytest.fixture(scope="module")
def graph(published) -> Graph:  # noqa: F811
    return catalog.catalog_graph(manifest_of(published), BASE_URL)


def shapes(name: str) -> Graph:
    path = DCAT_AP / name
    if not path.is_file():
        pytest.skip(f"the DCAT-AP 3.0.1 shapes are not at {DCAT_AP}")
    return Graph().parse(path)


# --- conformance -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["shapes.ttl", "range.ttl"])
def test_the_catalog_conforms_to_the_official_dcat_ap_shapes(graph, name):
    import pyshacl

    conforms, _results, text = pyshacl.validate(graph, shacl_graph=shapes(name))
    assert conforms, text


def test_the_shapes_catch_a_catalog_without_a_title(graph):
    import pyshacl

    broken = Graph() + graph
    broken.remove((URIRef(catalog.CATALOG_IRI), DCTERMS.title, None))
    conforms, _results, text = pyshacl.validate(broken, shacl_graph=shapes("shapes.ttl"))
    assert not conforms and "dct:title" in text


# --- content -----------------------------------------------------------------------------


def test_catalog_dataset_and_service_have_stable_identifiers(published):  # noqa: F811
    one = catalog.catalog_graph(manifest_of(published), BASE_URL)
    two = catalog.catalog_graph(manifest_of(published), "https://ess.example.org/")
    for g in (one, two):
        assert g.value(DATASET, DCTERMS.identifier) == Literal(catalog.DATASET_IRI)
        assert g.value(SERVICE, DCTERMS.identifier) == Literal(catalog.SERVICE_IRI)
        assert (URIRef(catalog.CATALOG_IRI), ns.DCAT.dataset, DATASET) in g
        assert (URIRef(catalog.CATALOG_IRI), ns.DCAT.service, SERVICE) in g
    assert set(one.subjects(RDF.type, ns.DCAT.Distribution)) == set(
        two.subjects(RDF.type, ns.DCAT.Distribution))


def test_the_publisher_is_essgraph_and_the_contact_has_no_email(graph):
    publisher = URIRef(catalog.PUBLISHER_IRI)
    assert publisher == URIRef("https://w3id.org/essgraph/id/organisation/essgraph")
    for node in (URIRef(catalog.CATALOG_IRI), DATASET, SERVICE):
        assert graph.value(node, DCTERMS.publisher) == publisher
    assert graph.value(publisher, FOAF.name) == Literal("essgraph")
    assert (publisher, RDF.type, FOAF.Agent) in graph
    contact = graph.value(DATASET, ns.DCAT.contactPoint)
    assert (contact, RDF.type, catalog.VCARD.Organization) in graph
    assert graph.value(contact, catalog.VCARD.hasURL) == URIRef(BASE_URL)
    assert graph.value(contact, catalog.VCARD.hasEmail) is None


def test_etalab_licence_by_the_iri_udata_knows_on_everything_and_without_label(graph):
    assert catalog.LICENCE_IRI == "https://www.etalab.gouv.fr/licence-ouverte-open-licence"
    distributions = list(graph.subjects(RDF.type, ns.DCAT.Distribution))
    assert len(distributions) == len(dumps.DUMPS)
    for node in [URIRef(catalog.CATALOG_IRI), DATASET, SERVICE, *distributions]:
        assert list(graph.objects(node, DCTERMS.license)) == [LICENCE], node
    assert set(graph.predicate_objects(LICENCE)) == {(RDF.type, DCTERMS.LicenseDocument)}
    assert graph.value(LICENCE, RDFS.label) is None


def test_the_dataset_says_what_when_where_and_how_it_conforms(graph, published):  # noqa: F811
    assert {lit.language for lit in graph.objects(DATASET, DCTERMS.title)} == {"fr", "en"}
    assert {lit.language for lit in graph.objects(DATASET, DCTERMS.description)} == {"fr", "en"}
    keywords = set(graph.objects(DATASET, ns.DCAT.keyword))
    assert Literal("économie sociale et solidaire", lang="fr") in keywords
    themes = set(graph.objects(DATASET, ns.DCAT.theme))
    assert {URIRef(catalog.DATA_THEME + "/ECON"), URIRef(catalog.DATA_THEME + "/SOCI")} <= themes
    for theme in themes:
        assert (theme, RDF.type, SKOS.Concept) in graph
        assert graph.value(theme, SKOS.prefLabel) is not None
    assert graph.value(DATASET, DCTERMS.conformsTo) == URIRef("https://w3id.org/essgraph/ontology")
    assert graph.value(DATASET, DCTERMS.modified) == Literal(
        manifest_of(published)["built_at"], datatype=ns.XSD.dateTime)
    # spatial: France with the bounding box of metropolitan France, and the source's commune
    places = set(graph.objects(DATASET, DCTERMS.spatial))
    france = URIRef(catalog.FRANCE)
    assert {france, URIRef("https://w3id.org/essgraph/id/territoire/commune/21231")} <= places
    bbox = graph.value(france, ns.DCAT.bbox)
    assert bbox.datatype == URIRef("http://www.opengis.net/ont/geosparql#wktLiteral")
    assert str(bbox).startswith("POLYGON((-5.2 41.3")
    assert all((p, RDF.type, DCTERMS.Location) in graph for p in places)
    # temporal: from the earliest to the latest year the sources name (2010/2023, 2024-03)
    period = graph.value(DATASET, DCTERMS.temporal)
    assert isinstance(period, BNode)
    assert (period, RDF.type, DCTERMS.PeriodOfTime) in graph
    assert graph.value(period, ns.DCAT.startDate) == Literal("2010", datatype=ns.XSD.gYear)
    assert graph.value(period, ns.DCAT.endDate) == Literal("2024", datatype=ns.XSD.gYear)


def test_each_distribution_points_at_its_dump_with_size_checksum_and_types(graph, published):  # noqa: F811,E501
    by_url = {str(graph.value(d, ns.DCAT.downloadURL)): d
              for d in graph.subjects(RDF.type, ns.DCAT.Distribution)}
    for entry in manifest_of(published)["dumps"]:
        fmt = dumps.DUMPS[entry["key"]]
        url = BASE_URL + "dumps/" + entry["file"]
        node = by_url[url]
        assert graph.value(node, ns.DCAT.accessURL) == URIRef(url)
        media = graph.value(node, ns.DCAT.mediaType)
        assert media == URIRef("http://www.iana.org/assignments/media-types/" + fmt.media_type)
        assert graph.value(node, DCTERMS["format"]) == URIRef(
            "http://publications.europa.eu/resource/authority/file-type/" + fmt.file_type)
        assert graph.value(node, ns.DCAT.byteSize) == Literal(
            str(entry["bytes"]), datatype=ns.XSD.nonNegativeInteger)
        checksum = graph.value(node, SPDX.checksum)
        assert graph.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert graph.value(checksum, SPDX.checksumValue) == Literal(
            entry["sha256"], datatype=ns.XSD.hexBinary)
    gz = by_url[BASE_URL + "dumps/essgraph.nt.gz"]
    assert graph.value(gz, ns.DCAT.compressFormat) == URIRef(
        "http://www.iana.org/assignments/media-types/application/gzip")


def test_the_sparql_endpoint_is_a_data_service_serving_the_dataset(graph):
    assert (SERVICE, RDF.type, ns.DCAT.DataService) in graph
    assert graph.value(SERVICE, ns.DCAT.endpointURL) == URIRef(BASE_URL + "sparql")
    assert graph.value(SERVICE, ns.DCAT.endpointDescription) == URIRef(BASE_URL + "sparql")
    assert graph.value(SERVICE, ns.DCAT.servesDataset) == DATASET


def test_one_page_means_no_hydra_paging(graph):
    assert not any(str(p).startswith(str(catalog.HYDRA)) or str(o).startswith(str(catalog.HYDRA))
                   for _s, p, o in graph)


def test_coverage_counts_years_and_places_from_the_source_documents():
    ess, dct, xsd = vocab_ns()
    store = ox.Store()
    g = ox.NamedNode("https://w3id.org/essgraph/graph/source/001")
    src = ox.NamedNode("https://w3id.org/essgraph/id/source/001")
    place = ox.NamedNode("https://w3id.org/essgraph/id/territoire/commune/67482")
    store.extend([
        ox.Quad(src, ox.NamedNode(str(RDF.type)), ox.NamedNode(ess + "SourceDocument"), g),
        ox.Quad(src, ox.NamedNode(dct + "date"), ox.Literal("2023", datatype=ox.NamedNode(
            xsd + "gYear")), g),
        ox.Quad(src, ox.NamedNode(dct + "temporal"), ox.Literal("2010/2023"), g),
        ox.Quad(src, ox.NamedNode(dct + "spatial"), place, g),
        ox.Quad(place, ox.NamedNode(str(SKOS.prefLabel)), ox.Literal("Strasbourg", language="fr"),
                g),
    ])
    cover = catalog.coverage(store)
    assert (cover["start_year"], cover["end_year"], cover["sources"]) == (2010, 2023, 1)
    assert cover["territories"] == [{"iri": place.value, "label": "Strasbourg"}]


def vocab_ns() -> tuple[str, str, str]:
    from essgraph import vocab

    return vocab.ESS, vocab.DCT, vocab.XSD


# --- routes ------------------------------------------------------------------------------


@pytest.mark.parametrize("path, content_type, fmt", [
    ("/catalog.ttl", "text/turtle; charset=utf-8", "turtle"),
    ("/catalog.rdf", "application/rdf+xml", "xml"),
    ("/catalog.jsonld", "application/ld+json", "json-ld"),
])
def test_each_catalog_file_answers_200_directly_with_head(client, graph, path, content_type,  # noqa: F811,E501
                                                          fmt):
    response = client.get(path, headers={"Accept": ""})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    served = Graph().parse(data=response.data, format=fmt)
    assert isomorphic(served, graph)
    head = client.head(path)
    assert head.status_code == 200 and head.data == b""
    for header in ("Content-Type", "Content-Length", "ETag", "Last-Modified"):
        assert head.headers[header] == response.headers[header]


@pytest.mark.parametrize("accept, content_type", [
    (None, "text/turtle; charset=utf-8"),
    ("*/*", "text/turtle; charset=utf-8"),
    ("text/html,application/xhtml+xml,*/*;q=0.8", "text/turtle; charset=utf-8"),
    ("application/ld+json", "application/ld+json"),
    ("application/rdf+xml;q=0.9, text/turtle;q=0.5", "application/rdf+xml"),
])
def test_catalog_negotiates_and_defaults_to_turtle(client, accept, content_type):  # noqa: F811
    headers = {"Accept": accept} if accept else {}
    response = client.get("/catalog", headers=headers)
    assert response.status_code == 200  # never a redirect, never a 406
    assert response.headers["Content-Type"] == content_type
    assert "Accept" in response.headers["Vary"]


def test_catalog_jsonld_carries_its_context_inline(client):  # noqa: F811
    document = json.loads(client.get("/catalog.jsonld").data)
    assert isinstance(document["@context"], dict)
    assert all(isinstance(v, str) and v.startswith("http") for v in document["@context"].values())
    text = json.dumps(document)
    assert '"@context": "' not in text and '"@context": ["' not in text


def test_catalog_answers_304_to_a_client_that_has_it(client):  # noqa: F811
    first = client.get("/catalog.ttl")
    assert first.headers["ETag"].startswith('W/"')
    assert client.get("/catalog.ttl", headers={
        "If-None-Match": first.headers["ETag"]}).status_code == 304
    assert client.get("/catalog.ttl", headers={
        "If-Modified-Since": first.headers["Last-Modified"]}).status_code == 304
    assert client.get("/catalog.rdf", headers={
        "If-None-Match": first.headers["ETag"]}).status_code == 200
