"""The `essgraph` command: a thin edge over the library.

Options become Settings once, here, and are passed down; domain errors become one message
shape on stderr, "error CODE at WHERE: message", with exit code 2. Progress goes to stderr,
data to stdout, so `essgraph query ... --format csv > out.csv` stays clean.

Exit codes: 0 success; 1 `validate` found data that does not conform; 2 any error.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .config import Settings
from .errors import EssgraphError, ParameterError, ValidationFailed
from .store import EXPORT_FORMATS, open_store
from .store.results import to_csv, to_json, to_table


class DomainError(click.ClickException):
    """An EssgraphError at the edge: one line on stderr, exit code 2."""

    exit_code = 2

    def __init__(self, error: EssgraphError):
        super().__init__(error.message)
        self.error = error

    def format_message(self) -> str:
        e = self.error
        where = f" at {e.where}" if e.where else ""
        return f"error {e.code}{where}: {e.message}"

    def show(self, file: Any = None) -> None:
        click.echo(self.format_message(), err=True)


class EssgraphGroup(click.Group):
    """Turns every EssgraphError raised by a command into a DomainError."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EssgraphError as e:
            raise DomainError(e) from e


def _settings(**overrides: Any) -> Settings:
    """Defaults < ESSGRAPH_* environment < command-line options."""
    return Settings.load(**overrides)


def _progress(message: str) -> None:
    click.echo(message, err=True)


store_dir_option = click.option(
    "--store-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where builds live (builds/<id>/ and the `current` link). "
    "Default: $ESSGRAPH_STORE_DIR or var/store.",
)


@click.group(cls=EssgraphGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="essgraph")
def essgraph() -> None:
    """The knowledge graph of the French social and solidarity economy (ESS).

    \b
    A typical session:
      essgraph build                      # load, reason, validate, store
      essgraph queries                    # what can I ask?
      essgraph query acteurs-territoire --param territory=essid:territoire/epci/242100410
      essgraph export --format trig --output ess.trig
      essgraph serve                      # SPARQL, named-query API and editor on :8000

    Settings come from ESSGRAPH_* environment variables (ESSGRAPH_STORE_DIR,
    ESSGRAPH_DATA_DIR, ESSGRAPH_TERRITORIES_SCOPE, ...) and the options of each command.
    Errors print "error CODE at WHERE: message" and exit with 2.
    """


@essgraph.command()
@click.option(
    "--territories",
    type=click.Choice(["all", "used"]),
    default=None,
    help="all: the whole official reference (default); used: only the territories the data "
    "names and what contains them (fast, for trying things out).",
)
@store_dir_option
@click.option(
    "--publish",
    "publish_url",
    metavar="GSP_URL",
    default=None,
    help="After the build, replace each named graph of a remote store with the build's, "
    "through the SPARQL 1.1 Graph Store HTTP Protocol (e.g. Virtuoso's "
    "http://host:8890/sparql-graph-crud-auth).",
)
@click.option("--publish-user", default=None, help="User for digest authentication.")
@click.option(
    "--publish-password",
    default=None,
    envvar="ESSGRAPH_PUBLISH_PASSWORD",
    help="Password for digest authentication. Default: $ESSGRAPH_PUBLISH_PASSWORD.",
)
def build(
    territories: str | None,
    store_dir: Path | None,
    publish_url: str | None,
    publish_user: str | None,
    publish_password: str | None,
) -> None:
    """Build the knowledge graph and make it the current store.

    Loads ontology/*.ttl and data/*.trig, adds the official territories, materialises the
    inferences, validates with shapes/*.ttl, writes a new store and switches to it. A
    failed build changes nothing: the current store keeps serving.

    With --publish, the new build is then pushed into a remote store, one named graph per
    PUT (each source graph replaced whole), and the counts are checked.

    \b
    Examples:
      essgraph build
      essgraph build --territories used --store-dir /tmp/ess-store
      essgraph build --publish http://127.0.0.1:8890/sparql-graph-crud-auth \\
                     --publish-user dba --publish-password dba
    """
    from .build import build as run_build

    settings = _settings(territories_scope=territories, store_dir=store_dir)
    try:
        summary = run_build(settings, progress=_progress)
    except ValidationFailed as e:
        if e.report is not None:
            from .validate import render

            click.echo(render(e.report), err=True)
        raise
    click.echo(_render_summary(summary))
    if publish_url:
        from .store.publish import publish

        auth = (publish_user, publish_password or "") if publish_user else None
        report = publish(summary.path, publish_url, auth=auth, progress=_progress)
        click.echo(f"published to {publish_url}: {report.total} statements")
        for graph, n in sorted(report.triples_per_graph.items()):
            click.echo(f"  {graph}  {n}")


