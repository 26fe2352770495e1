"""A real Virtuoso Open Source 7 for the tests, run as an ordinary process.

How (docs: /work/shared/VERIFIED.md): copy the Debian package's virtuoso.ini, point every
database, log and lock file at a private folder, bind both ports (SQL and HTTP) to
127.0.0.1 on free ports, and start `virtuoso-t -c INI +wait`, which daemonises and returns
once the server answers. `stop()` sends `shutdown;` through isql-vt.

For the tests only, the anonymous SPARQL user is granted SPARQL_UPDATE so that the Graph
Store Protocol endpoint `/sparql-graph-crud` accepts PUT without authentication; a real
deployment publishes through `/sparql-graph-crud-auth` with credentials instead.

The server is shared by the whole session (`shared_server`).

When `virtuoso-t` is not installed the fixtures skip, except under CI=true where they fail:
a CI run that silently skips the remote backend would prove nothing about it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

DEFAULT_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
VIRTUOSO = "virtuoso-t"
ISQL = "isql-vt"
DBA = ("dba", "dba")  # the fresh database's default password; never exposed beyond 127.0.0.1


@dataclass
class Virtuoso:
    """One running server: where it listens and where its files are."""

    folder: Path
    sql_port: int
    http_port: int
    started_in: float = 0.0

    @property
    def sparql_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/sparql"

    @property
    def gsp_url(self) -> str:
        """Graph Store Protocol endpoint without authentication (needs SPARQL_UPDATE)."""
        return f"http://127.0.0.1:{self.http_port}/sparql-graph-crud"

    @property
    def gsp_auth_url(self) -> str:
        """Graph Store Protocol endpoint with HTTP digest authentication (dba/dba here)."""
        return f"http://127.0.0.1:{self.http_port}/sparql-graph-crud-auth"

    @property
    def data_dir(self) -> Path:
        """A folder the server may read files from (DirsAllowed), for ld_dir bulk loads."""
        return self.folder / "load"

    def isql(self, sql: str, *, timeout: float = 60) -> str:
        """Run SQL statements through isql-vt as dba; raises on failure."""
        done = subprocess.run(
            [ISQL, f"127.0.0.1:{self.sql_port}", *DBA, f"exec={sql}"],
            capture_output=True, text=True, timeout=timeout, check=False,
        )
        if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
            raise RuntimeError(f"isql-vt failed ({done.returncode}): {done.stdout}{done.stderr}")
        return done.stdout

    def bulk_load(self, file: Path, graph: str) -> None:
        """Load one RDF file into `graph` with Virtuoso's bulk loader."""
        self.data_dir.mkdir(exist_ok=True)
        target = self.data_dir / file.name
        shutil.copyfile(file, target)
        self.isql(
            f"ld_dir('{self.data_dir}', '{file.name}', '{graph}'); rdf_loader_run(); checkpoint;"
        )

    def stop(self) -> None:
        try:
            self.isql("shutdown;", timeout=30)
        except (RuntimeError, subprocess.TimeoutExpired):
            pass  # shutdown closes the connection under isql; check the lock file instead
        deadline = time.monotonic() + 30
        while (self.folder / "virtuoso.lck").exists() and time.monotonic() < deadline:
            time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_ini(folder: Path, sql_port: int, http_port: int, template: Path = DEFAULT_INI) -> Path:
    """The package's ini with every file in `folder` and both ports on 127.0.0.1.

    Line-based rather than configparser: the shipped file repeats keys and has inline `;`
    comments that configparser refuses.
    """
    files = {
        "Database": {
            "DatabaseFile": "virtuoso.db",
            "ErrorLogFile": "virtuoso.log",
            "LockFile": "virtuoso.lck",
            "TransactionFile": "virtuoso.trx",
            "xa_persistent_file": "virtuoso.pxa",
        },
        "TempDatabase": {
            "DatabaseFile": "virtuoso-temp.db",
            "TransactionFile": "virtuoso-temp.trx",
        },
    }
    values = {
        "Parameters": {
            "ServerPort": f"127.0.0.1:{sql_port}",
            "DirsAllowed": f"., /usr/share/virtuoso-opensource-7/vad, {folder / 'load'}",
            "CheckpointInterval": "0",
        },
        "HTTPServer": {"ServerPort": f"127.0.0.1:{http_port}"},
        "URIQA": {"DefaultHost": f"127.0.0.1:{http_port}"},
    }
    for section, names in files.items():
        values[section] = {k: str(folder / v) for k, v in names.items()}
    out, section = [], ""
    for line in template.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1]
        elif "=" in stripped and not stripped.startswith(";"):
            key = stripped.split("=", 1)[0].strip()
            if key in values.get(section, {}):
                line = f"{key} = {values[section][key]}"
        out.append(line)
    ini = folder / "virtuoso.ini"
    ini.write_text("\n".join(out) + "\n")
    return ini


def start(folder: Path, *, timeout: float = 60) -> Virtuoso:
    """Start a fresh server with its database in `folder`; returns once SPARQL answers."""
    started = time.monotonic()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "load").mkdir(exist_ok=True)
    server = Virtuoso(folder, free_port(), free_port())
    ini = write_ini(folder, server.sql_port, server.http_port)
    done = subprocess.run(
        [VIRTUOSO, "-c", str(ini), "+wait"], cwd=folder, capture_output=True, text=True,
        timeout=timeout, check=False,
    )
    if done.returncode != 0:
        log = (folder / "virtuoso.log").read_text(errors="replace")[-2000:] if (
            folder / "virtuoso.log").exists() else ""
        raise RuntimeError(f"virtuoso-t did not start ({done.returncode}): {done.stderr}{log}")
    _wait_http(server.sparql_url, started + timeout)
    server.isql('grant SPARQL_UPDATE to "SPARQL";')
    server.started_in = time.monotonic() - started
    return server


def _wait_http(url: str, deadline: float) -> None:
    while True:
        try:
            if requests.get(url, params={"query": "ASK {}"}, timeout=5).ok:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"Virtuoso does not answer at {url}")
        time.sleep(0.2)


def require_virtuoso() -> None:
    """Skip (or, under CI=true, fail) when Virtuoso is not installed."""
    missing = [tool for tool in (VIRTUOSO, ISQL) if shutil.which(tool) is None]
    if not missing:
        return
    reason = (
        f"{' and '.join(missing)} not found: install Debian's virtuoso-opensource "
        "(make setup-debian)"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


_shared: Virtuoso | None = None


def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Virtuoso:
    """One server for the whole test session, whichever module asks first.

    A session fixture defined in several modules is instantiated once per module, and
    starting Virtuoso costs seconds, so the modules' fixtures all call this; the server
    stops when the test process exits. Modules keep to their own graphs (see each module).
    """
    global _shared
    require_virtuoso()
    if _shared is None:
        _shared = start(tmp_path_factory.getbasetemp() / "virtuoso")
        atexit.register(_shared.stop)
    return _shared
