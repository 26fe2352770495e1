"""The command line: exit codes, the one error shape on stderr, data on stdout."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from essgraph import vocab
from essgraph.cli import essgraph
from essgraph.config import Settings

BUILD_DATA = Path(__file__).resolve().parent / "data" / "build"
DIJON = "essid:territoire/commune/21231"


@pytest.fixture
def built_runner(runner: CliRunner) -> CliRunner:
    result = runner.invoke(essgraph, ["build"])
    assert result.exit_code == 0, result.output
    return runner


def test_every_command_teaches_with_examples(runner: CliRunner) -> None:
    for command in ["build", "validate", "query", "export", "queries"]:
        result = runner.invoke(essgraph, [command, "--help"])
        assert result.exit_code == 0
        assert "Example" in result.stdout, command
    assert "error CODE at WHERE" in runner.invoke(essgraph, ["--help"]).stdout


def test_build_prints_progress_on_stderr_and_the_summary_on_stdout(
    runner: CliRunner, settings: Settings
) -> None:
    result = runner.invoke(essgraph, ["build", "--territories", "used"])
    assert result.exit_code == 0, result.output
    assert "load:" in result.stderr and "load:" not in result.stdout
    out = result.stdout
    assert out.startswith("build ")
    for expected in ["statements:", "source/001", "ess:Association", "seconds:", "peak RSS:"]:
        assert expected in out
    assert (settings.store_dir / "current").is_symlink()


def test_build_with_a_store_dir_option(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(essgraph, ["build", "--store-dir", str(tmp_path / "other")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "other" / "current").is_symlink()


def test_validate_exit_codes(runner: CliRunner, settings: Settings) -> None:
    ok = runner.invoke(essgraph, ["validate"])
    assert ok.exit_code == 0, ok.output

    invalid_file = BUILD_DATA / "invalid" / "001_invalid.trig"
    invalid = runner.invoke(essgraph, ["validate", str(invalid_file)])
    assert invalid.exit_code == 1, invalid.output
    assert "sans-nom" in invalid.stdout

    broken = runner.invoke(essgraph, ["validate", str(BUILD_DATA / "broken" / "001_broken.trig")])
    assert broken.exit_code == 2
    assert broken.stderr.startswith("error RDF_SYNTAX at ")
    assert "001_broken.trig:" in broken.stderr
    assert broken.stdout == ""


def test_a_failed_build_exits_2_with_the_error_shape(runner: CliRunner, settings: Settings) -> None:
    shutil.copy(BUILD_DATA / "invalid" / "001_invalid.trig", settings.data_dir / "009_x.trig")
    result = runner.invoke(essgraph, ["build"])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith("error SHAPE_VIOLATION")


def test_query_without_a_build(runner: CliRunner) -> None:
    result = runner.invoke(essgraph, ["query", "organisations"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error STORE_NOT_BUILT at ")


def test_query_as_a_table(built_runner: CliRunner) -> None:
    result = built_runner.invoke(essgraph, ["query", "organisations", "-p", f"territory={DIJON}"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["org", "name", "territory"]
    assert "essid:organisation/pole-economie-solidaire-21" in lines[2]
    assert "Pôle d'économie solidaire 21@fr" in lines[2]
    assert lines[-1] == "(1 row)"


def test_query_as_csv_and_json(built_runner: CliRunner) -> None:
    as_csv = built_runner.invoke(essgraph, ["query", "organisations", "--format", "csv"])
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[0] == ["org", "name", "territory"]
    assert rows[1] == [
        vocab.ID + "organisation/la-recyclerie",
        "La Recyclerie",
        vocab.ID + "territoire/epci/242100410",
    ]

    as_json = built_runner.invoke(
        essgraph, ["query", "count-by-name", "-p", "name=La Recyclerie", "--format", "json"]
    )
    assert as_json.exit_code == 0, as_json.output
    doc = json.loads(as_json.stdout)
    assert doc["head"]["vars"] == ["n"]
    assert doc["results"]["bindings"][0]["n"] == {
        "type": "literal", "value": "1", "datatype": vocab.XSD + "integer"
    }


def test_query_from_a_file(built_runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "ask.rq"
    path.write_text(
        "#+ title: Any?\n#+ description: Is there anything?\nASK { ?s ?p ?o }\n", encoding="utf-8"
    )
    result = built_runner.invoke(essgraph, ["query", str(path)])
    assert (result.exit_code, result.stdout) == (0, "true\n")


@pytest.mark.parametrize(
    ("args", "start"),
    [
        (["query", "organisations", "-p", "territory=http://x/a>b"],
         "error BAD_PARAMETER at territory:"),
        (["query", "organisations", "-p", "nope=1"], "error BAD_PARAMETER at nope:"),
        (["query", "organisations", "-p", "territory"], "error BAD_PARAMETER at territory:"),
        (["query", "no-such-query"], "error UNKNOWN_QUERY at no-such-query:"),
    ],
)
def test_query_errors(built_runner: CliRunner, args: list[str], start: str) -> None:
    result = built_runner.invoke(essgraph, args)
    assert result.exit_code == 2
    assert result.stderr.startswith(start), result.stderr


def test_export_keeps_graphs_in_nquads(built_runner: CliRunner) -> None:
    result = built_runner.invoke(essgraph, ["export", "--format", "nq"])
    assert result.exit_code == 0, result.output
    quads = list(ox.parse(result.stdout_bytes, ox.RdfFormat.N_QUADS))
    graphs = {q.graph_name.value for q in quads}
    assert {vocab.GRAPH_ONTOLOGY, vocab.GRAPH_TERRITORIES, vocab.GRAPH_SOURCE + "001"} <= graphs


def test_export_to_a_file_in_triple_and_dataset_formats(
    built_runner: CliRunner, tmp_path: Path
) -> None:
    counts = {}
    for fmt, rdf_format in [("trig", ox.RdfFormat.TRIG), ("ttl", ox.RdfFormat.TURTLE),
                            ("nt", ox.RdfFormat.N_TRIPLES), ("rdf", ox.RdfFormat.RDF_XML),
                            ("jsonld", ox.RdfFormat.JSON_LD)]:
        out = tmp_path / f"export.{fmt}"
        result = built_runner.invoke(essgraph, ["export", "--format", fmt, "--output", str(out)])
        assert result.exit_code == 0, result.output
        counts[fmt] = len(set(ox.parse(path=str(out), format=rdf_format)))
    # the triple formats hold the union (one triple per distinct statement), no fewer
    assert counts["ttl"] == counts["nt"] == counts["rdf"] > 0
    assert counts["trig"] == counts["jsonld"] >= counts["ttl"]


def test_queries_lists_names_and_parameters(runner: CliRunner) -> None:
    result = runner.invoke(essgraph, ["queries"])
    assert result.exit_code == 0, result.output
    assert "organisations: Organisations" in result.stdout
    assert "--param territory=<iri>  (optional, e.g. essid:territoire/commune/21231)" in (
        result.stdout
    )
    assert "--param y=<year>  (optional, default 2024)" in result.stdout
