# essgraph — set-up, main job and tests on a fresh Debian 12 with Python 3.11 and Node/npm.
#   make run    set up, build the knowledge graph, serve it from the embedded store
#   make test   set up and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TERRITORIES := node_modules/@etalab/decoupage-administratif/data/communes.json

.PHONY: setup setup-debian run build serve test lint bench clean

setup: setup-debian $(STAMP) $(TERRITORIES)

# Debian packages the tests need: Virtuoso Open Source 7 for the remote-store tests,
# Chromium for the query-editor browser test (driven by Playwright, never `playwright install`).
setup-debian:
	(command -v virtuoso-t >/dev/null && command -v chromium >/dev/null) || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y virtuoso-opensource chromium)

# Python packages: the pinned direct dependencies (pyproject.toml) within the tested set
# of all versions (constraints.txt).
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

# npm assets, versions pinned in package.json (.npmrc keeps npm from writing a lock file):
# the official territorial reference (@etalab/decoupage-administratif) and the query
# editor (@zazuko/yasgui, served from node_modules by the web app). Re-run when
# package.json changes.
$(TERRITORIES): package.json
	npm install --no-audit --no-fund
	touch $@

build: setup
	$(BIN)/essgraph build

run: build
	$(BIN)/essgraph serve

test: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check src tests bench

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf var .pytest_cache
