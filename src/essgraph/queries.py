"""Named queries: files `queries/*.rq` with a header, typed parameters, safe binding.

A named query stays valid SPARQL (grlc-style): the header is a block of `#+ ` comment lines
at the top of the file holding a small YAML mapping::

    #+ title: Acteurs d'un territoire
    #+ description: ESS actors located in a territory or any territory inside it,
    #+   with the source that states it.
    #+ params:
    #+   territory: {type: iri, required: true, example: "essid:territoire/epci/242100410"}
    #+ defaults:
    #+   territory: "essid:territoire/commune/21231"

The file name is the query's name. A parameter is an ordinary variable of the query and is
bound by the engine, never by pasting text: through `substitutions=` when every parameter
is projected by the SELECT, else through a VALUES block built from the terms' N-Triples
form and checked by parsing the query before and after.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import yaml

from . import vocab
from .errors import ConfigError, NamedQueryError, ParameterError, QueryError, UnknownQuery
from .store import QueryResult, Store, Term
from .store.embedded import syntax_error

HEADER_PREFIX = "#+"
TYPES = ("iri", "string", "literal", "integer", "decimal", "date", "year", "boolean")
_TOP_KEYS = {"title", "description", "params", "defaults"}
_PARAM_KEYS = {"type", "required", "example", "description", "lang", "default"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LANG = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    required: bool = False
    description: str = ""
    example: str | None = None
    default: str | None = None
    lang: str | None = None


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    description: str
    params: dict[str, Param]
    sparql: str
    path: Path
    header_lines: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


# --- parsing -------------------------------------------------------------------------------


def load_named_queries(queries_dir: Path) -> dict[str, NamedQuery]:
    """Every `*.rq` of the directory by name; any bad file fails the whole set."""
    queries_dir = Path(queries_dir)
    if not queries_dir.is_dir():
        raise ConfigError("the named-queries directory does not exist", where=str(queries_dir))
    return {p.stem: load_named_query(p) for p in sorted(queries_dir.glob("*.rq"))}


def find_named_query(name_or_path: str, queries_dir: Path) -> NamedQuery:
    """A query by name from `queries_dir`, or a `.rq` file given by path."""
    path = Path(name_or_path)
    if path.suffix == ".rq" and path.is_file():
        return _ad_hoc_or_named(path)
    candidate = Path(queries_dir) / f"{name_or_path}.rq"
    if _NAME.match(name_or_path.replace("-", "_")) and candidate.is_file():
        return load_named_query(candidate)
    raise UnknownQuery(f"no named query {name_or_path!r} in {queries_dir}", where=name_or_path)


def _ad_hoc_or_named(path: Path) -> NamedQuery:
    """A .rq file given by path: with a header it is a named query (parsed strictly);
    without one it is an ad hoc query with no parameters, as a data team writes them."""
    text = path.read_text(encoding="utf-8")
    header, _ = _split_header(text)
    if header:
        return load_named_query(path)
    try:
        _parse_only(text)
    except QueryError as e:
        raise QueryError(e.message, where=f"{_display(path)}: {e.where}") from e
    return NamedQuery(name=path.stem, title=path.name, description="", params={},
                      sparql=text, path=path)


def load_named_query(path: Path) -> NamedQuery:
    """Parse one file strictly; errors say `file:line`."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    header, body_start = _split_header(text)
    where = _display(path)
    if not header:
        raise NamedQueryError("no '#+ ' header: a named query needs a title", where=f"{where}:1")
    root, data = _parse_yaml(header, where)
    return _named_query(path, where, text, body_start, root, data)


