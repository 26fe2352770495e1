"""Builds live in their own folders and `current` switches atomically: readers keep the
build they opened, a failed build changes nothing, pruning never removes the current one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from essgraph import vocab
from essgraph.build import build
from essgraph.config import Settings
from essgraph.errors import (
    ConfigError,
    ParameterError,
    QueryError,
    RdfSyntaxError,
    StoreError,
    StoreNotBuilt,
    ValidationFailed,
)
from essgraph.store import (
    SelectResult,
    current_build,
    new_build_dir,
    open_store,
    prune_builds,
    switch_current,
)
from essgraph.store.builds import list_builds

BUILD_DATA = Path(__file__).resolve().parent / "data" / "build"
COUNT_ORGS = (
    f"SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {{ ?o a <{vocab.ESS}Organisation> }}"
)


def _orgs(store) -> int:
    result = store.query(COUNT_ORGS)
    assert isinstance(result, SelectResult)
    return int(result.rows[0][0].value)


# --- build folders -------------------------------------------------------------------------


def test_no_build_yet(tmp_path: Path) -> None:
    with pytest.raises(StoreNotBuilt) as info:
        current_build(tmp_path)
    assert info.value.code == "STORE_NOT_BUILT"
    assert info.value.where == str(tmp_path / "current")


def test_build_dirs_are_unique_and_sort_by_time(tmp_path: Path) -> None:
    dirs = [new_build_dir(tmp_path) for _ in range(5)]
    assert len(set(dirs)) == 5
    assert list_builds(tmp_path) == dirs
    assert all(d.parent == tmp_path / "builds" and d.is_dir() for d in dirs)


def test_switch_replaces_a_relative_link(tmp_path: Path) -> None:
    a, b = new_build_dir(tmp_path), new_build_dir(tmp_path)
    switch_current(tmp_path, a)
    assert current_build(tmp_path) == a.resolve()
    switch_current(tmp_path, b)
    link = tmp_path / "current"
    assert link.is_symlink() and str(link.readlink()) == f"builds/{b.name}"
    assert current_build(tmp_path) == b.resolve()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["builds", "current"]  # no temp link


def test_switch_refuses_a_folder_outside_the_store(tmp_path: Path) -> None:
    stray = tmp_path / "elsewhere"
    stray.mkdir()
    with pytest.raises(StoreError):
        switch_current(tmp_path / "store", stray)


def test_pruning_keeps_the_current_build(tmp_path: Path) -> None:
    dirs = [new_build_dir(tmp_path) for _ in range(5)]
    switch_current(tmp_path, dirs[0])  # the oldest is current (e.g. after a rollback)
    removed = prune_builds(tmp_path, keep=1)
    assert removed == dirs[1:4]
    assert list_builds(tmp_path) == [dirs[0], dirs[4]]
    assert current_build(tmp_path) == dirs[0].resolve()
    assert prune_builds(tmp_path, keep=0) == [dirs[4]]
    assert list_builds(tmp_path) == [dirs[0]]


def test_open_store_refuses_a_store_url_that_is_no_endpoint(settings: Settings) -> None:
    with pytest.raises(ConfigError) as info:
        open_store(settings.with_(store_url="/var/lib/virtuoso"))
    assert info.value.where == "ESSGRAPH_STORE_URL"


# --- the embedded backend ------------------------------------------------------------------


def test_embedded_store_translates_errors(built: Settings) -> None:
    with open_store(built) as store:
        with pytest.raises(QueryError) as info:
            store.query("SELECT ?s WHERE {\n  ?s ?p \n}")
        assert info.value.where == "line 3, column 2"  # pyoxigraph's position, as reported
        assert info.value.code == "QUERY_SYNTAX"
        with pytest.raises(ParameterError) as info2:
            store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                        substitutions={"s": ox.NamedNode("http://example.org/")})
        assert info2.value.where == "s"
    with pytest.raises(StoreError):
        store.count_triples()  # closed


def test_default_graph_is_the_union(built: Settings) -> None:
    with open_store(built) as store:
        assert _orgs(store) == 3  # two in graph:source/001, one in graph:source/002


# --- builds and readers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad_file", "error"),
    [("broken/001_broken.trig", RdfSyntaxError), ("invalid/001_invalid.trig", ValidationFailed)],
)
def test_a_failed_build_leaves_current_and_its_readers_alone(
    built: Settings, bad_file: str, error: type[Exception]
) -> None:
    before = current_build(built.store_dir)
    reader = open_store(built)
    assert _orgs(reader) == 3
    shutil.copy(BUILD_DATA / bad_file, built.data_dir / ("009_" + Path(bad_file).name[4:]))

    with pytest.raises(error):
        build(built)

    assert current_build(built.store_dir) == before
    assert list_builds(built.store_dir) == [before]  # the failed build left nothing behind
    assert _orgs(reader) == 3  # the open reader still answers
    with open_store(built) as fresh:
        assert _orgs(fresh) == 3
    reader.close()


def test_a_successful_build_switches_while_old_readers_keep_their_build(
    built: Settings,
) -> None:
    first = current_build(built.store_dir)
    old_reader = open_store(built)
    (built.data_dir / "003_more.ttl").write_text(
        "@prefix ess: <https://w3id.org/essgraph/ontology#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "@prefix prov: <http://www.w3.org/ns/prov#> .\n"
        "<https://w3id.org/essgraph/id/organisation/nouvelle> a ess:Organisation ;\n"
        '  skos:prefLabel "Nouvelle"@fr ;\n'
        "  prov:wasDerivedFrom <https://w3id.org/essgraph/id/source/003> .\n",
        encoding="utf-8",
    )
    summary = build(built)

    assert current_build(built.store_dir) == summary.path.resolve() != first
    with open_store(built) as new_reader:
        assert _orgs(new_reader) == 4
    assert _orgs(old_reader) == 3
    old_reader.close()
    # keep_builds=1: the previous build is kept for readers like old_reader
    assert list_builds(built.store_dir) == [first, summary.path]
    build(built)
    assert first not in list_builds(built.store_dir)
    assert len(list_builds(built.store_dir)) == 2


def test_a_build_failing_while_writing_removes_its_folder(
    built: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import essgraph.build as build_module

    before = current_build(built.store_dir)
    reader = open_store(built)

    def write_then_fail(source: ox.Store | Path, build_dir: Path, expected: int) -> int:
        ox.Store(str(build_dir)).add(
            ox.Quad(ox.NamedNode("http://example.org/half"), ox.NamedNode("http://example.org/p"),
                    ox.Literal("written"), ox.NamedNode("http://example.org/g"))
        )
        raise OSError("disk full")

    monkeypatch.setattr(build_module, "write_store", write_then_fail)
    with pytest.raises(OSError):
        build(built)
    assert current_build(built.store_dir) == before
    assert list_builds(built.store_dir) == [before]
    assert _orgs(reader) == 3
    reader.close()