@essgraph.command("validate")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--engine", type=click.Choice(["native", "pyshacl"]), default="native", show_default=True,
    help="native: the shapes as SPARQL on pyoxigraph (what the build runs); pyshacl: the "
    "reference implementation, much slower, for comparison.",
)
def validate_cmd(files: tuple[Path, ...], engine: str) -> None:
    """Check data files against the shapes, without building.

    With no FILES, checks the project's data folder. The ontology and the official
    territories the files name are added, and inferences materialised, as in a build.

    \b
    Exit codes: 0 the data conforms, 1 it does not (the report says where), 2 an error
    (for instance a file that is not valid RDF: "error RDF_SYNTAX at data/x.trig:12:5").

    \b
    Examples:
      essgraph validate
      essgraph validate data/002_dijon.trig
      essgraph validate --engine pyshacl
    """
    from .build import validate_files
    from .validate import render

    settings = _settings()
    report = validate_files(settings, list(files) or None, engine=engine, progress=_progress)
    click.echo(render(report))
    if not report.conforms:
        sys.exit(1)


@essgraph.command()
@click.argument("name")
@click.option(
    "--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
    help="A parameter of the named query; repeat for several.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
    show_default=True, help="table for reading; csv and json are the W3C SPARQL result formats.",
)
@store_dir_option
def query(name: str, params: tuple[str, ...], fmt: str, store_dir: Path | None) -> None:
    """Run a named query (or a .rq file) on the current build.

    NAME is a file name from queries/ without .rq (see `essgraph queries`), or the path of a
    .rq file with the same kind of header. Values are checked against the parameter's type
    and bound by the SPARQL engine, never pasted into the query text. IRIs may use the
    project prefixes (essid:, ess:, concept:, ...).

    \b
    Examples:
      essgraph query acteurs-territoire --param territory=essid:territoire/commune/21231
      essgraph query my-query.rq -p year=2024 --format csv > out.csv
    """
    from .queries import find_named_query, run

    settings = _settings(store_dir=store_dir)
    nq = find_named_query(name, settings.queries_dir)
    raw = dict(_key_value(p) for p in params)
    with open_store(settings) as store:
        result = run(store, nq, raw)
    render: Callable[[Any], str] = {"table": to_table, "csv": to_csv, "json": to_json}[fmt]
    click.echo(render(result), nl=False)


