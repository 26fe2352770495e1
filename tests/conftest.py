"""Shared fixtures: settings pointing at the tiny build fixture, a CLI runner, a built store.

Each test gets its own store folder (tmp_path), so no test depends on another's build.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from essgraph.config import Settings

TESTS = Path(__file__).resolve().parent
BUILD_DATA = TESTS / "data" / "build"
QUERIES = TESTS / "data" / "queries"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on the fixture folders, with a private store folder and a private copy of
    the data folder (tests may add broken files to it)."""
    data_dir = tmp_path / "data"
    shutil.copytree(BUILD_DATA / "data", data_dir)
    return Settings.load(
        env={},
        data_dir=data_dir,
        ontology_dir=BUILD_DATA / "ontology",
        shapes_dir=BUILD_DATA / "shapes",
        queries_dir=QUERIES,
        store_dir=tmp_path / "store",
        territories_dir=BUILD_DATA / "territories" / "data",
        territories_scope="used",
        keep_builds=1,
    )


@pytest.fixture
def runner(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A click runner whose environment points the CLI at the same folders as `settings`."""
    env = {
        "ESSGRAPH_DATA_DIR": str(settings.data_dir),
        "ESSGRAPH_ONTOLOGY_DIR": str(settings.ontology_dir),
        "ESSGRAPH_SHAPES_DIR": str(settings.shapes_dir),
        "ESSGRAPH_QUERIES_DIR": str(settings.queries_dir),
        "ESSGRAPH_STORE_DIR": str(settings.store_dir),
        "ESSGRAPH_TERRITORIES_DIR": str(settings.territories_dir),
        "ESSGRAPH_TERRITORIES_SCOPE": "used",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return CliRunner()


@pytest.fixture
def built(settings: Settings) -> Settings:
    """The settings after one successful build of the fixture data."""
    from essgraph.build import build

    build(settings)
    return settings
