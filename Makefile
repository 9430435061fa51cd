# Two commands do all the set-up: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test install system-deps migration clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -U pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## Start DLV on the embedded default (SQLite in ./.dlv) at http://localhost:8000
run: install
	$(BIN)/dlv serve

system-deps:
	./scripts/system-deps.sh

## Run every test against real services (PostgreSQL started by the test session)
test: system-deps install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Write a new migration from the models: make migration m="what changed"
migration: install
	$(BIN)/python -c 'import sys; from dlv.db.migrate import autogenerate; autogenerate(sys.argv[1])' "$(m)"

clean:
	rm -rf $(VENV) .pytest_cache