@essgraph.command()
@click.option(
    "--format", "fmt", type=click.Choice(list(EXPORT_FORMATS)), default="nq", show_default=True,
    help="nq, trig and jsonld keep the named graphs; ttl, nt and rdf (RDF/XML) write the union.",
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="File to write (default: stdout, unless one of the options below is given).",
)
@click.option(
    "--dumps", "dumps_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    metavar="DIR",
    help="Write the published dumps into DIR: essgraph.ttl, essgraph.nt.gz, essgraph.nq, "
    "essgraph.jsonld and manifest.json (sizes, SHA-256).",
)
@click.option(
    "--publish", "publish_dir", type=click.Path(file_okay=False, path_type=Path),
    default=None, metavar="DIR",
    help="Write everything a build publishes into DIR: the dumps, manifest.json, void.ttl "
    "and sitemap.xml.",
)
@click.option(
    "--void", "void_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
    metavar="FILE", help="Write the VoID description (Turtle) to FILE.",
)
@click.option(
    "--sitemap", "sitemap_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
    metavar="FILE",
    help="Write the sitemap of the resource pages to FILE (with FILE's folder holding the "
    "sitemap-N.xml parts beyond 50,000 pages).",
)
@click.option(
    "--catalog", "catalog_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
    metavar="FILE",
    help="Write the DCAT-AP catalog to FILE (.ttl, .rdf or .jsonld), describing the dumps "
    "of the current build (or those written by --dumps/--publish).",
)
@click.option(
    "--base-url", default=None, metavar="URL",
    help="Public URL of the service, used in VoID, sitemap and catalog URLs. "
    "Default: $ESSGRAPH_BASE_URL or http://127.0.0.1:8000/.",
)
@store_dir_option
def export(
    fmt: str,
    output: Path | None,
    dumps_dir: Path | None,
    publish_dir: Path | None,
    void_file: Path | None,
    sitemap_file: Path | None,
    catalog_file: Path | None,
    base_url: str | None,
    store_dir: Path | None,
) -> None:
    """Write the whole current build in an RDF format, or what a build publishes.

    With --format/--output, the whole graph in one RDF format. With --dumps, --publish,
    --void, --sitemap or --catalog, the files the service publishes (a build writes them
    too, into its own folder); --format/--output then only apply when --output is given.

    \b
    Examples:
      essgraph export --format trig --output essgraph.trig
      essgraph export --format nt | wc -l
      essgraph export --dumps out/                      # the four dumps and manifest.json
      essgraph export --publish out/ --base-url https://essgraph.example.org/
      essgraph export --catalog catalog.ttl --void void.ttl --sitemap sitemap.xml
    """
    settings = _settings(store_dir=store_dir, base_url=base_url)
    published = dumps_dir or publish_dir or void_file or sitemap_file or catalog_file
    if output is not None or not published:
        with open_store(settings) as store:
            if output is None:
                store.dump(sys.stdout.buffer, fmt)
            else:
                with open(output, "wb") as f:
                    store.dump(f, fmt)
                _progress(f"wrote {output}")
    if published:
        _export_published(settings, dumps_dir, publish_dir, void_file, sitemap_file,
                          catalog_file)


def _export_published(
    settings: Settings,
    dumps_dir: Path | None,
    publish_dir: Path | None,
    void_file: Path | None,
    sitemap_file: Path | None,
    catalog_file: Path | None,
) -> None:
    import pyoxigraph as ox

    from . import catalog, dumps, sitemap
    from .errors import UnknownFormat
    from .store import current_build

    build_dir = current_build(settings.store_dir)
    manifest_dir = dumps.publish_dir(build_dir)
    for out, parts in ((publish_dir, dumps.PARTS), (dumps_dir, ("dumps",))):
        if out is not None:
            dumps.publish(build_dir, settings, out_dir=out, parts=parts, progress=_progress)
            manifest_dir = out
            _progress(f"wrote {out}")
    if void_file is not None or sitemap_file is not None:
        store = ox.Store.read_only(str(build_dir))
        try:
            if void_file is not None:
                dumps.write_void(store, void_file, settings.base_url)
                _progress(f"wrote {void_file}")
            if sitemap_file is not None:
                files = sitemap.files(sitemap.resource_paths(store), settings.base_url)
                for name, body in files.items():
                    target = sitemap_file if name == sitemap.INDEX else sitemap_file.parent / name
                    target.write_bytes(body)
                _progress(f"wrote {sitemap_file}")
        finally:
            del store
    if catalog_file is not None:
        fmt = catalog_file.suffix.lstrip(".").lower()
        if fmt not in catalog.FORMATS:
            raise UnknownFormat(
                f"cannot tell the catalog's format from {catalog_file.name!r}; name it "
                ".ttl, .rdf or .jsonld", where=str(catalog_file),
            )
        graph = catalog.catalog_graph(dumps.read_manifest(manifest_dir), settings.base_url)
        catalog_file.write_bytes(catalog.serialize(graph, fmt))
        _progress(f"wrote {catalog_file}")


