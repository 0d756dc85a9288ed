# Doorman: `make run` to try it, `make test` to check it, `make check` to lint, type-check
# and measure coverage, `make bench` to measure it (bench/README.md). Needs Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run test check screenshots bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Doorman needs Python 3.11 or newer; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	DOORMAN_ENV=development $(FLASK) db upgrade
	DOORMAN_ENV=development $(FLASK) demo load
	DOORMAN_ENV=development $(FLASK) run --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Lint and import order, types, then the suite on SQLite under coverage with a floor
# a little under what it measures (98% of the lines of app/ on SQLite).
# SQLite only, whatever TEST_DATABASE_URL says: `make test` runs both backends, and
# the PostgreSQL half would add minutes here for its few PostgreSQL-only lines.
COVERAGE_FLOOR ?= 97
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	env -u TEST_DATABASE_URL -u BENCH_DATABASE_URL $(BIN)/python -m pytest -q \
		--cov=app --cov-report=term-missing:skip-covered --cov-fail-under=$(COVERAGE_FLOOR) $(PYTEST_ARGS)

screenshots: $(STAMP)
	$(BIN)/python docs/screenshots.py

# PostgreSQL rows need BENCH_DATABASE_URL (a database it may create schemas in);
# BENCH_ARGS=--quick for a short run.
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache .coverage
