"""One error tree: every error essgraph reports to a user has a stable code, an HTTP
status and, where it applies, a location (file:line, query position, focus node)."""

from __future__ import annotations


class EssgraphError(Exception):
    """Base of every error essgraph reports to a user."""

    code = "ERROR"
    status = 500

    def __init__(self, message: str, *, where: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message

    def as_dict(self) -> dict[str, str | None]:
        return {"error": self.code, "message": self.message, "where": self.where}


class ConfigError(EssgraphError):
    code, status = "CONFIG", 500


class UnknownFormat(EssgraphError):
    """A file or a request asks for a serialisation essgraph does not read or write."""

    code, status = "UNKNOWN_FORMAT", 400


class RdfSyntaxError(EssgraphError):
    """Malformed RDF: `where` is "file:line" (or "file:line:column")."""

    code, status = "RDF_SYNTAX", 400


class UnsafeInput(EssgraphError):
    """Input that would make a parser reach outside (remote JSON-LD context, XML DOCTYPE)."""

    code, status = "UNSAFE_INPUT", 400


class ValidationFailed(EssgraphError):
    """The data does not conform to the shapes; `report` holds the results."""

    code, status = "SHAPE_VIOLATION", 422

    def __init__(self, message: str, *, report=None, where: str | None = None):
        super().__init__(message, where=where)
        self.report = report


class ReferenceDataMissing(EssgraphError):
    """The official territorial reference is not installed where the settings say."""

    code, status = "REFERENCE_MISSING", 500


class StoreError(EssgraphError):
    code, status = "STORE", 503


class StoreNotBuilt(StoreError):
    code, status = "STORE_NOT_BUILT", 503


class QueryError(EssgraphError):
    """A SPARQL query that does not parse; `where` is "line L, column C"."""

    code, status = "QUERY_SYNTAX", 400


class QueryRejected(EssgraphError):
    """A query that is not allowed here (SERVICE, update, LOAD)."""

    code, status = "QUERY_REJECTED", 400


class UpdateForbidden(QueryRejected):
    code, status = "UPDATE_FORBIDDEN", 403


class QueryTimeout(EssgraphError):
    code, status = "QUERY_TIMEOUT", 503


class ResultTooLarge(EssgraphError):
    code, status = "RESULT_TOO_LARGE", 413


class RequestTooLarge(EssgraphError):
    code, status = "REQUEST_TOO_LARGE", 413


class NamedQueryError(EssgraphError):
    """A named query file with a bad header: `where` is "queries/x.rq:3"."""

    code, status = "NAMED_QUERY", 500


class UnknownQuery(EssgraphError):
    code, status = "UNKNOWN_QUERY", 404


class ParameterError(EssgraphError):
    """A missing or ill-typed named-query parameter: `where` is the parameter's name."""

    code, status = "BAD_PARAMETER", 400


class NotFound(EssgraphError):
    code, status = "NOT_FOUND", 404


class NotAcceptable(EssgraphError):
    code, status = "NOT_ACCEPTABLE", 406


class ReferenceDataInvalid(EssgraphError):
    """A file of the official territorial reference that does not parse or lacks a field:
    `where` is "file:line:column" or the file."""

    code, status = "REFERENCE_INVALID", 500


class DataLayoutError(EssgraphError):
    """A data file that cannot be placed in a named graph (triple format without NNN_ prefix,
    default-graph statements)."""

    code, status = "DATA_LAYOUT", 400


class ShapesError(EssgraphError):
    """SHACL shapes the validator cannot use (a malformed constraint): `where` is the shape."""

    code, status = "SHAPES_INVALID", 500
