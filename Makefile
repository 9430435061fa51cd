# Two commands do all the set-up: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install install-test lock system-deps migration clean ui

# Python packages come from uv.lock (exact versions and hashes), installed by uv, itself pinned
# with hashes in scripts/uv-requirements.txt and kept beside the other build tools in ~/.cache/dlv.
# `make run` installs what running needs: DLV and its plugins from this repository (the SSH one).
# `make test` adds the test and bench extras from the same lock. Both are no-ops when nothing
# changed. After editing dependencies in a pyproject.toml, run `make lock` and commit uv.lock.
UV_VERSION := $(shell sed -n 's/^uv==\([^ ]*\).*/\1/p' scripts/uv-requirements.txt)
UV_HOME := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/dlv/uv-$(UV_VERSION)
UV := $(UV_HOME)/bin/uv
# Never download a Python: use the one that runs `make` (3.11+), and only PyPI.
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

$(UV): scripts/uv-requirements.txt
	$(PYTHON) -m venv $(UV_HOME)
	$(UV_HOME)/bin/python -m pip install -q --disable-pip-version-check --require-hashes -r scripts/uv-requirements.txt
	touch $(UV)

## Install what `dlv serve` needs into .venv, from uv.lock
install: $(UV)
	$(UV) sync --locked --inexact

## Install everything `make test` and bench/ need into .venv, from uv.lock
install-test: $(UV)
	$(UV) sync --locked --extra test --extra bench

## Refresh uv.lock from the pyproject.toml ranges (after changing a dependency; commit the result)
lock: $(UV)
	$(UV) lock --upgrade

## Build the web UI into dlv/static (only when its sources or the API changed; needs Node 20 + npm)
UI_STAMP := frontend/.build-stamp
UI_SOURCES := $(shell find frontend/src -type f -not -name 'schema.d.ts' -not -name 'openapi.json' 2>/dev/null) \
	frontend/index.html frontend/package.json frontend/package-lock.json frontend/vite.config.ts frontend/tsconfig.json \
	$(shell find dlv -name '*.py' -not -path 'dlv/static/*' 2>/dev/null)

$(UI_STAMP): $(UI_SOURCES) | install
	cd frontend && npm ci --no-audit --no-fund && npm run build
	touch $(UI_STAMP)

ui: $(UI_STAMP)

## Start DLV on the embedded default (SQLite in ./.dlv) at http://localhost:8000
run: install ui
	$(BIN)/dlv serve

system-deps:
	./scripts/system-deps.sh

## Run every test against real services (PostgreSQL started by the test session)
test: system-deps install-test ui
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Write a new migration from the models: make migration m="what changed"
migration: install
	$(BIN)/python -c 'import sys; from dlv.db.migrate import autogenerate; autogenerate(sys.argv[1])' "$(m)"

clean:
	rm -rf $(VENV) .pytest_cache
