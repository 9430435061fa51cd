# Two commands do all the set-up: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test install system-deps migration clean ui

# dlv-ssh is installed too: its tests load it through its entry point, as a user's install would.
$(STAMP): pyproject.toml plugins/dlv-ssh/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -U pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -e ".[test]"
	$(BIN)/python -m pip install -q --disable-pip-version-check -e plugins/dlv-ssh
	touch $(STAMP)

install: $(STAMP)

## Build the web UI into dlv/static (only when its sources or the API changed; needs Node 20 + npm)
UI_STAMP := frontend/.build-stamp
UI_SOURCES := $(shell find frontend/src -type f -not -name 'schema.d.ts' -not -name 'openapi.json' 2>/dev/null) \
	frontend/index.html frontend/package.json frontend/package-lock.json frontend/vite.config.ts frontend/tsconfig.json \
	$(shell find dlv -name '*.py' -not -path 'dlv/static/*' 2>/dev/null)

$(UI_STAMP): $(STAMP) $(UI_SOURCES)
	cd frontend && npm ci --no-audit --no-fund && npm run build
	touch $(UI_STAMP)

ui: $(UI_STAMP)

## Start DLV on the embedded default (SQLite in ./.dlv) at http://localhost:8000
run: install ui
	$(BIN)/dlv serve

system-deps:
	./scripts/system-deps.sh

## Run every test against real services (PostgreSQL started by the test session)
test: system-deps install ui
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Write a new migration from the models: make migration m="what changed"
migration: install
	$(BIN)/python -c 'import sys; from dlv.db.migrate import autogenerate; autogenerate(sys.argv[1])' "$(m)"

clean:
	rm -rf $(VENV) .pytest_cache
