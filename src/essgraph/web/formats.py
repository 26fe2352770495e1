"""The serialisations /sparql answers in, and how a request chooses one.

SELECT and ASK answer SPARQL results (JSON, XML, CSV, TSV); CONSTRUCT, DESCRIBE and the
service description answer a graph (Turtle, N-Triples, RDF/XML, JSON-LD). A `format`
parameter wins over the Accept header; the Accept header is read with its q-values and
wildcards, and when several types tie, the order below (the server's preference) decides.
No Flask here: the query workers import this module too.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept

from ..errors import NotAcceptable, UnknownFormat


@dataclass(frozen=True)
class Format:
    key: str
    media_type: str
    results: bool  # SPARQL results (SELECT/ASK) rather than a graph
    ox_format: ox.QueryResultsFormat | ox.RdfFormat
    sd_iri: str  # the W3C format IRI, for the service description
    aliases: tuple[str, ...] = ()  # more media types a client may ask this format by
    names: tuple[str, ...] = ()  # values of the `format` parameter
    comment: str | None = None  # how to start a comment line, if the format has one


_W3 = "http://www.w3.org/ns/formats/"
FORMATS: dict[str, Format] = {
    f.key: f
    for f in (
        Format("json", "application/sparql-results+json", True, ox.QueryResultsFormat.JSON,
               _W3 + "SPARQL_Results_JSON", ("application/json",), ("json",)),
        Format("xml", "application/sparql-results+xml", True, ox.QueryResultsFormat.XML,
               _W3 + "SPARQL_Results_XML", ("application/xml", "text/xml"), ("xml",), "xml"),
        Format("csv", "text/csv", True, ox.QueryResultsFormat.CSV,
               _W3 + "SPARQL_Results_CSV", (), ("csv",)),
        Format("tsv", "text/tab-separated-values", True, ox.QueryResultsFormat.TSV,
               _W3 + "SPARQL_Results_TSV", (), ("tsv",)),
        Format("ttl", "text/turtle", False, ox.RdfFormat.TURTLE, _W3 + "Turtle",
               ("application/turtle", "application/x-turtle"), ("ttl", "turtle", "n3"), "#"),
        Format("nt", "application/n-triples", False, ox.RdfFormat.N_TRIPLES,
               _W3 + "N-Triples", ("text/plain",), ("nt", "ntriples", "n-triples"), "#"),
        Format("rdfxml", "application/rdf+xml", False, ox.RdfFormat.RDF_XML, _W3 + "RDF_XML",
               ("application/xml", "text/xml"), ("rdf", "rdfxml", "rdf/xml", "rdf+xml", "xml"),
               "xml"),
        Format("jsonld", "application/ld+json", False, ox.RdfFormat.JSON_LD, _W3 + "JSON-LD",
               ("application/json", "application/x-json+ld"), ("jsonld", "json-ld", "json")),
    )
}
RESULT_FORMATS = [f for f in FORMATS.values() if f.results]
GRAPH_FORMATS = [f for f in FORMATS.values() if not f.results]


@dataclass(frozen=True)
class Choice:
    """A negotiated format and the media type to label the response with."""

    format: Format
    media_type: str

    @property
    def content_type(self) -> str:
        text = self.media_type.startswith("text/")
        return self.media_type + ("; charset=utf-8" if text else "")


def negotiate(results: bool, format_param: list[str] | str | None, accept: MIMEAccept) -> Choice:
    """The format for a response of SPARQL results (`results`) or of a graph.

    `format_param` holds the values of the `format` parameter: names (json, ttl...) or media
    types, possibly comma-separated; the first that names a format offered here wins. Clients
    send several (SPARQLWrapper sends format=tsv&format=text/tab-separated-values).
    Raises UnknownFormat when no value names a format, NotAcceptable (406, listing what is
    offered) when the parameter or the Accept header asks only for formats of the other kind.
    """
    offered = RESULT_FORMATS if results else GRAPH_FORMATS
    if isinstance(format_param, str):
        format_param = [format_param]
    wanted = [w.strip().lower() for value in format_param or () for w in value.split(",")]
    wanted = [w for w in wanted if w]
    if wanted:
        for name in wanted:
            for f in offered:
                if name in f.names or name == f.media_type or name in f.aliases:
                    return Choice(f, f.media_type)
        shown = ",".join(format_param or ())
        if any(name in f.names or name == f.media_type for name in wanted
               for f in FORMATS.values()):
            raise NotAcceptable(_offer_message(offered, f"format={shown}"), where="format")
        raise UnknownFormat(
            f"unknown format {shown!r}; this answer is offered as "
            + ", ".join(n for f in offered for n in f.names),
            where="format",
        )
    if not accept:  # no Accept header: the first format offered
        return Choice(offered[0], offered[0].media_type)
    by_type = {f.media_type: f for f in offered}  # canonical types first: they win ties
    for f in offered:
        for alias in f.aliases:
            by_type.setdefault(alias, f)
    best = accept.best_match(list(by_type))
    if best is None:
        raise NotAcceptable(_offer_message(offered, f"Accept: {accept}"), where="Accept")
    return Choice(by_type[best], best)


def _offer_message(offered: list[Format], asked: str) -> str:
    return f"cannot answer {asked}; this answer is offered as " + ", ".join(
        f.media_type for f in offered
    )
