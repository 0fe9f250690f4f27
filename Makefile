# Developer and CI entry points. `make` alone lists the targets.
#
# Slow steps are keyed on stamp files, so a second run only redoes what an input changed:
#   .venv/.installed                       requirements/dev.txt, pyproject.toml
#   frontend/node_modules/.npm-ci.stamp    frontend/package.json, frontend/package-lock.json
#   frontend/node_modules/.assets.stamp    the npm install, frontend/*.scss, frontend/*.mjs
# (the assets stamp is not kept inside src/govhub/static/dist, which the app serves as static files).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FUZZ_EXAMPLES ?= 500
INSTALL_STAMP := $(VENV)/.installed

# uv regenerates the locks from a venv of its own, so it is never part of the locked requirements.
TOOLS_VENV := .venv-tools
TOOLS_STAMP := $(TOOLS_VENV)/.installed
UV_REQUIREMENT ?= uv
LOCK_FLAGS ?=

NODE_MODULES := frontend/node_modules
NPM_STAMP := $(NODE_MODULES)/.npm-ci.stamp
ASSETS_STAMP := $(NODE_MODULES)/.assets.stamp
DIST := src/govhub/static/dist
ASSET_SOURCES := frontend/package-lock.json $(wildcard frontend/*.scss) $(wildcard frontend/*.mjs)

# Extra arguments for pytest in `make test`, e.g. make test PYTEST_ARGS='-k health -x'
PYTEST_ARGS ?=
# Extra arguments for every benchmark in `make bench`, e.g. make bench BENCH_ARGS='--requests 200'
BENCH_ARGS ?=

.PHONY: help install assets run test lint bench fuzz lock lock-upgrade openapi-snapshot clean clean-data FORCE

help: ## List the targets
	@echo "make targets:"
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-18s %s\n", $$1, $$2}'
	@echo "variables: PYTEST_ARGS (make test), BENCH_ARGS (make bench), LOCK_FLAGS (make lock), GOVHUB_TEST_POSTGRES=auto|throwaway|existing"

install: $(INSTALL_STAMP) ## Create .venv and install the locked runtime and dev dependencies, then govhub (editable)

$(INSTALL_STAMP): requirements/dev.txt pyproject.toml
	@test -x $(BIN)/python || { echo "creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --disable-pip-version-check --require-hashes -r requirements/dev.txt
	$(BIN)/python -m pip install --disable-pip-version-check --no-deps -e .
	@touch $@

assets: $(ASSETS_STAMP) ## Install the front-end packages (npm ci) and build src/govhub/static/dist

$(NPM_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

# Also rebuild when the output is gone (deleted by hand), whatever the stamp says.
$(ASSETS_STAMP): $(NPM_STAMP) $(ASSET_SOURCES) $(if $(wildcard $(DIST)/VERSION),,FORCE)
	node frontend/build.mjs
	@touch $@

FORCE:

run: install assets ## Migrate, load the demo data, serve on http://127.0.0.1:8000, the demo service on :8001 and the blue badge provider on :8002 (data in var/)
	@mkdir -p var
	@# On a laptop, loopback is both the demo providers' network (the gateway may call them) and GovStack's
	@# examples' trusted mediator (the registries believe a bare Information-Mediator-Client from it).
	@# Never set either to loopback on a shared host: see docs/operations.md.
	export GOVHUB_GATEWAY_ALLOWED_NETWORKS='["127.0.0.0/8","::1/128"]' \
	  GOVHUB_REGISTRIES_TRUSTED_MEDIATORS='["127.0.0.0/8","::1/128"]'; \
	$(BIN)/govhub db upgrade; \
	$(BIN)/govhub demo load; \
	$(BIN)/govhub govstack load; \
	$(BIN)/govhub demo-service & demo_service=$$!; \
	$(BIN)/govhub demo-provider blue-badge & blue_badge=$$!; \
	trap 'kill $$demo_service $$blue_badge 2>/dev/null || true' EXIT; \
	GOVHUB_LOG_FORMAT=$${GOVHUB_LOG_FORMAT:-text} $(BIN)/govhub serve

test: install assets ## Lint, type-check and run the tests on SQLite and PostgreSQL (scripts/test.sh)
	scripts/test.sh $(PYTEST_ARGS)

lint: install ## ruff check, ruff format --check, the import contracts (lint-imports) and mypy (all run; fails if any fails)
	@status=0; \
	$(BIN)/ruff check . || status=1; \
	$(BIN)/ruff format --check . || status=1; \
	$(BIN)/lint-imports || status=1; \
	$(BIN)/mypy || status=1; \
	exit $$status

bench: install assets ## Run every benchmarks/*.py (as python -m benchmarks.<name>) and print its figures
	@status=0; found=0; \
	for script in benchmarks/*.py; do \
	  [ -f "$$script" ] || continue; \
	  case "$${script##*/}" in __init__.py|_*|conftest.py) continue;; esac; \
	  found=$$((found + 1)); \
	  module="benchmarks.$$(basename "$$script" .py)"; \
	  echo "==== $$module"; \
	  $(BIN)/python -m "$$module" $(BENCH_ARGS) || { echo "==== $$module FAILED" >&2; status=1; }; \
	done; \
	if [ $$found -eq 0 ]; then echo "no benchmarks yet: add benchmarks/<name>.py scripts that print their figures"; fi; \
	exit $$status

