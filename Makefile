# Doorman: `make run` to try it, `make test` to check it, `make check` to lint, type-check
# and measure coverage, `make bench` to measure it and `make soak` to load it for minutes (bench/README.md). Needs Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
MAIL_PORT ?= 8025

.PHONY: install run test check screenshots bench soak clean translations translations-extract translations-update

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Doorman needs Python 3.11 or newer; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

# Message catalogs: app/translations/<language>/LC_MESSAGES/messages.po (Doorman's words) and
# click.po (click's own words on the command line, app/click_words.py) are kept in git;
# their compiled .mo files are built here, before anything that serves pages or runs commands.
TRANSLATIONS := app/translations
MESSAGES_POT := $(TRANSLATIONS)/messages.pot
CLICK_POT := $(TRANSLATIONS)/click.pot
CATALOGS := $(patsubst %.po,%.mo,$(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/*.po))

translations: $(CATALOGS)

$(TRANSLATIONS)/%.mo: $(TRANSLATIONS)/%.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@ 2>&1 | grep -v '^compiling' || true
	@test -f $@

# Every message in the code and the templates, into the template catalog (not kept in git).
translations-extract: $(STAMP)
	$(BIN)/pybabel extract -F $(TRANSLATIONS)/babel.cfg -k _l -k lazy_ngettext:1,2 --add-location=file \
		--sort-output --omit-header -o $(MESSAGES_POT) .
	$(BIN)/pybabel extract --no-default-keywords -k _ -k ngettext:1,2 -k N_ --no-location \
		--sort-output --omit-header -o $(CLICK_POT) \
		"$$($(BIN)/python -c 'import click, os; print(os.path.dirname(click.__file__))')" app/click_words.py

# Then the new messages into each language's catalog, to translate (tests/test_translations.py
# fails while any is missing or fuzzy).
translations-update: translations-extract
	$(BIN)/pybabel update -i $(MESSAGES_POT) -d $(TRANSLATIONS) --no-fuzzy-matching \
		--ignore-obsolete
	$(BIN)/pybabel update -i $(CLICK_POT) -d $(TRANSLATIONS) -D click --no-fuzzy-matching \
		--ignore-obsolete

run: $(STAMP) translations
	DOORMAN_ENV=development $(FLASK) db upgrade
	DOORMAN_ENV=development $(FLASK) demo load
	# The app, a local SMTP server that keeps every mail in instance/mail/ (shown at /dev/mail)
	# and the mail worker, all on 127.0.0.1; Ctrl-C stops all three.
	DOORMAN_ENV=development $(BIN)/python -m app.dev_run --host $(HOST) --port $(PORT) --mail-port $(MAIL_PORT)

test: $(STAMP) translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Lint and import order, types, then the suite on SQLite under coverage with a floor
# a little under what it measures (98% of the lines of app/ on SQLite).
# SQLite only, whatever TEST_DATABASE_URL says: `make test` runs both backends, and
# the PostgreSQL half would add minutes here for its few PostgreSQL-only lines.
COVERAGE_FLOOR ?= 97
check: $(STAMP) translations
	$(BIN)/ruff check .
	$(BIN)/mypy
	env -u TEST_DATABASE_URL -u BENCH_DATABASE_URL $(BIN)/python -m pytest -q \
		--cov=app --cov-report=term-missing:skip-covered --cov-fail-under=$(COVERAGE_FLOOR) $(PYTEST_ARGS)

screenshots: $(STAMP) translations
	$(BIN)/python docs/screenshots.py

# PostgreSQL rows need BENCH_DATABASE_URL (a database it may create schemas in);
# BENCH_ARGS=--quick for a short run.
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

# Mixed traffic against gunicorn and PostgreSQL for SOAK_MINUTES, its invariants checked as it runs;
# exits 1 if one breaks. Needs SOAK_DATABASE_URL or BENCH_DATABASE_URL (it works in its own schema).
SOAK_MINUTES ?= 10
soak: $(STAMP) translations
	SOAK_MINUTES=$(SOAK_MINUTES) $(BIN)/python -m bench.soak $(SOAK_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache .coverage
