# Two commands for a fresh machine:
#   make demo   - the app with demo data on SQLite (the embedded default), at http://127.0.0.1:8000
#   make test   - the whole test suite, on PostgreSQL (TEST_DATABASE_URL)
SHELL := /bin/bash
PYTHON313 ?= $(shell ls -d $$(pyenv root 2>/dev/null || echo /nonexistent)/versions/3.13*/bin/python3.13 2>/dev/null | tail -1)
UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
export UV_PYTHON := $(or $(PYTHON313),3.13)
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/mergeinbox
PORT ?= 8000
RUN := $(UV) run --frozen

.PHONY: demo test test-fast test-browser lint install uv screenshots fuzz bench

uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

install: uv
	$(UV) sync --frozen --quiet

demo: install
	DEBUG=True $(RUN) python manage.py migrate --no-input -v 0
	DEBUG=True $(RUN) python manage.py demo --url http://127.0.0.1:$(PORT)/
	@echo "Starting the worker and the web server on http://127.0.0.1:$(PORT)/ (Ctrl-C stops both)"
	DEBUG=True $(RUN) python manage.py db_worker --no-reload & worker=$$!; \
	trap "kill $$worker" EXIT; \
	DEBUG=True $(RUN) python manage.py runserver --noreload 127.0.0.1:$(PORT)

test: install
	DATABASE_URL=$(TEST_DATABASE_URL) $(RUN) pytest -q

test-fast: install
	DATABASE_URL=$(TEST_DATABASE_URL) $(RUN) pytest -q -m "not browser"

test-browser: install
	DATABASE_URL=$(TEST_DATABASE_URL) $(RUN) pytest -q -m browser

lint: install
	$(RUN) ruff check .

screenshots: install
	DATABASE_URL=$(TEST_DATABASE_URL) $(RUN) python docs/take_screenshots.py

# A long fuzzing run (the test suite runs a short one): FUZZ_EXAMPLES generated cases per format.
fuzz: install
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-2000} DATABASE_URL=$(TEST_DATABASE_URL) $(RUN) pytest -q tests/channels/test_fuzz.py

# Benchmarks on PostgreSQL: builds a 1k and a 1M-contact database (BENCH_CONTACTS, BENCH_MESSAGES;
# BENCH_REUSE=1 keeps one already built), prints the table and writes docs/benchmarks.md.
bench: install
	$(RUN) python bench/run.py