@essgraph.command("check-harvest")
@click.argument("url")
@click.option(
    "--shapes", "shapes_dir", envvar="ESSGRAPH_DCAT_AP_SHAPES",
    type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
    metavar="DIR",
    help="Folder with the DCAT-AP 3 SHACL shapes (SEMIC's shapes.ttl and range.ttl) to "
    "check the catalog with. Default: $ESSGRAPH_DCAT_AP_SHAPES; none: that check is skipped.",
)
@click.option(
    "--timeout", type=click.FloatRange(min=0, min_open=True), default=30.0, show_default=True,
    metavar="S", help="Time limit of each HTTP request, in seconds.",
)
def check_harvest(url: str, shapes_dir: Path | None, timeout: float) -> None:
    """Check that data.gouv.fr (udata) and CKAN (ckanext-dcat) can harvest a DCAT catalog.

    Replays what their harvesters do to URL: the format from the extension or from the
    Content-Type of a HEAD, GET with no Accept header and no redirect, the Hydra pages
    (hydra:next) each parsed on its own, HEAD then GET with the 50 MB limit, a
    dct:identifier on every dataset and data service, a licence on the distributions;
    then the DCAT-AP shapes. One line per check: OK, FAIL (what broke, [where]) or SKIP.

    \b
    Exit codes: 0 every check passes, 1 a check fails, 2 an error (the server cannot be
    reached, the URL is not http(s)).

    \b
    Examples:
      essgraph check-harvest http://127.0.0.1:8000/catalog
      essgraph check-harvest https://essgraph.example.org/catalog.jsonld --shapes dcat-ap/
    """
    from .harvest import check

    report = check(url, shapes_dir=shapes_dir, timeout=timeout)
    click.echo(report.render(), nl=False)
    if not report.ok:
        sys.exit(1)


@essgraph.command("queries")
def list_queries() -> None:
    """List the named queries with their parameters.

    \b
    Example:
      essgraph queries
    """
    from .queries import load_named_queries

    settings = _settings()
    for nq in load_named_queries(settings.queries_dir).values():
        click.echo(f"{nq.name}: {nq.title}")
        click.echo(f"    {nq.description}")
        for p in nq.params.values():
            flags = ", ".join(
                x for x in (
                    "required" if p.required else "optional",
                    f"default {p.default}" if p.default is not None else "",
                    f"e.g. {p.example}" if p.example else "",
                ) if x
            )
            click.echo(f"    --param {p.name}=<{p.type}>  ({flags}) {p.description}".rstrip())