$(TOOLS_STAMP):
	$(PYTHON) -m venv $(TOOLS_VENV)
	@echo '*' > $(TOOLS_VENV)/.gitignore
	$(TOOLS_VENV)/bin/python -m pip install --disable-pip-version-check --quiet '$(UV_REQUIREMENT)'
	@touch $@

fuzz: install ## Schemathesis against GovStack's spec files and the app's own /openapi.json, many fresh examples (FUZZ_EXAMPLES=500), both databases
	GOVHUB_TEST_SCHEMATHESIS_EXAMPLES=$(FUZZ_EXAMPLES) GOVHUB_TEST_SCHEMATHESIS_RANDOM=1 $(BIN)/pytest -q -p no:cacheprovider tests/functional/registries/test_govstack_schemathesis.py tests/functional/security/test_openapi_schemathesis.py --database=sqlite
	GOVHUB_TEST_SCHEMATHESIS_EXAMPLES=$(FUZZ_EXAMPLES) GOVHUB_TEST_SCHEMATHESIS_RANDOM=1 scripts/with-postgres.sh $(BIN)/pytest -q -p no:cacheprovider tests/functional/registries/test_govstack_schemathesis.py tests/functional/security/test_openapi_schemathesis.py --database=postgresql

lock: $(TOOLS_STAMP) ## Regenerate requirements/main.txt and dev.txt from pyproject.toml with uv (keeps pins; LOCK_FLAGS=--upgrade to bump)
	$(TOOLS_VENV)/bin/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes --quiet $(LOCK_FLAGS) -o requirements/main.txt
	$(TOOLS_VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes --quiet $(LOCK_FLAGS) -o requirements/dev.txt

lock-upgrade: ## Like lock, but upgrade every pin to the newest allowed version
	$(MAKE) lock LOCK_FLAGS=--upgrade

# The suite deletes every GOVHUB_* variable but GOVHUB_TEST_* at start-up (tests/conftest.py), so the
# switch is GOVHUB_TEST_UPDATE_SNAPSHOTS.
openapi-snapshot: install assets ## Rewrite tests/snapshots/openapi.json, which the meta tests compare against
	GOVHUB_TEST_UPDATE_SNAPSHOTS=1 $(BIN)/pytest tests/meta -k openapi

clean: ## Remove the venvs, node_modules, built assets and caches (keeps var/, the local data)
	rm -rf $(VENV) $(TOOLS_VENV) $(NODE_MODULES) $(DIST) src/*.egg-info \
	  .pytest_cache .mypy_cache .ruff_cache .hypothesis test-artifacts
	find . -name __pycache__ -type d -not -path './.git/*' -prune -exec rm -rf {} +

clean-data: ## Remove var/ (the local SQLite database and other local state)
	rm -rf var
