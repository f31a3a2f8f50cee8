# Two commands for a fresh machine:
#   make demo   - the app with demo data on SQLite (the embedded default), at http://127.0.0.1:8000
#   make test   - the whole test suite, on PostgreSQL (TEST_DATABASE_URL)
SHELL := /bin/bash
# Python 3.13 from pyenv (on PATH or in ~/.pyenv), else any working python3.13; uv finds 3.13 itself otherwise.
PYTHON313 := $(shell for p in $$(pyenv root 2>/dev/null)/versions/3.13*/bin/python3.13 \
	$$HOME/.pyenv/versions/3.13*/bin/python3.13 $$(command -v python3.13); do \
	"$$p" -c "" 2>/dev/null && echo "$$p" && break; done)
export UV_PYTHON := $(or $(PYTHON313),3.13)
# uv from PyPI: the one on PATH when it runs, else as a module of that Python (installed by `make uv`).
UV_HOST_PYTHON := $(or $(PYTHON313),python3)
UV ?= $(shell uv --version >/dev/null 2>&1 && command -v uv || echo "$(UV_HOST_PYTHON) -m uv")
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/mergeinbox
# pytest-xdist processes for the test targets: one per core (each gets its own test database).
TEST_PROCESSES ?= auto
PORT ?= 8000
RUN := $(UV) run --frozen

.PHONY: demo test test-fast test-browser lint install uv services postgres manage screenshots fuzz bench

uv:
	@$(UV) --version >/dev/null 2>&1 || $(UV_HOST_PYTHON) -m pip install --quiet uv

install: uv
	@$(UV) sync --frozen --quiet

# PostgreSQL (and Chromium and gettext for `services`) installed, started and reachable: see .ci/ensure-services.
services:
	@TEST_DATABASE_URL=$(TEST_DATABASE_URL) .ci/ensure-services postgres chromium gettext

postgres:
	@TEST_DATABASE_URL=$(TEST_DATABASE_URL) .ci/ensure-services postgres

# Any management command with the project's Python 3.13, printing only the command's own output:
#   make manage ARGS='add_channel telegram "Bot" --secret S'
manage: install
	@$(MANAGE_ENV) $(RUN) python manage.py $(ARGS)

# The demo's replies go to a local sink that answers like the platforms (manage.py demo_sink), never to them.
# Live updates: the pages (WSGI, runserver here; gunicorn in production) open their event stream on
# uvicorn (ASGI) at STREAM_PORT. The stream needs PostgreSQL's LISTEN/NOTIFY: on the demo's SQLite it
# answers 204 and pages fall back to polling; with DATABASE_URL=postgres://... it streams.
STREAM_PORT ?= 8001
SINK_PORT ?= 8025
SMTP_SINK_PORT ?= 8026
DEMO_ENV := DEBUG=True WHATSAPP_API_BASE=http://127.0.0.1:$(SINK_PORT)/v21.0 \
	TELEGRAM_API_BASE=http://127.0.0.1:$(SINK_PORT) META_GRAPH_API_BASE=http://127.0.0.1:$(SINK_PORT) \
	EMAIL_HOST=127.0.0.1 EMAIL_PORT=$(SMTP_SINK_PORT) \
	LIVE_STREAM_URL=http://127.0.0.1:$(STREAM_PORT)/live/stream/ LIVE_STREAM_ALLOWED_ORIGINS=http://127.0.0.1:$(PORT),http://localhost:$(PORT)

# Without a SECRET_KEY (a machine that only runs the demo), management commands run as the demo does;
# with one (production: docs/security.md), as configured.
MANAGE_ENV := $(if $(SECRET_KEY)$(SECRET_KEY_FILE),,$(DEMO_ENV))

demo: install
	$(DEMO_ENV) $(RUN) python manage.py migrate --no-input -v 0
	$(DEMO_ENV) $(RUN) python manage.py demo --url http://127.0.0.1:$(PORT)/
	@echo "Starting the platform sink, the workers and the web server on http://127.0.0.1:$(PORT)/ (Ctrl-C stops them all)"
	$(DEMO_ENV) $(RUN) python manage.py demo_sink --port $(SINK_PORT) --smtp-port $(SMTP_SINK_PORT) & sink=$$!; \
	$(DEMO_ENV) $(RUN) python manage.py db_worker --no-reload & worker=$$!; \
	$(DEMO_ENV) $(RUN) python manage.py inbound_worker & inbound=$$!; \
	$(DEMO_ENV) $(RUN) uvicorn config.asgi:application --host 127.0.0.1 --port $(STREAM_PORT) --log-level warning --timeout-graceful-shutdown 1 & stream=$$!; \
	trap "kill $$worker $$inbound $$sink $$stream" EXIT; \
	$(DEMO_ENV) $(RUN) python manage.py runserver --noreload 127.0.0.1:$(PORT)

test: install services
	DATABASE_URL=$(TEST_DATABASE_URL) $(RUN) pytest -q -n $(TEST_PROCESSES) $(PYTEST_ARGS)

test-fast: install postgres
	DATABASE_URL=$(TEST_DATABASE_URL) $(RUN) pytest -q -n $(TEST_PROCESSES) -m "not browser" $(PYTEST_ARGS)

test-browser: install services
	DATABASE_URL=$(TEST_DATABASE_URL) $(RUN) pytest -q -n $(TEST_PROCESSES) -m browser $(PYTEST_ARGS)

lint: install
	$(RUN) ruff check .
	$(RUN) lint-imports

screenshots: install services
	DATABASE_URL=$(TEST_DATABASE_URL) $(RUN) python docs/take_screenshots.py

# A long fuzzing run (the test suite runs a short one): FUZZ_EXAMPLES generated cases per format,
# and MERGE_FUZZ_EXAMPLES random runs of the merge/unmerge state machine (MERGE_FUZZ_STEPS steps each).
fuzz: install postgres
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-2000} DATABASE_URL=$(TEST_DATABASE_URL) $(RUN) pytest -q tests/channels/test_fuzz.py
	MERGE_FUZZ_EXAMPLES=$${MERGE_FUZZ_EXAMPLES:-200} MERGE_FUZZ_STEPS=$${MERGE_FUZZ_STEPS:-40} DATABASE_URL=$(TEST_DATABASE_URL) $(RUN) pytest -q tests/merging/test_merge_state_machine.py

# Benchmarks on PostgreSQL: builds a 1k and a 1M-contact database (BENCH_CONTACTS, BENCH_MESSAGES;
# BENCH_REUSE=1 keeps one already built), prints the table and writes docs/benchmarks.md.
bench: install postgres
	$(RUN) python bench/run.py
