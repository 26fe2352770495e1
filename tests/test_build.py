"""The build pipeline on the tiny fixture: what lands in which graph, what the summary
counts, and how a bad input stops the build with an error that says where."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from essgraph import vocab
from essgraph.build import build, graph_for_data, validate_files
from essgraph.config import Settings
from essgraph.errors import DataLayoutError, RdfSyntaxError, ValidationFailed
from essgraph.store import SelectResult, current_build, open_store
from essgraph.store.builds import list_builds

BUILD_DATA = Path(__file__).resolve().parent / "data" / "build"
ID = vocab.ID


def test_summary_counts_what_the_store_holds(settings: Settings) -> None:
    progress: list[str] = []
    summary = build(settings, progress=progress.append)

    assert summary.path == current_build(settings.store_dir)
    assert list(summary.seconds) == ["load", "territories", "reason", "validate", "store"]
    graphs = summary.triples_per_graph
    assert {"ontologie", "territoires", "inferences", "source/001", "source/002"} == set(graphs)
    assert graphs["source/002"] == 3
    assert summary.total == sum(graphs.values())
    with open_store(settings) as store:
        assert store.count_triples() == summary.total
    classes = summary.entities_per_class
    assert classes["ess:Association"] == 2
    assert classes["ess:Organisation"] == 3  # two of them inferred from ess:Association
    assert classes["ess:Commune"] == 1  # scope "used": Dijon, not Chenôve
    assert classes["ess:Metropole"] == 1
    assert summary.entities_per_source == {"source/001": 3, "source/002": 1}
    assert summary.peak_rss_mb > 10
    assert any(m.startswith("load:") for m in progress)
    assert any(m.startswith("store:") for m in progress)


def test_all_territories_scope_keeps_the_whole_reference(settings: Settings) -> None:
    summary = build(settings.with_(territories_scope="all"))
    assert summary.entities_per_class["ess:Commune"] == 2  # Chenôve too


def test_a_triple_file_goes_to_its_source_graph(built: Settings) -> None:
    query = f"""SELECT ?g WHERE {{ GRAPH ?g {{
        <{ID}organisation/reseau-21> a <{vocab.ESS}Organisation> }} }}"""
    with open_store(built) as store:
        result = store.query(query)
    assert isinstance(result, SelectResult)
    assert result.rows == [(ox.NamedNode(vocab.GRAPH_SOURCE + "002"),)]


def test_inferences_have_their_own_graph(built: Settings) -> None:
    query = f"""ASK {{ GRAPH <{vocab.GRAPH_INFERENCES}> {{
        <{ID}territoire/commune/21231> <{vocab.ESS}within> <{ID}territoire/pays/fr> }} }}"""
    with open_store(built) as store:
        assert store.query(query).value is True


def test_graph_for_data_files() -> None:
    assert graph_for_data(Path("data/004_lyon.ttl")) == vocab.GRAPH_SOURCE + "004"
    assert graph_for_data(Path("data/004_lyon.trig")) == vocab.GRAPH_SOURCE + "004"
    assert graph_for_data(Path("data/lyon.trig")) is None
    with pytest.raises(DataLayoutError) as info:
        graph_for_data(Path("data/lyon.ttl"))
    assert info.value.where == "data/lyon.ttl"


def test_a_malformed_file_stops_the_build_at_its_line(settings: Settings) -> None:
    shutil.copy(BUILD_DATA / "broken" / "001_broken.trig", settings.data_dir)
    with pytest.raises(RdfSyntaxError) as info:
        build(settings)
    # line 7 opens a string that never ends; the parser stops at the end of that line
    assert info.value.where == str(settings.data_dir / "001_broken.trig") + ":7:24"
    assert info.value.code == "RDF_SYNTAX"
    assert not (settings.store_dir / "current").exists()
    assert list_builds(settings.store_dir) == []


def test_a_triple_file_without_source_number_stops_the_build(settings: Settings) -> None:
    shutil.copy(BUILD_DATA / "unnamed" / "dijon.ttl", settings.data_dir)
    with pytest.raises(DataLayoutError) as info:
        build(settings)
    assert info.value.where.endswith("dijon.ttl")


def test_a_shape_violation_stops_the_build_with_the_report(settings: Settings) -> None:
    shutil.copy(BUILD_DATA / "invalid" / "001_invalid.trig", settings.data_dir / "009_x.trig")
    with pytest.raises(ValidationFailed) as info:
        build(settings)
    assert info.value.report is not None and not info.value.report.conforms
    assert list_builds(settings.store_dir) == []


def test_a_location_outside_the_reference_is_caught(settings: Settings) -> None:
    (settings.data_dir / "005_paris.trig").write_text(
        "@prefix ess: <https://w3id.org/essgraph/ontology#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "@prefix prov: <http://www.w3.org/ns/prov#> .\n"
        "<https://w3id.org/essgraph/graph/source/005> {\n"
        "  <https://w3id.org/essgraph/id/organisation/ailleurs> a ess:Organisation ;\n"
        '    skos:prefLabel "Ailleurs"@fr ;\n'
        "    ess:locatedIn <https://w3id.org/essgraph/id/territoire/commune/75056> ;\n"
        "    prov:wasDerivedFrom <https://w3id.org/essgraph/id/source/005> .\n}\n",
        encoding="utf-8",
    )
    report = validate_files(settings)
    assert not report.conforms


def test_validate_files_without_building(settings: Settings) -> None:
    assert validate_files(settings).conforms
    bad = BUILD_DATA / "invalid" / "001_invalid.trig"
    assert not validate_files(settings, [bad]).conforms
    assert not (settings.store_dir / "current").exists()


def test_validation_sees_the_same_statements_in_both_scopes(settings: Settings) -> None:
    """In the "all" scope pySHACL gets what a "used" build holds, not the whole reference."""
    from essgraph import reason, territories
    from essgraph.build import load_sources, territory_quads, validation_quads

    loaded = load_sources(settings)
    used = territories.territories_used(loaded.data_quads)
    seen = {}
    for scope in ("used", "all"):
        scoped = settings.with_(territories_scope=scope)
        dataset = ox.Store()
        dataset.extend(loaded.quads)
        dataset.extend(territory_quads(scoped, used))
        reason.materialise(dataset)
        seen[scope] = set(validation_quads(dataset, scoped, used))
        if scope == "all":
            assert len(dataset) > len(seen["all"])  # Chenôve and its inferences were cut
    assert seen["all"] == seen["used"]


def _quads() -> list[ox.Quad]:
    p, g = ox.NamedNode("http://example.org/p"), ox.NamedNode("http://example.org/g")
    return [ox.Quad(ox.NamedNode(f"http://example.org/s{i}"), p, ox.Literal(str(i)), g)
            for i in range(5)]


def test_the_database_is_written_from_the_dataset_or_its_nquads_dump(tmp_path: Path) -> None:
    from essgraph.build import write_store

    dataset = ox.Store()
    dataset.extend(_quads())
    nquads = tmp_path / "dump.nq"
    dataset.dump(str(nquads), ox.RdfFormat.N_QUADS)
    for name, source in (("from-store", dataset), ("from-file", nquads)):
        (tmp_path / name).mkdir()
        assert write_store(source, tmp_path / name, expected=5) == 5
        database = ox.Store.read_only(str(tmp_path / name))
        assert set(database) == set(_quads())
        del database


def test_a_blank_node_stays_one_node_across_load_batches(tmp_path: Path, monkeypatch) -> None:
    """The file is loaded a batch at a time; a blank node whose statements fall in two
    batches must not become two nodes."""
    from essgraph import build as build_module

    monkeypatch.setattr(build_module, "LOAD_BATCH", 2)
    p, g = ox.NamedNode("http://example.org/p"), ox.NamedNode("http://example.org/g")
    node = ox.BlankNode("shared")
    quads = [ox.Quad(node, p, ox.Literal(str(i)), g) for i in range(3)]
    quads.append(ox.Quad(ox.NamedNode("http://example.org/s"), p, node, g))
    nquads = tmp_path / "dump.nq"
    ox.serialize(quads, str(nquads), ox.RdfFormat.N_QUADS)
    (tmp_path / "db").mkdir()
    assert build_module.write_store(nquads, tmp_path / "db", expected=4) == 4
    database = ox.Store.read_only(str(tmp_path / "db"))
    subjects = {q.subject for q in database if isinstance(q.subject, ox.BlankNode)}
    objects = {q.object for q in database if isinstance(q.object, ox.BlankNode)}
    assert len(subjects) == 1 and subjects == objects
    del database


def test_a_database_that_reads_back_short_fails_the_build(tmp_path: Path) -> None:
    from essgraph.build import write_store
    from essgraph.errors import StoreError

    nquads = tmp_path / "dump.nq"
    ox.serialize(_quads(), str(nquads), ox.RdfFormat.N_QUADS)
    (tmp_path / "db").mkdir()
    with pytest.raises(StoreError, match="wrote 6 statements but read back 5") as failure:
        write_store(nquads, tmp_path / "db", expected=6)
    assert failure.value.where == str(tmp_path / "db")