@essgraph.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--host", default=None,
    help="Interface to listen on. Default: $ESSGRAPH_HOST or 127.0.0.1 (this machine only); "
    "0.0.0.0 listens on every interface.",
)
@click.option(
    "--port", type=click.IntRange(1, 65535), default=None,
    help="TCP port. Default: $ESSGRAPH_PORT or 8000.",
)
@click.option(
    "--workers", type=click.IntRange(min=1), default=None,
    help="Web server (gunicorn) processes, each with 8 threads, its own query processes "
    "and result cache. Default: $ESSGRAPH_WEB_WORKERS or 1.",
)
@click.option(
    "--query-workers", type=click.IntRange(min=1), default=None,
    help="Query processes per web process: how many queries run at once in each. "
    "Default: $ESSGRAPH_QUERY_WORKERS or 2.",
)
@click.option(
    "--result-cache-mb", type=click.IntRange(min=0), default=None, metavar="MB",
    help="Answers kept in memory per web process, per build (a new build is never answered "
    "from an older one's); 0 turns the cache off. Default: $ESSGRAPH_RESULT_CACHE_MB or 64.",
)
@click.option(
    "--timeout", type=click.FloatRange(min=0, min_open=True), default=None, metavar="S",
    help="Time limit of one query in seconds; a query running longer is stopped and "
    "answers 503 QUERY_TIMEOUT. Default: $ESSGRAPH_QUERY_TIMEOUT or 10.",
)
@click.option(
    "--max-rows", type=click.IntRange(min=1), default=None, metavar="N",
    help="Rows (or triples) an answer is cut after, marked with X-Essgraph-Truncated. "
    "Default: $ESSGRAPH_MAX_ROWS or 10000.",
)
@click.option(
    "--store", "store_url", default=None, metavar="URL",
    help="Serve a remote SPARQL endpoint instead of the local build "
    "(sparql+http://host:port/sparql). Default: $ESSGRAPH_STORE_URL.",
)
@click.option(
    "--base-url", default=None, metavar="URL",
    help="Public URL of the service, used in the service description, VoID and API links. "
    "Default: $ESSGRAPH_BASE_URL, else http://HOST:PORT/.",
)
@click.option(
    "--get", "get_path", default=None, metavar="PATH",
    help="Do not start a server: send one GET request (e.g. /api/queries) through the app, "
    "print the body, and exit 1 if it is an error.",
)
@store_dir_option
def serve(
    files: tuple[Path, ...],
    host: str | None,
    port: int | None,
    workers: int | None,
    query_workers: int | None,
    result_cache_mb: int | None,
    timeout: float | None,
    max_rows: int | None,
    store_url: str | None,
    base_url: str | None,
    get_path: str | None,
    store_dir: Path | None,
) -> None:
    """Serve the knowledge graph over HTTP: SPARQL, named queries, query editor, VoID.

    With no FILES, serves the current build (run `essgraph build` first). With FILES
    (.ttl, .nt, .nq, .trig, .rdf/.owl/.xml, .jsonld/.json), serves those files instead,
    without the ESS build: each is parsed safely (no remote JSON-LD context, no XML
    DOCTYPE) into a temporary store, its triples in a named graph named after the file
    (file:///absolute/path); a file that does not parse stops with its file:line.

    \b
    Routes:
      /sparql                   SPARQL 1.1 protocol; a browser gets the query editor
      /api/queries[/NAME]       named queries: list, run with ?param=value
      /.well-known/void         VoID description of the dataset
      /catalog[.ttl|.rdf|.jsonld]  DCAT-AP catalog, for data.gouv.fr and CKAN harvesters
      /dumps/, /dumps/FILE      the whole graph to download (Turtle, N-Triples.gz, ...)
      /sitemap.xml              the resource pages, for search engines
      /healthz, /metrics        for operations

    \b
    Examples:
      essgraph serve
      essgraph serve --host 0.0.0.0 --port 8080 --workers 4 --timeout 30
      essgraph serve --base-url https://essgraph.example.org/
      essgraph serve my-data.ttl other.nq          # any RDF, no build needed
      essgraph serve --store sparql+http://127.0.0.1:8890/sparql
      essgraph serve --get /api/queries            # one request, no server
    """
    import os

    from .serve import serve as run_server

    if files and store_url:
        raise click.UsageError("give FILES or --store, not both")
    if base_url is None and "ESSGRAPH_BASE_URL" not in os.environ:
        env = Settings.load(host=host, port=port)
        shown = env.host if env.host not in ("0.0.0.0", "::", "") else "localhost"
        if ":" in shown:
            shown = f"[{shown}]"
        base_url = f"http://{shown}:{env.port}/"
    settings = _settings(
        host=host, port=port, query_workers=query_workers, query_timeout=timeout,
        max_rows=max_rows, store_url=store_url, base_url=base_url, store_dir=store_dir,
        web_workers=workers, result_cache_mb=result_cache_mb,
    )
    if not files and not settings.store_url:
        from .store import current_build

        current_build(settings.store_dir)  # StoreNotBuilt, with its hint, before any server
    temporary = _store_of_files(files) if files else None
    owner = os.getpid()
    try:
        if temporary is not None:
            settings = settings.with_(store_dir=temporary)
        if get_path is not None:
            _get(settings, get_path)
            return
        _progress(f"serving on {settings.base_url} (sparql: {settings.base_url}sparql)")
        run_server(settings, workers=settings.web_workers)
    finally:
        # gunicorn's worker processes unwind through here too when they exit: only the
        # process that made the temporary store removes it.
        if temporary is not None and os.getpid() == owner:
            import shutil

            shutil.rmtree(temporary, ignore_errors=True)


