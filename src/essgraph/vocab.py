"""Namespaces and IRI patterns shared by every stage (see docs/MODEL.md)."""

from __future__ import annotations

ESS = "https://w3id.org/essgraph/ontology#"
ONTOLOGY_IRI = "https://w3id.org/essgraph/ontology"
ID = "https://w3id.org/essgraph/id/"
CONCEPT = "https://w3id.org/essgraph/concept/"
GRAPH = "https://w3id.org/essgraph/graph/"

GRAPH_ONTOLOGY = GRAPH + "ontologie"
GRAPH_TERRITORIES = GRAPH + "territoires"
GRAPH_INFERENCES = GRAPH + "inferences"
GRAPH_SOURCE = GRAPH + "source/"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
DCT = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
ORG = "http://www.w3.org/ns/org#"
SCHEMA = "https://schema.org/"
QB = "http://purl.org/linked-data/cube#"
IGEO = "http://rdf.insee.fr/def/geo#"
FOAF = "http://xmlns.com/foaf/0.1/"
SH = "http://www.w3.org/ns/shacl#"

PREFIXES: dict[str, str] = {
    "ess": ESS,
    "essid": ID,
    "concept": CONCEPT,
    "graph": GRAPH,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "prov": PROV,
    "dct": DCT,
    "dcat": DCAT,
    "org": ORG,
    "schema": SCHEMA,
    "qb": QB,
    "igeo": IGEO,
    "foaf": FOAF,
}


def sparql_prologue() -> str:
    """PREFIX declarations for every namespace above, for queries written in code."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
