"""The benchmark of the SPARQL service: build, latency, throughput and memory, per scale,
side by side with rdflib's in-memory store and Virtuoso 7 on the same data and queries.

    .venv/bin/python bench/run.py                       # scales 100k,1m (make bench)
    .venv/bin/python bench/run.py --scales 100k --reps 10 --load-seconds 5

For each scale (triples of generated ESS data, `bench/generate.py`; the real territorial
reference and the inferences come on top):

1. generate the data (kept in --out/<scale>/ and reused when the generator's output is
   there already; --regenerate forces it);
2. build it with the real pipeline (`essgraph.build.build`: load -> territories -> reason ->
   validate -> store) in a subprocess: seconds per stage and peak RSS;
3. export the build as N-Quads; time a pyoxigraph bulk load, a Virtuoso bulk load
   (ld_dir/rdf_loader_run) and an rdflib parse of that same file;
4. serve it: `essgraph serve` (gunicorn, its defaults: 1 web worker x 2 query workers and
   the result cache; query time limit raised to 60 s like Virtuoso's), the same with the
   result cache off ("essgraph-nocache"), Virtuoso's /sparql, and rdflib behind
   bench/rdflib_server.py (scales up to --rdflib-max only);
5. per query of the mix: one warm-up request, then --reps timed requests, median and p95;
   then --clients threads sending the mix for --load-seconds: requests per second;
   serving memory (RSS and PSS summed over the process tree, from /proc).

Ends with the table of targets (PASS/MISS). Everything listens on 127.0.0.1 only. Progress
on stderr, results on stdout and in --out/results-<time>.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402  (bench/ is not a package)

from essgraph import queries as named  # noqa: E402

NAMED = ROOT / "queries"
OWN = BENCH / "queries"

# The mix: (query file, {parameter: key of params.json}). The named queries of queries/
# that a user runs on a national graph, with their parameters mapped onto generated
# entities, then the bench's own comparison, containment and two-hop queries.
MIX: list[tuple[Path, dict[str, str]]] = [
    (NAMED / "acteurs-territoire.rq", {"territory": "epci"}),
    (NAMED / "acteurs-par-theme.rq", {"theme": "theme", "source": "region_source"}),
    (NAMED / "politiques-territoire.rq", {"territory": "epci"}),
    (NAMED / "chronologie-politique-territoire.rq", {"territory": "epci"}),
    (NAMED / "partenaires-acteur.rq", {"actor": "actor"}),
    (NAMED / "membres-instance.rq", {"body": "network"}),
    (NAMED / "editions-serie.rq", {"series": "series"}),
    (NAMED / "evenements-annee.rq", {"year": "year"}),
    (NAMED / "indicateurs-sujet.rq", {"subject": "indicator_subject"}),
    (NAMED / "partenariats-par-nature.rq", {"nature": "nature", "source": "region_source"}),
    (NAMED / "source-fait.rq", {"resource": "actor"}),
    (NAMED / "territoires-contenus.rq", {"territory": "epci"}),
    (NAMED / "recherche-nom.rq", {"q": "search"}),
    (NAMED / "comparaison-territoires.rq", {}),
    (OWN / "actors-per-epci.rq", {}),
    (OWN / "actors-per-region.rq", {}),
    (OWN / "actors-per-legal-form.rq", {}),
    (OWN / "actors-in-region.rq", {"region": "region"}),
    (OWN / "partners-of-partners.rq", {"actor": "actor"}),
    (OWN / "policies-around-actor.rq", {"actor": "actor"}),
]

# Targets of the issue (anchors measured at 1M triples: load pyoxigraph 3.8 s, Virtuoso
# 8.3 s, rdflib 38 s; a GROUP BY count: Virtuoso 6 ms over HTTP, pyoxigraph 75 ms
# in-process, rdflib 4.4 s).
TARGET_VS_VIRTUOSO = 1.0  # geometric mean of essgraph/virtuoso median ratios, at 1m
TARGET_VS_RDFLIB = 50.0  # geometric mean of rdflib/essgraph median ratios, at 100k
TARGET_BUILD_SECONDS = 60.0  # build of 1m
TARGET_BUILD_MB = 2048.0
TARGET_SERVING_MB = 300.0

SPARQL_JSON = "application/sparql-results+json"
QUERY_BUDGET_SECONDS = 30.0
VIRTUOSO_LIMIT = 60.0  # MaxQueryExecutionTime of the ini

# The throughput test sends the interactive part of the mix: the queries about one entity
# (the pages a visitor opens), not the national scans and aggregates, which would leave
# a 10 s window with a handful of requests. acteurs-territoire is left out too: Virtuoso 7
# stops it at its 60 s limit (its `ess:locatedIn?` / `ess:within?` paths), which would
# measure that one query rather than the service.
LOAD_MIX = {
    "politiques-territoire", "chronologie-politique-territoire",
    "partenaires-acteur", "membres-instance", "editions-serie", "indicateurs-sujet",
    "source-fait", "actors-in-region", "partners-of-partners", "policies-around-actor",
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {os.getloadavg()[0]:.2f}] {message}",
          file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_tree(root: int) -> list[int]:
    """`root` and every descendant, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


