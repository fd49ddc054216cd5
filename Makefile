# Two commands do all set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000
export PORT

.PHONY: run test lint format install clean bench audit

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Serve on PORT (default 8000) with an embedded SQLite database, migrated and seeded.
run: $(STAMP)
	$(BIN)/pipeline-policy db upgrade
	$(BIN)/pipeline-policy seed
	$(BIN)/pipeline-policy serve --no-prepare --port $(PORT)

## The test suite, on SQLite and (when reachable, or required by TEST_REQUIRE_POSTGRES=1) PostgreSQL.
test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check app tests migrations bench
	$(BIN)/ruff format --check app tests migrations bench
	$(BIN)/mypy app
	$(BIN)/lint-imports

## Known vulnerabilities in the installed dependencies (pip-audit, PyPI's vulnerability data).
## Exit 1: vulnerabilities; exit 2: nothing could be audited. Distributions that could not be
## audited are named in the report (see .ci/audit.py).
audit: $(STAMP)
	$(BIN)/python .ci/audit.py

format: $(STAMP)
	$(BIN)/ruff check --fix app tests migrations bench
	$(BIN)/ruff format app tests migrations bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