def _store_of_files(files: tuple[Path, ...]) -> Path:
    """A temporary store dir whose current build holds `files`, one named graph each.

    The files are parsed here (errors name file:line) and written to the database by a
    child process: a process that has opened RocksDB must not fork afterwards (its forked
    children abort at exit), and gunicorn forks its workers from this one.
    """
    import shutil
    import subprocess
    import tempfile

    import pyoxigraph as ox

    from .errors import StoreError
    from .load import parse_file
    from .store import new_build_dir, switch_current

    root = Path(tempfile.mkdtemp(prefix="essgraph-serve-"))
    try:
        quads: list[ox.Quad] = []
        for path in files:
            file_quads = parse_file(path, graph=path.resolve().as_uri())
            _progress(f"load: {path}: {len(file_quads)} statements")
            quads.extend(file_quads)
        dump = root / "files.nq"
        dump.write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"")
        del quads
        build_dir = new_build_dir(root)
        done = subprocess.run(
            [sys.executable, "-c", _WRITE_STORE, str(build_dir), str(dump)],
            capture_output=True, text=True,
        )
        if done.returncode != 0:
            raise StoreError(f"could not write the store: {done.stderr.strip()}",
                             where=str(build_dir))
        dump.unlink()
        switch_current(root, build_dir)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return root


_WRITE_STORE = """
import sys, pyoxigraph as ox
store = ox.Store(sys.argv[1])
store.bulk_load(path=sys.argv[2], format=ox.RdfFormat.N_QUADS)
store.flush()
"""


def _get(settings: Settings, path: str) -> None:
    """One GET through the app (datasette's `serve --get`): body on stdout, exit 1 on error."""
    from .web import create_app

    app = create_app(settings)
    try:
        response = app.test_client().get(path)
        sys.stdout.buffer.write(response.get_data())
        sys.stdout.flush()
    finally:
        app.extensions["essgraph"].close()
    if response.status_code >= 400:
        sys.exit(1)


def _key_value(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise ParameterError(f"--param needs NAME=VALUE, not {text!r}", where=text)
    return name.strip(), value


def _render_summary(summary: Any) -> str:
    lines = [
        f"build {summary.build_id}",
        f"  path: {summary.path}",
        f"  territories: {summary.territories_scope}",
        f"  statements: {summary.total}",
        "  per graph:",
        *(f"    {g:<24} {n:>9}" for g, n in summary.triples_per_graph.items()),
        "  entities per class:",
        *(f"    {c:<32} {n:>9}" for c, n in summary.entities_per_class.items()),
        "  entities per source:",
        *(f"    {s:<24} {n:>9}" for s, n in summary.entities_per_source.items()),
        "  seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in summary.seconds.items()),
        f"  reasoning: {summary.reasoning}",
        f"  peak RSS: {summary.peak_rss_mb:.0f} MB",
    ]
    return "\n".join(lines)


def main() -> None:
    """Console-script entry point."""
    essgraph(prog_name="essgraph")
