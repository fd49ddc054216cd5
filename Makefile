# Two commands do all set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000
export PORT
# The lock files are written by uv (this version, in a venv of its own); installs need only pip.
UV_VERSION := 0.13.9
LOCK_VENV := .venv-lock
UV := $(LOCK_VENV)/bin/uv
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --quiet --custom-compile-command 'make lock'

.PHONY: run test test-fast golden lint format install clean bench audit lock

# Exact versions, each checked against the hashes in the lock, installed as the lock lists them
# (`--no-deps`: the lock holds every dependency already, and pip's resolver would otherwise look
# up a dependency that asks for an extra, `CacheControl[filecache]`, on the index and refuse the
# newer release it finds there); then the project itself, without its dependencies. `pip check`
# fails when the lock misses one, or pyproject.toml asks for something it does not hold (run
# `make lock`).
$(STAMP): pyproject.toml requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements-dev.txt
	# The setuptools a new venv comes with (65.5 on Python 3.11, with known vulnerabilities) is
	# in no lock and nothing here needs it installed: builds bring their own, isolated.
	$(BIN)/python -m pip uninstall --quiet --yes setuptools 2>/dev/null || true
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
	touch $(STAMP)

install: $(STAMP)

## Solve requirements-dev.txt (runtime and dev extras) and requirements.txt (runtime, at the same
## versions) from pyproject.toml, keeping each pinned version that still fits; UPGRADE=1 takes the
## newest releases instead. Then `make install` installs what changed.
lock:
	test -x $(LOCK_VENV)/bin/python || $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet uv==$(UV_VERSION)
	$(UV) pip compile $(LOCK_FLAGS) $(if $(UPGRADE),--upgrade) --extra dev -o requirements-dev.txt pyproject.toml
	$(UV) pip compile $(LOCK_FLAGS) $(if $(UPGRADE),--upgrade) -c requirements-dev.txt -o requirements.txt pyproject.toml

## Serve on PORT (default 8000) with an embedded SQLite database, migrated and seeded.
run: $(STAMP)
	$(BIN)/pipeline-policy db upgrade
	$(BIN)/pipeline-policy seed
	$(BIN)/pipeline-policy serve --no-prepare --port $(PORT)

# pytest keeps the test modules it rewrites, and Python the modules it compiles, in __pycache__:
# with PYTHONDONTWRITEBYTECODE set, each test worker and each server process a test starts would
# compile them all again.
test test-fast: export PYTHONDONTWRITEBYTECODE =

## The whole test suite, on SQLite and (when reachable, or required by TEST_REQUIRE_POSTGRES=1)
## PostgreSQL, in one worker per core (each test module stays on one worker).
test: $(STAMP)
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} $(BIN)/pytest -q -n auto --dist loadscope

## The fast tier, under a minute: engine, API, database and corpus tests on SQLite, and the
## property tests with a tenth of their examples; no server processes, no PostgreSQL.
test-fast: $(STAMP)
	HYPOTHESIS_PROFILE=fast $(BIN)/pytest -q -n auto --dist loadscope -m "not slow and not postgres"

## Rewrite the corpus's golden answers (tests/corpus/golden/) from what the service answers now;
## review the change with `git diff tests/corpus/golden` before committing it.
golden: $(STAMP)
	UPDATE_GOLDEN=1 $(BIN)/pytest -q -p no:randomly -m "not postgres" tests/corpus

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
	rm -rf $(VENV) $(LOCK_VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
