"""Settings: one frozen dataclass, read from ESSGRAPH_* environment variables and CLI
options, built once at the edge (CLI, app factory, tests) and passed down."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    """Everything a stage needs to know about where things are and what is allowed."""

    root: Path = PROJECT_ROOT
    data_dir: Path = PROJECT_ROOT / "data"
    ontology_dir: Path = PROJECT_ROOT / "ontology"
    shapes_dir: Path = PROJECT_ROOT / "shapes"
    queries_dir: Path = PROJECT_ROOT / "queries"
    # The built stores live here: builds/<id>/ and a `current` symlink switched atomically.
    store_dir: Path = PROJECT_ROOT / "var" / "store"
    # An http(s) SPARQL 1.1 endpoint to query instead of the local build (empty: local).
    store_url: str = ""
    # Where npm installs the official découpage administratif.
    territories_dir: Path = (
        PROJECT_ROOT / "node_modules" / "@etalab" / "decoupage-administratif" / "data"
    )
    # "all": the whole official reference; "used": only the territories the data names
    # (and what contains them), for quick tests.
    territories_scope: str = "all"
    # How many finished builds to keep besides the current one.
    keep_builds: int = 2
    # Serving limits.
    query_timeout: float = 10.0
    max_rows: int = 10_000
    max_request_bytes: int = 1_000_000
    # Worker processes running SPARQL queries, per web process (killed at query_timeout).
    query_workers: int = 2
    # Web server (gunicorn) processes, each with its own query workers and result cache.
    web_workers: int = 1
    # Answers kept per web process, keyed by the immutable build (0 turns the cache off).
    result_cache_mb: int = 64
    # A query worker grown past this resident size is replaced once its answer is sent
    # (pyoxigraph keeps what a large query allocated); 0 never replaces one.
    query_worker_max_mb: int = 100
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = "http://127.0.0.1:8000/"
    # The public namespace of the graph's IRIs; /id/..., /concept/..., /ontology are its
    # paths on this server (docs/MODEL.md).
    public_base: str = "https://w3id.org/essgraph/"
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ESSGRAPH_<FIELD> variables, then explicit overrides (None = unset)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = env.get("ESSGRAPH_" + f.name.upper())
            if raw is not None:
                values[f.name] = _coerce(f.name, f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**{k: _as_type(cls, k, v) for k, v in values.items()})
        settings.check()
        return settings

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def check(self) -> None:
        if self.territories_scope not in ("all", "used"):
            raise ConfigError(
                f"territories_scope must be 'all' or 'used', not {self.territories_scope!r}",
                where="ESSGRAPH_TERRITORIES_SCOPE",
            )
        if self.query_timeout <= 0 or self.max_rows <= 0:
            raise ConfigError("query_timeout and max_rows must be positive")
        for name in ("query_workers", "web_workers"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, not {getattr(self, name)}",
                                  where="ESSGRAPH_" + name.upper())
        for name in ("result_cache_mb", "query_worker_max_mb"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be 0 (off) or more, not {getattr(self, name)}",
                                  where="ESSGRAPH_" + name.upper())


def _coerce(name: str, type_: Any, raw: str) -> Any:
    t = str(type_)
    try:
        if "Path" in t:
            return Path(raw)
        if t in ("int", "<class 'int'>"):
            return int(raw)
        if t in ("float", "<class 'float'>"):
            return float(raw)
    except ValueError as e:
        raise ConfigError(f"{raw!r} is not a valid value", where="ESSGRAPH_" + name.upper()) from e
    return raw


def _as_type(cls: type, name: str, value: Any) -> Any:
    t = str(next(f.type for f in fields(cls) if f.name == name))
    if "Path" in t and isinstance(value, str):
        return Path(value)
    return value