def _split_header(text: str) -> tuple[list[str], int]:
    """The YAML text of the leading `#+` lines, and how many lines they take."""
    lines = text.splitlines()
    header: list[str] = []
    for line in lines:
        if line.startswith(HEADER_PREFIX + " ") or line.rstrip() == HEADER_PREFIX:
            header.append(line[len(HEADER_PREFIX) + 1:])
        else:
            break
    return header, len(header)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (YAML would silently keep the last one)."""


def _no_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates
)


def _parse_yaml(header: list[str], where: str) -> tuple[yaml.Node, Any]:
    source = "\n".join(header)
    try:
        root = yaml.compose(source, Loader=_StrictLoader)
        data = yaml.load(source, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        raise NamedQueryError(f"bad header: {e.problem or e}", where=f"{where}:{line}") from e
    if not isinstance(data, dict) or root is None:
        raise NamedQueryError("the header must be a mapping (key: value)", where=f"{where}:1")
    return root, data


def _line_of(node: yaml.Node, *keys: str) -> int:
    """1-based line of the key path inside the header (the header starts at line 1)."""
    line = node.start_mark.line + 1
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            break
        for k, v in node.value:
            if k.value == key:
                line, node = k.start_mark.line + 1, v
                break
        else:
            break
    return line


def _named_query(
    path: Path, where: str, text: str, body_start: int, root: yaml.Node, data: dict[str, Any]
) -> NamedQuery:
    def fail(message: str, *keys: str) -> NamedQueryError:
        return NamedQueryError(message, where=f"{where}:{_line_of(root, *keys)}")

    for key in data:
        if key not in _TOP_KEYS:
            raise fail(f"unknown header key {key!r}; allowed: {', '.join(sorted(_TOP_KEYS))}",
                       str(key))
    for key in ("title", "description"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise fail(f"the header needs a {key} (text)", key)
    body = "\n".join(text.splitlines()[body_start:])
    raw_params = data.get("params") or {}
    if not isinstance(raw_params, dict):
        raise fail("params must be a mapping name: {type: ...}", "params")
    params = {
        str(name): _param(str(name), spec, lambda m, *k, n=str(name): fail(m, "params", n, *k))
        for name, spec in raw_params.items()
    }
    for name in params:
        if not re.search(rf"[?$]{re.escape(name)}(?![A-Za-z0-9_\u00b7\u0300-\u036f])", body):
            raise fail(f"parameter {name!r} is not used as ?{name} in the query", "params", name)
    params = _with_defaults(params, data.get("defaults"), fail)
    try:
        _parse_only(body)
    except QueryError as e:
        raise NamedQueryError(
            f"the query does not parse: {e.message} ({e.where})", where=f"{where}:{body_start + 1}"
        ) from e
    return NamedQuery(
        name=path.stem,
        title=data["title"].strip(),
        description=" ".join(data["description"].split()),
        params=params,
        sparql=body,
        path=path,
        header_lines=body_start,
    )


def _param(name: str, spec: Any, fail: Any) -> Param:
    if not _NAME.match(name):
        raise fail(f"parameter name {name!r} is not a SPARQL variable name")
    if not isinstance(spec, dict):
        raise fail(f"parameter {name!r} needs a mapping {{type: ..., required: ...}}")
    for key in spec:
        if key not in _PARAM_KEYS:
            raise fail(
                f"unknown key {key!r} for parameter {name!r}; allowed: "
                f"{', '.join(sorted(_PARAM_KEYS))}",
                str(key),
            )
    type_ = spec.get("type")
    if type_ not in TYPES:
        raise fail(f"parameter {name!r} has type {type_!r}; choose one of {', '.join(TYPES)}",
                   "type")
    required = spec.get("required", False)
    if not isinstance(required, bool):
        raise fail(f"required must be true or false, not {required!r}", "required")
    lang = spec.get("lang")
    if lang is not None and (type_ != "literal" or not _LANG.match(str(lang))):
        raise fail("lang is a language tag and only applies to type literal", "lang")
    param = Param(
        name=name,
        type=type_,
        required=required,
        description=" ".join(str(spec.get("description", "")).split()),
        example=None if spec.get("example") is None else _scalar(spec["example"]),
        lang=None if lang is None else str(lang),
    )
    if "default" in spec:
        param = _checked_default(param, spec["default"], lambda m: fail(m, "default"))
    return param


def _with_defaults(params: dict[str, Param], defaults: Any, fail: Any) -> dict[str, Param]:
    """The grlc-style top-level `defaults:` (a mapping, or a list of one-key mappings)."""
    if defaults is None:
        return params
    if isinstance(defaults, list) and all(isinstance(d, dict) for d in defaults):
        defaults = {k: v for d in defaults for k, v in d.items()}
    if not isinstance(defaults, dict):
        raise fail("defaults must be a mapping param: value", "defaults")
    out = dict(params)
    for name, value in defaults.items():
        if name not in params:
            raise fail(f"default for unknown parameter {name!r}", "defaults", str(name))
        out[name] = _checked_default(params[name], value,
                                     lambda m, n=str(name): fail(m, "defaults", n))
    return out


def _checked_default(param: Param, value: Any, fail: Any) -> Param:
    raw = _scalar(value)
    try:
        to_term(param, raw)
    except ParameterError as e:
        raise fail(f"default of {param.name!r}: {e.message}") from e
    return Param(**{**param.__dict__, "default": raw})


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# --- binding -------------------------------------------------------------------------------

_XSD = {t: ox.NamedNode(vocab.XSD + t) for t in ("integer", "decimal", "date", "gYear", "boolean")}
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_DECIMAL = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
_YEAR = re.compile(r"^-?[0-9]{4}$")
_BOOLEAN = {"true": "true", "false": "false", "1": "true", "0": "false"}


def bind(nq: NamedQuery, raw_params: Mapping[str, str]) -> dict[str, Term]:
    """Check and convert raw text values into RDF terms, by parameter name.

    Unknown names, missing required values and ill-typed values are ParameterError with
    `where` = the parameter's name. An optional parameter with no value and no default
    stays unbound.
    """
    for name in raw_params:
        if name not in nq.params:
            known = ", ".join(nq.params) or "none"
            raise ParameterError(
                f"{nq.name} has no parameter {name!r} (parameters: {known})", where=name
            )
    terms: dict[str, Term] = {}
    for name, param in nq.params.items():
        raw = raw_params.get(name)
        if raw is None or raw == "":
            raw = param.default
        if raw is None:
            if param.required:
                raise ParameterError(f"{nq.name} needs a value for {name!r}", where=name)
            continue
        terms[name] = to_term(param, raw)
    return terms


def to_term(param: Param, raw: str) -> Term:
    """One value as a term of the parameter's type; ParameterError when it is not one."""
    value = raw.strip()

    def bad(expected: str) -> ParameterError:
        return ParameterError(f"{raw!r} is not {expected}", where=param.name)

    if param.type == "iri":
        return _iri(value, bad)
    if param.type == "string":
        return ox.Literal(raw)
    if param.type == "literal":
        return ox.Literal(raw, language=param.lang) if param.lang else ox.Literal(raw)
    if param.type == "integer":
        if not _INTEGER.match(value):
            raise bad("an integer")
        return ox.Literal(str(int(value)), datatype=_XSD["integer"])
    if param.type == "decimal":
        if not _DECIMAL.match(value):
            raise bad("a decimal number (digits and one '.')")
        return ox.Literal(value, datatype=_XSD["decimal"])
    if param.type == "date":
        try:
            if len(value) != 10:
                raise ValueError(value)
            date.fromisoformat(value)
        except ValueError:
            raise bad("a date YYYY-MM-DD") from None
        return ox.Literal(value, datatype=_XSD["date"])
    if param.type == "year":
        if not _YEAR.match(value):
            raise bad("a year YYYY")
        return ox.Literal(value, datatype=_XSD["gYear"])
    if value.lower() not in _BOOLEAN:
        raise bad("a boolean (true or false)")
    return ox.Literal(_BOOLEAN[value.lower()], datatype=_XSD["boolean"])


