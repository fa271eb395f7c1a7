# Harbormaster — the two commands are `make run` and `make test`; `make help` lists the rest.
# Needs only python3 (>= 3.11), git and GNU make; everything else goes into .venv.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Rewritten whenever requirements.lock changes, so `install` re-runs only then.
STAMP := $(VENV)/.requirements.lock.installed
PYTEST_ARGS ?=
RUFF_PATHS ?= .

.DEFAULT_GOAL := help
.PHONY: help install run test test-fast lint typecheck fmt lock check-deploy migrate clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

install: $(STAMP) ## create .venv and install the pinned dependencies from requirements.lock

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python >= 3.11 is required (set PYTHON=python3.x)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --require-hashes -r requirements.lock
	@touch $@

run: install ## migrate, create the superuser and demo data, then run web + worker + beat
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py bootstrap
	$(BIN)/python manage.py runstack

test: install ## run the whole test suite, slowest 25 listed (make test PYTEST_ARGS="-k admin -x")
	$(BIN)/pytest --durations=25 $(PYTEST_ARGS)

test-fast: install ## the suite without the slow tests (subprocesses, workers, browser)
	$(BIN)/pytest -m "not slow" --durations=10 $(PYTEST_ARGS)

lint: install ## ruff check + ruff format --check + import contracts (lint-imports) + mypy
	$(BIN)/ruff check $(RUFF_PATHS)
	$(BIN)/ruff format --check $(RUFF_PATHS)
	$(BIN)/lint-imports
	$(BIN)/mypy

typecheck: install ## mypy (django-stubs) over the kernel, domain, selector and service modules
	$(BIN)/mypy

fmt: install ## fix what ruff can fix and format the code
	$(BIN)/ruff check --fix $(RUFF_PATHS)
	$(BIN)/ruff format $(RUFF_PATHS)

lock: ## recompile requirements.lock from pyproject.toml with uv (hashes, every platform)
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(PYTHON) -m venv "$$tmp/uv"; \
	"$$tmp/uv/bin/python" -m pip install --quiet uv; \
	"$$tmp/uv/bin/uv" pip compile --quiet pyproject.toml --extra dev --universal \
		--python-version 3.11 --generate-hashes -o requirements.lock
	@echo "requirements.lock updated; run 'make install' to apply it."

migrate: install ## apply database migrations
	$(BIN)/python manage.py migrate --no-input

check-deploy: install ## production settings + `check --deploy`, with the environment you give it
	DJANGO_SETTINGS_MODULE=config.settings.production \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

clean: ## remove .venv and caches (keeps var/, which holds the local database)
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .import_linter_cache .grimp_cache
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +
