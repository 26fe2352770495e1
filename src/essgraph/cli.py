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
def build(territories: str | None, store_dir: Path | None) -> None:
    """Build the knowledge graph and make it the current store.

    Loads ontology/*.ttl and data/*.trig, adds the official territories, materialises the
    inferences, validates with shapes/*.ttl, writes a new store and switches to it. A
    failed build changes nothing: the current store keeps serving.

    \b
    Examples:
      essgraph build
      essgraph build --territories used --store-dir /tmp/ess-store
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


@essgraph.command("validate")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate_cmd(files: tuple[Path, ...]) -> None:
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
    """
    from .build import validate_files
    from .validate import render

    settings = _settings()
    report = validate_files(settings, list(files) or None, progress=_progress)
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
    help="File to write (default: stdout).",
)
@store_dir_option
def export(fmt: str, output: Path | None, store_dir: Path | None) -> None:
    """Write the whole current build in an RDF format.

    \b
    Examples:
      essgraph export --format trig --output essgraph.trig
      essgraph export --format nt | wc -l
    """
    settings = _settings(store_dir=store_dir)
    with open_store(settings) as store:
        if output is None:
            store.dump(sys.stdout.buffer, fmt)
        else:
            with open(output, "wb") as f:
                store.dump(f, fmt)
            _progress(f"wrote {output}")


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