def _iri(value: str, bad: Any) -> ox.NamedNode:
    """An absolute IRI, or a project-prefixed name such as `essid:territoire/commune/21231`.

    pyoxigraph's IRI parser refuses spaces, quotes, '<', '>', '{', '}' and relative IRIs, so
    what comes out can only ever be serialised as one IRI token.
    """
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    prefix, sep, local = value.partition(":")
    if sep and prefix in vocab.PREFIXES and not local.startswith("//"):
        value = vocab.PREFIXES[prefix] + local
    try:
        return ox.NamedNode(value)
    except ValueError as e:
        raise bad(f"an absolute IRI ({e})") from e


# --- running -------------------------------------------------------------------------------


def run(store: Store, nq: NamedQuery, raw_params: Mapping[str, str]) -> QueryResult:
    """Bind the parameters through the engine and run the query on the store."""
    terms = bind(nq, raw_params)
    if not terms:
        return store.query(nq.sparql)
    if _all_projected(nq.sparql, terms):
        return store.query(nq.sparql, substitutions=terms)
    return store.query(inject_values(nq.sparql, terms))


def _parse_only(sparql: str, substitutions: Mapping[str, Term] | None = None) -> Any:
    """Parse (and run on an empty store, which is instant) to check a query's syntax."""
    subs = {ox.Variable(k): v for k, v in (substitutions or {}).items()} or None
    try:
        return ox.Store().query(sparql, substitutions=subs)
    except SyntaxError as e:
        raise syntax_error(e) from e