def memory_mb(pids: list[int]) -> dict[str, float]:
    """RSS and PSS (shared pages divided among their users) summed over `pids`, in MB."""
    rss = pss = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            continue
    return {"rss_mb": round(rss / 1024, 1), "pss_mb": round(pss / 1024, 1),
            "processes": len(pids)}


def wait_http(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited ({proc.returncode})")
        try:
            r = requests.post(url, data={"query": "ASK { ?s ?p ?o }"},
                              headers={"Accept": SPARQL_JSON}, timeout=30)
            if r.ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    """Stop a server we started (its process group: gunicorn and its workers)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


# --------------------------------------------------------------------------- build


def build_child(data_dir: str, store_dir: str) -> int:
    """Runs in the build subprocess: the real build, its summary as JSON on stdout."""
    from essgraph.build import build
    from essgraph.config import Settings

    settings = Settings.load(data_dir=Path(data_dir), store_dir=Path(store_dir),
                             keep_builds=0)
    summary = build(settings, progress=lambda m: print(f"  build: {m}", file=sys.stderr,
                                                       flush=True))
    out = {
        "seconds": summary.seconds,
        "total_triples": summary.total,
        "triples_per_graph": summary.triples_per_graph,
        "reasoning": summary.reasoning,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "path": str(summary.path),
    }
    print(json.dumps(out))
    return 0


def run_build(data_dir: Path, store_dir: Path, timeout: float, max_mb: float) -> dict:
    """The build in a subprocess, watched: killed past `timeout` s or `max_mb` of RSS."""
    if store_dir.exists():
        shutil.rmtree(store_dir)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "_build", str(data_dir), str(store_dir)],
        stdout=subprocess.PIPE, text=True, cwd=ROOT, start_new_session=True,
    )
    peak, reason = 0.0, None
    try:
        while proc.poll() is None:
            peak = max(peak, memory_mb([proc.pid])["rss_mb"])
            elapsed = time.perf_counter() - started
            if elapsed > timeout:
                reason = f"stopped after {timeout:.0f} s"
            elif peak > max_mb:
                reason = f"stopped at {peak:.0f} MB RSS"
            if reason:
                break
            time.sleep(0.5)
    finally:
        stop(proc)  # a no-op once it has exited; else (limit, SIGTERM) it must not linger
    output = proc.stdout.read() if proc.stdout else ""
    wall = round(time.perf_counter() - started, 1)
    if reason or proc.returncode != 0:
        return {"ok": False, "error": reason or f"exit {proc.returncode}", "wall_seconds": wall,
                "peak_rss_mb": peak}
    result = json.loads(output.strip().splitlines()[-1])
    result.update(ok=True, wall_seconds=wall,
                  peak_rss_mb=max(result["peak_rss_mb"], peak))
    s = result["seconds"]
    result["split"] = {
        "load": round(s.get("load", 0) + s.get("territories", 0), 1),
        "inference": round(s.get("reason", 0), 1),
        "validation": round(s.get("validate", 0), 1),
        "store": round(s.get("store", 0), 1),
    }
    result["total_seconds"] = round(sum(s.values()), 1)
    return result


def export_nquads(build_path: Path, dump: Path) -> float:
    import pyoxigraph as ox

    started = time.perf_counter()
    store = ox.Store.read_only(str(build_path))
    with dump.open("wb") as f:
        store.dump(f, ox.RdfFormat.N_QUADS)
    del store
    return round(time.perf_counter() - started, 1)


def time_pyoxigraph_load(dump: Path, scratch: Path | None) -> float:
    """Bulk load of the dump into a fresh pyoxigraph store, on disk in `scratch` or in
    memory (None), in a subprocess."""
    if scratch is not None and scratch.exists():
        shutil.rmtree(scratch)
    code = (
        "import sys,time,pyoxigraph as ox\n"
        "t=time.perf_counter(); s=ox.Store(sys.argv[2] or None);"
        " s.bulk_load(path=sys.argv[1], format=ox.RdfFormat.N_QUADS); s.flush()\n"
        "print(round(time.perf_counter()-t,1))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(dump), str(scratch or "")],
                          capture_output=True, text=True, check=True)
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)
    return float(done.stdout.strip())


# --------------------------------------------------------------------------- engines


@dataclass
class Engine:
    name: str
    url: str
    pids: Any  # () -> list[int]
    close: Any  # () -> None
    load_seconds: float | None = None
    info: dict = field(default_factory=dict)


def start_essgraph(store_dir: Path, logs: Path, limit: float, *, cache: bool = True) -> Engine:
    """`essgraph serve` with its defaults; `cache=False` turns the result cache off (every
    request is evaluated: what a first visitor of each query gets after a rebuild)."""
    port = free_port()
    env = {**os.environ, "ESSGRAPH_STORE_DIR": str(store_dir)}
    if not cache:
        env["ESSGRAPH_RESULT_CACHE_MB"] = "0"
    name = "essgraph" if cache else "essgraph-nocache"
    log_file = (logs / f"{name}-serve.log").open("w")
    proc = subprocess.Popen(
        [str(BIN / "essgraph"), "serve", "--port", str(port), "--timeout", f"{limit:g}"],
        env=env, stdout=log_file, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/sparql"
    try:
        wait_http(url, 120, proc)
    except RuntimeError:
        stop(proc)
        raise
    return Engine(name, url, lambda: process_tree(proc.pid), lambda: stop(proc),
                  info={"config": f"essgraph serve (defaults), --timeout {limit:g}, result "
                                  f"cache {'on' if cache else 'off'}"})


def start_rdflib(dump: Path, logs: Path, limit: float) -> Engine:
    port = free_port()
    log_file = (logs / "rdflib-serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, str(BENCH / "rdflib_server.py"), str(dump), str(port), str(limit)],
        stdout=subprocess.PIPE, stderr=log_file, text=True, cwd=ROOT, start_new_session=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("ready"):
        stop(proc)
        raise RuntimeError(f"rdflib server did not start: {line!r}")
    url = f"http://127.0.0.1:{port}/sparql"
    wait_http(url, 600, proc)
    return Engine("rdflib", url, lambda: process_tree(proc.pid), lambda: stop(proc),
                  load_seconds=float(line.split()[1]),
                  info={"config": "rdflib Dataset(default_union=True) behind werkzeug, "
                                  f"threaded, each query in a fork killed after {limit:g} s"})


def _virtuoso_module():
    spec = importlib.util.spec_from_file_location("bench_virtuoso", ROOT / "tests" /
                                                  "virtuoso.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def start_virtuoso(dump: Path, folder: Path, buffers: int) -> Engine:
    """A private Virtuoso (tests/virtuoso.py's ini), buffers set, the dump bulk-loaded."""
    v = _virtuoso_module()
    if shutil.which(v.VIRTUOSO) is None:
        raise RuntimeError("virtuoso-t is not installed (make setup-debian)")
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "load").mkdir(parents=True)
    server = v.Virtuoso(folder, v.free_port(), v.free_port())
    ini = v.write_ini(folder, server.sql_port, server.http_port)
    tuned = []
    for line in ini.read_text().splitlines():
        key = line.split("=", 1)[0].strip()
        if key == "NumberOfBuffers":
            line = f"NumberOfBuffers = {buffers}"
        elif key == "MaxDirtyBuffers":
            line = f"MaxDirtyBuffers = {buffers * 3 // 4}"
        tuned.append(line)
    ini.write_text("\n".join(tuned) + "\n")
    subprocess.run([v.VIRTUOSO, "-c", str(ini), "+wait"], cwd=folder, check=True,
                   capture_output=True, timeout=120)
    v._wait_http(server.sparql_url, time.monotonic() + 120)
    target = folder / "load" / dump.name
    try:
        os.link(dump, target)
    except OSError:
        shutil.copyfile(dump, target)
    started = time.perf_counter()
    server.isql(f"ld_dir('{folder / 'load'}', '{dump.name}', "
                "'https://w3id.org/essgraph/graph/unnamed'); rdf_loader_run(); checkpoint;",
                timeout=3600)
    load_seconds = round(time.perf_counter() - started, 1)
    errors = server.isql("SELECT ll_error FROM DB.DBA.load_list WHERE ll_error IS NOT NULL;")

    def pids() -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if str(ini).encode() in (entry / "cmdline").read_bytes():
                        found.append(int(entry.name))
                except OSError:
                    continue
        return found

    return Engine("virtuoso", server.sparql_url, pids, server.stop, load_seconds=load_seconds,
                  info={"config": f"Virtuoso {virtuoso_version()} NumberOfBuffers={buffers}, "
                                  "ResultSetMaxRows=10000, MaxQueryExecutionTime=60",
                        "load_errors": errors.strip()[-500:]})


def virtuoso_version() -> str:
    done = subprocess.run(["virtuoso-t", "-?"], capture_output=True, text=True, check=False)
    for line in (done.stdout + done.stderr).splitlines():
        if "Version" in line:
            return line.split("Version", 1)[1].split()[0]
    return "7"


# --------------------------------------------------------------------------- queries


def prepare_mix(params: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, SPARQL text) per query, parameters bound the way essgraph binds them (a VALUES
    block built from terms), so that the three engines receive the very same text."""
    mix = []
    for path, mapping in MIX:
        nq = named.load_named_query(path)
        raw = {p: str(params[key]) for p, key in mapping.items()
               if p in nq.params and params.get(key) is not None}
        terms = named.bind(nq, raw)
        sparql = named.inject_values(nq.sparql, terms) if terms else nq.sparql
        mix.append((path.stem, sparql))
    return mix


def ask(session: requests.Session, url: str, sparql: str, timeout: float) -> tuple[float, Any]:
    """(seconds, rows or an error string) for one request."""
    started = time.perf_counter()
    try:
        r = session.post(url, data={"query": sparql}, headers={"Accept": SPARQL_JSON},
                         timeout=timeout)
        elapsed = time.perf_counter() - started
        if not r.ok:
            return elapsed, f"HTTP {r.status_code}: {' '.join(r.text.split())[:160]}"
        body = r.json()
        rows = len(body["results"]["bindings"]) if "results" in body else 1
        return elapsed, rows
    except (requests.RequestException, ValueError, KeyError) as e:
        return time.perf_counter() - started, f"{type(e).__name__}: {str(e)[:160]}"


def inprocess_split(build_path: Path, mix: list[tuple[str, str]], served: dict) -> dict:
    """Where essgraph's time goes, without HTTP: the guard's check (rdflib's SPARQL parser,
    run by the query worker before every query) and pyoxigraph's evaluation, median of 3
    each. Queries that took over 5 s through HTTP are skipped."""
    import pyoxigraph as ox

    from essgraph import guard

    store = ox.Store.read_only(str(build_path))
    out = {}
    for name, sparql in mix:
        median = served.get("queries", {}).get(name, {}).get("median_ms")
        if median is None or median > 5000:
            continue
        checks, runs = [], []
        for _ in range(3):
            t = time.perf_counter()
            guard.check_query(sparql)
            checks.append(time.perf_counter() - t)
            t = time.perf_counter()
            rows = sum(1 for _ in store.query(sparql, use_default_graph_as_union=True))
            runs.append(time.perf_counter() - t)
        out[name] = {"guard_ms": round(statistics.median(checks) * 1000, 1),
                     "query_ms": round(statistics.median(runs) * 1000, 1),
                     "http_ms": median, "rows": rows}
        log(f"in-process {name}: {out[name]}")
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, math.ceil(q * len(ordered)) - 1)
    return ordered[k]


def measure_latency(engine: Engine, mix: list[tuple[str, str]], reps: int,
                    timeout: float) -> dict[str, dict]:
    out = {}
    session = requests.Session()
    for name, sparql in mix:
        warm, rows = ask(session, engine.url, sparql, timeout)  # warm-up
        if isinstance(rows, str):
            out[name] = {"error": rows, "seconds": round(warm, 1)}
            log(f"{engine.name} {name}: {rows}")
            continue
        times = []
        # At least 3 timed requests; fewer than `reps` when a query is slow (~30 s each).
        for _ in range(max(3, min(reps, int(QUERY_BUDGET_SECONDS / max(warm, 1e-3))))):
            seconds, result = ask(session, engine.url, sparql, timeout)
            if isinstance(result, str):
                out[name] = {"error": result}
                break
            times.append(seconds)
        if name not in out:
            out[name] = {"rows": rows, "n": len(times),
                         "median_ms": round(statistics.median(times) * 1000, 2),
                         "p95_ms": round(percentile(times, 0.95) * 1000, 2)}
        log(f"{engine.name} {name}: {out[name]}")
    return out


def measure_throughput(engine: Engine, mix: list[tuple[str, str]], clients: int,
                       seconds: float, timeout: float) -> dict:
    """`clients` threads, each sending the mix round-robin (from its own offset) until the
    deadline; requests per second over the whole run (until the last answer)."""
    done, failed = [0] * clients, [0] * clients
    deadline = time.perf_counter() + seconds

    def client(i: int) -> None:
        session = requests.Session()
        k = i * max(1, len(mix) // clients)
        while time.perf_counter() < deadline:
            _, result = ask(session, engine.url, mix[k % len(mix)][1], timeout)
            if isinstance(result, str):
                failed[i] += 1
            else:
                done[i] += 1
            k += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    peak: dict[str, float] = {"rss_mb": 0.0, "pss_mb": 0.0}
    while any(t.is_alive() for t in threads):
        now = memory_mb(engine.pids())
        peak = {k: max(peak[k], now[k]) for k in peak}
        time.sleep(0.5)
    elapsed = time.perf_counter() - started
    return {"clients": clients, "seconds": round(elapsed, 1), "requests": sum(done),
            "failed": sum(failed), "rps": round(sum(done) / elapsed, 2),
            "peak_rss_mb": peak["rss_mb"], "peak_pss_mb": peak["pss_mb"]}


def compare(slow: dict[str, dict], fast: dict[str, dict], slow_limit: float,
            fast_limit: float) -> dict:
    """median(slow) / median(fast) per query both answered, and their geometric mean.

    Where `slow` was stopped at its time limit, limit / median(fast) is a lower bound of the
    ratio; where `fast` was, median(slow) / limit is an upper bound. `geomean_with_bounds`
    counts those queries at the bound (an estimate, not a bound itself, when both kinds
    occur). Queries an engine refused with an error are listed in `failed`."""
    r = ratios(slow, fast)
    lower = {
        q: round(slow_limit * 1000 / fast[q]["median_ms"], 3)
        for q, entry in slow.items()
        if _stopped(entry.get("error", "")) and "median_ms" in fast.get(q, {})
    }
    upper = {
        q: round(slow[q]["median_ms"] / (fast_limit * 1000), 3)
        for q, entry in fast.items()
        if _stopped(entry.get("error", "")) and "median_ms" in slow.get(q, {})
    }
    bounded = list(r.values()) + list(lower.values()) + list(upper.values())
    return {"per_query": r, "geomean": geomean(list(r.values())), "lower_bounds": lower,
            "upper_bounds": upper, "geomean_with_bounds": geomean(bounded),
            "failed": sorted({q for side in (slow, fast) for q, e in side.items()
                              if "error" in e and q not in lower and q not in upper})}


def _stopped(error: str) -> bool:
    return any(mark in error for mark in ("QUERY_TIMEOUT", "stopped after", "Timeout",
                                          "timed out"))


def geomean(values: list[float]) -> float | None:
    values = [v for v in values if v > 0]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def ratios(a: dict[str, dict], b: dict[str, dict]) -> dict[str, float]:
    """median(a) / median(b) for the queries both answered."""
    return {
        q: round(a[q]["median_ms"] / b[q]["median_ms"], 3)
        for q in a
        if "median_ms" in a[q] and "median_ms" in b.get(q, {}) and b[q]["median_ms"] > 0
    }


# --------------------------------------------------------------------------- one scale


def bench_scale(scale: str, args: argparse.Namespace) -> dict:
    out_dir = args.out / scale
    logs = out_dir / "logs"
    result: dict[str, Any] = {"scale": scale, "load_average_start": os.getloadavg()}
    params_file = out_dir / "params.json"
    if args.regenerate or not params_file.exists():
        log(f"{scale}: generating")
        generated = generate.generate(generate.SCALES[scale], out_dir)
    else:
        generated = json.loads(params_file.read_text())
    logs.mkdir(parents=True, exist_ok=True)
    params = dict(generated["params"])
    params["region_source"] = None  # acteurs-par-theme etc.: every source
    result["generated"] = {k: generated[k] for k in ("triples", "stats", "seconds", "seed")}

    store_dir = out_dir / "store"
    build_file = out_dir / "build.json"
    if args.reuse_build and build_file.exists() and (store_dir / "current").exists():
        build = {**json.loads(build_file.read_text()), "reused": True}
        log(f"{scale}: reusing the build measured earlier ({build_file})")
    else:
        log(f"{scale}: building ({generated['triples']} generated triples)")
        build = run_build(out_dir / "data", store_dir, args.build_timeout, args.build_max_mb)
        build["load_average_after"] = os.getloadavg()
        build_file.write_text(json.dumps(build, indent=2))
    result["build"] = build
    log(f"{scale}: build {build}")
    if not build["ok"]:
        return result

    dump = out_dir / "dump.nq"
    result["export_seconds"] = export_nquads(Path(build["path"]), dump)
    result["load"] = {"pyoxigraph (disk)": time_pyoxigraph_load(dump, out_dir / "oxload"),
                      "pyoxigraph (memory)": time_pyoxigraph_load(dump, None)}
    log(f"{scale}: pyoxigraph bulk loads of the dump {result['load']}")

    mix = prepare_mix(params)
    result["mix"] = [name for name, _ in mix]
    engines = [e for e in args.engines if e != "rdflib"
               or generate.SCALES[scale] <= generate.SCALES[args.rdflib_max]]
    result["engines"] = {}
    for name in engines:
        log(f"{scale}: starting {name}")
        try:
            if name in ("essgraph", "essgraph-nocache"):
                engine = start_essgraph(store_dir, logs, args.essgraph_limit,
                                        cache=name == "essgraph")
            elif name == "virtuoso":
                engine = start_virtuoso(dump, out_dir / "virtuoso", args.virtuoso_buffers)
            else:
                engine = start_rdflib(dump, logs, args.rdflib_limit)
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            result["engines"][name] = {"error": str(e)}
            log(f"{scale}: {name} did not start: {e}")
            continue
        if engine.load_seconds is not None:
            result["load"][name] = engine.load_seconds
        try:
            reps = args.reps if name != "rdflib" else args.rdflib_reps
            timeout = args.timeout if name != "rdflib" else args.rdflib_limit + 30
            entry: dict[str, Any] = {**engine.info, "load_average": os.getloadavg()}
            entry["memory_idle"] = memory_mb(engine.pids())
            entry["queries"] = measure_latency(engine, mix, reps, timeout)
            entry["memory_after_queries"] = memory_mb(engine.pids())
            if args.load_seconds > 0:
                entry["throughput"] = measure_throughput(
                    engine, [(n, q) for n, q in mix if n in LOAD_MIX], args.clients,
                    args.load_seconds, timeout)
            entry["memory_after_load"] = memory_mb(engine.pids())
            result["engines"][name] = entry
        finally:
            engine.close()
    if args.inprocess:
        log(f"{scale}: in-process split of essgraph's time (guard, query)")
        result["inprocess"] = inprocess_split(Path(build["path"]), mix,
                                              result["engines"].get("essgraph", {}))
    add_comparisons(result, args.essgraph_limit, args.rdflib_limit)
    if not args.keep:
        dump.unlink(missing_ok=True)
        shutil.rmtree(out_dir / "virtuoso", ignore_errors=True)
    return result


def add_comparisons(result: dict, essgraph_limit: float, rdflib_limit: float) -> None:
    """The ratios against Virtuoso and rdflib, for essgraph with and without its cache."""
    res = result.get("engines", {})
    for variant, suffix in (("essgraph", ""), ("essgraph-nocache", "_nocache")):
        ess = res.get(variant, {}).get("queries", {})
        if ess and res.get("virtuoso", {}).get("queries"):
            result[f"essgraph{suffix}_over_virtuoso"] = compare(
                ess, res["virtuoso"]["queries"], essgraph_limit, VIRTUOSO_LIMIT)
        if ess and res.get("rdflib", {}).get("queries"):
            result[f"rdflib_over_essgraph{suffix}"] = compare(
                res["rdflib"]["queries"], ess, rdflib_limit, essgraph_limit)


# --------------------------------------------------------------------------- report


def report(results: list[dict]) -> str:
    lines = []
    for r in results:
        scale = r["scale"]
        lines.append(f"\n=== scale {scale}: {r['generated']['triples']} generated triples "
                     f"(load average at start {r['load_average_start'][0]:.2f})")
        b = r["build"]
        if not b["ok"]:
            lines.append(f"build FAILED: {b['error']} (peak RSS {b['peak_rss_mb']:.0f} MB)")
            continue
        sp = b["split"]
        lines.append(
            f"build: {b['total_triples']} triples in the store; {b['total_seconds']} s = load "
            f"{sp['load']} + inference {sp['inference']} + validation {sp['validation']} + "
            f"store {sp['store']}; peak RSS {b['peak_rss_mb']:.0f} MB")
        lines.append("load of the exported N-Quads: " + ", ".join(
            f"{k} {v} s" for k, v in r["load"].items()))
        engines = [e for e in ("essgraph", "essgraph-nocache", "virtuoso", "rdflib")
                   if e in r["engines"]]
        header = f"{'query':36}" + "".join(f"{e + ' med/p95 ms':>26}" for e in engines)
        header += f"{'rows':>7}{'ess/virt':>10}{'rdf/ess':>9}{'cold/virt':>10}{'rdf/cold':>9}"
        lines.append(header)
        ev = r.get("essgraph_over_virtuoso", {}).get("per_query", {})
        re_ = r.get("rdflib_over_essgraph", {}).get("per_query", {})
        evc = r.get("essgraph_nocache_over_virtuoso", {}).get("per_query", {})
        rec = r.get("rdflib_over_essgraph_nocache", {}).get("per_query", {})
        for name in r.get("mix", []):
            cells = []
            rows = ""
            for e in engines:
                q = r["engines"][e].get("queries", {}).get(name, {})
                if "median_ms" in q:
                    cells.append(f"{q['median_ms']:>12.1f} /{q['p95_ms']:>10.1f}")
                    rows = rows or str(q["rows"])
                else:
                    cells.append(f"{'error' if q else '-':>24}")
            line = f"{name:36}" + "".join(f"{c:>26}" for c in cells) + f"{rows:>7}"
            line += f"{ev.get(name, ''):>10}{re_.get(name, ''):>9}"
            line += f"{evc.get(name, ''):>10}{rec.get(name, ''):>9}"
            lines.append(line)
        for e in engines:
            en = r["engines"][e]
            if "error" in en:
                lines.append(f"{e}: {en['error']}")
                continue
            t = en.get("throughput", {})
            m = en["memory_after_load"]
            lines.append(
                f"{e}: {t.get('rps', '-')} req/s ({t.get('clients', '-')} clients, "
                f"{t.get('requests', '-')} ok, {t.get('failed', '-')} failed); serving "
                f"RSS {m['rss_mb']:.0f} MB, PSS {m['pss_mb']:.0f} MB over {m['processes']} "
                f"processes (peak under load RSS {t.get('peak_rss_mb', '-')} MB)")
        if r.get("inprocess"):
            lines.append("essgraph in-process (ms): query / guard check / HTTP median")
            for name, x in r["inprocess"].items():
                lines.append(f"  {name:36}{x['query_ms']:>10.1f}{x['guard_ms']:>10.1f}"
                             f"{x['http_ms']:>10.1f}")
        for key in ("essgraph_over_virtuoso", "rdflib_over_essgraph",
                    "essgraph_nocache_over_virtuoso", "rdflib_over_essgraph_nocache"):
            c = r.get(key, {})
            if c.get("geomean"):
                stopped = {**c.get("lower_bounds", {}), **c.get("upper_bounds", {})}
                lines.append(
                    f"{key}: geometric mean {c['geomean']:.3f} over {len(c['per_query'])} "
                    f"queries both answered; counting {len(stopped)} stopped at a time limit "
                    f"at the limit ({', '.join(f'{q} {v}' for q, v in stopped.items())}) "
                    f"{c['geomean_with_bounds']:.3f}; refused with an error: "
                    f"{', '.join(c['failed']) or 'none'}")
    lines.append("\n=== targets")
    lines += [f"{verdict:5} {text}" for verdict, text in targets(results)]
    return "\n".join(lines)


def targets(results: list[dict]) -> list[tuple[str, str]]:
    by = {r["scale"]: r for r in results}
    out = []

    def verdict(ok: bool | None) -> str:
        return "n/a" if ok is None else "PASS" if ok else "MISS"

    r1 = by.get("1m", {})
    for suffix, how in (("", "result cache on"), ("_nocache", "result cache off")):
        g = r1.get(f"essgraph{suffix}_over_virtuoso", {}).get("geomean")
        if g is not None or not suffix:
            out.append((verdict(None if g is None else g <= TARGET_VS_VIRTUOSO),
                        f"mix at 1m no slower than Virtuoso ({how}): geomean "
                        f"essgraph/virtuoso = {'-' if g is None else f'{g:.2f}'} "
                        f"(target <= {TARGET_VS_VIRTUOSO})"))
        c = by.get("100k", {}).get(f"rdflib_over_essgraph{suffix}", {})
        # rdflib stopped at its limit: limit / essgraph is a lower bound, so count it.
        g = c.get("geomean_with_bounds") if not c.get("upper_bounds") else c.get("geomean")
        if g is not None or not suffix:
            out.append((verdict(None if g is None else g >= TARGET_VS_RDFLIB),
                        f"at least 50x faster than rdflib at 100k ({how}): geomean "
                        f"rdflib/essgraph = {'-' if g is None else f'{g:.1f}'} "
                        f"(target >= {TARGET_VS_RDFLIB:.0f})"))
    b = r1.get("build")
    if b is None:
        out.append(("n/a", "build of 1m within 60 s: 1m not run"))
        out.append(("n/a", "build of 1m within 2 GB peak RSS: 1m not run"))
    else:
        secs = b.get("total_seconds") if b["ok"] else None
        out.append((verdict(secs is not None and secs <= TARGET_BUILD_SECONDS),
                    f"build of 1m within 60 s: {secs if secs is not None else b['error']} s"))
        out.append((verdict(b["peak_rss_mb"] <= TARGET_BUILD_MB),
                    f"build of 1m within 2 GB peak RSS: {b['peak_rss_mb']:.0f} MB"))
    serving = [(r["scale"], r["engines"]["essgraph"]["memory_after_load"])
               for r in results if "memory_after_load" in r.get("engines", {}).get(
                   "essgraph", {})]
    if serving:
        worst = max(serving, key=lambda s: s[1]["rss_mb"])
        out.append((verdict(worst[1]["rss_mb"] < TARGET_SERVING_MB),
                    f"serving RSS under 300 MB: {worst[1]['rss_mb']:.0f} MB RSS "
                    f"({worst[1]['pss_mb']:.0f} MB PSS) at {worst[0]}, summed over "
                    f"{worst[1]['processes']} processes"))
    else:
        out.append(("n/a", "serving RSS under 300 MB: not measured"))
    return out


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_build"]:
        return build_child(argv[1], argv[2])
    if argv[:1] == ["report"]:  # re-render the tables of a results JSON (after a fix)
        record = json.loads(Path(argv[1]).read_text())
        for r in record["results"]:
            add_comparisons(r, 60.0, 30.0)
        print(report(record["results"]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="100k,1m",
                        help="comma-separated, of " + ", ".join(generate.SCALES))
    parser.add_argument("--engines", default="essgraph,essgraph-nocache,virtuoso,rdflib",
                        help="essgraph-nocache: essgraph with its result cache off")
    parser.add_argument("--reps", type=int, default=20, help="timed requests per query")
    parser.add_argument("--timeout", type=float, default=120.0, help="client timeout, s")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--load-seconds", type=float, default=10.0)
    parser.add_argument("--rdflib-max", default="100k", choices=sorted(generate.SCALES),
                        help="largest scale rdflib is run at (1m takes minutes per query)")
    parser.add_argument("--rdflib-reps", type=int, default=3)
    parser.add_argument("--essgraph-limit", type=float, default=60.0,
                        help="essgraph serve --timeout (Virtuoso's MaxQueryExecutionTime)")
    parser.add_argument("--rdflib-limit", type=float, default=30.0,
                        help="rdflib's time limit per query, s (a query over it is stopped)")
    parser.add_argument("--virtuoso-buffers", type=int, default=170_000,
                        help="NumberOfBuffers (the ini's advice for 2 GB of memory)")
    parser.add_argument("--build-timeout", type=float, default=1800.0)
    parser.add_argument("--build-max-mb", type=float, default=12_000.0)
    parser.add_argument("--out", type=Path, default=generate.DEFAULT_OUT)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--reuse-build", action="store_true",
                        help="reuse the store and build figures of an earlier run (build.json)")
    parser.add_argument("--no-inprocess", dest="inprocess", action="store_false",
                        help="skip the in-process split of essgraph's time (guard, query)")
    parser.add_argument("--keep", action="store_true", help="keep the dump and Virtuoso's db")
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    unknown = [s for s in scales if s not in generate.SCALES]
    if unknown:
        parser.error(f"unknown scale(s) {', '.join(unknown)}")
    args.out.mkdir(parents=True, exist_ok=True)
    # SIGTERM (kill, make's ^C) unwinds like an exception, so the servers get stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = datetime.now(UTC)
    results = []
    for scale in scales:
        results.append(bench_scale(scale, args))
    text = report(results)
    print(text)
    record = {
        "started": started.isoformat(), "command": " ".join([sys.argv[0], *argv]),
        "machine": {"cpus": os.cpu_count(), "load_average_end": os.getloadavg()},
        "results": results, "targets": targets(results),
    }
    path = args.out / f"results-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False, default=str))
    log(f"results written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