def _all_projected(sparql: str, terms: Mapping[str, Term]) -> bool:
    """Whether the engine accepts `substitutions=` for every parameter of this query."""
    try:
        _parse_only(sparql, terms)
    except RuntimeError:
        # "does not contains variable ?x in its SELECT projection", or not a SELECT.
        return False
    return True


def inject_values(sparql: str, terms: Mapping[str, Term]) -> str:
    """The query with `VALUES (?a ?b) { (term term) }` first in its outermost WHERE group.

    Terms are written by pyoxigraph in N-Triples form (escaped), and the query is parsed
    before and after; a SELECT must keep exactly the same projected variables, so a value
    cannot change the query's structure.
    """
    before = _parse_only(sparql)
    names = sorted(terms)
    block = (
        " VALUES (" + " ".join(f"?{n}" for n in names) + ") { ("
        + " ".join(str(terms[n]) for n in names) + ") } "
    )
    at = _outer_where_brace(sparql) + 1
    injected = sparql[:at] + block + sparql[at:]
    after = _parse_only(injected)
    if isinstance(before, ox.QuerySolutions) and (
        not isinstance(after, ox.QuerySolutions)
        or [v.value for v in before.variables] != [v.value for v in after.variables]
    ):
        raise ParameterError("a parameter value changed the query's structure")
    return injected


def _outer_where_brace(sparql: str) -> int:
    """Index of the `{` opening the outermost WHERE group (skipping strings, IRIs, comments).

    The group follows the WHERE keyword at depth 0 when there is one (CONSTRUCT needs it:
    its first `{` is the template), else it is the first `{` at depth 0 (`ASK { … }`).
    """
    depth, i, n = 0, 0, len(sparql)
    first_brace = -1
    after_where = False
    while i < n:
        c = sparql[i]
        if c == "#":
            nl = sparql.find("\n", i)
            i = n if nl < 0 else nl + 1
            continue
        if c in "\"'":
            i = _skip_string(sparql, i)
            continue
        if c == "<" and _looks_like_iri(sparql, i):
            i = sparql.index(">", i) + 1
            continue
        if c == "{":
            if depth == 0:
                if after_where:
                    return i
                if first_brace < 0:
                    first_brace = i
            depth += 1
        elif c == "}":
            depth -= 1
        elif depth == 0 and sparql[i:i + 5].upper() == "WHERE" and _word_at(sparql, i, 5):
            after_where = True
            i += 5
            continue
        i += 1
    if first_brace < 0:
        raise QueryError("the query has no WHERE group to bind parameters in")
    return first_brace


def _skip_string(s: str, i: int) -> int:
    quote = s[i]
    long_quote = s[i:i + 3] == quote * 3
    end_mark = quote * 3 if long_quote else quote
    j = i + len(end_mark)
    while j < len(s):
        if s[j] == "\\":
            j += 2
            continue
        if s.startswith(end_mark, j):
            return j + len(end_mark)
        j += 1
    return len(s)


def _looks_like_iri(s: str, i: int) -> bool:
    end = s.find(">", i)
    return end > 0 and not re.search(r"[\s<\"{}|^`\\]", s[i + 1:end])


def _word_at(s: str, i: int, length: int) -> bool:
    before = s[i - 1] if i > 0 else " "
    after = s[i + length] if i + length < len(s) else " "
    return not (before.isalnum() or before in "_:?$") and not (after.isalnum() or after in "_:")
