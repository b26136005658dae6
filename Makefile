# One entry point for developers and CI. Every target sets itself up: a fresh clone needs only python3.12.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# python3.12 (the Lambda runtime): from PATH, or from pyenv when the shim is not active.
PYTHON312 ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 /usr/bin/python3.12; do \
	$$p -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
SAM_VENV := .venv-sam
PY := $(VENV)/bin/python
SAM := $(SAM_VENV)/bin/sam
LOCK := layers/common/requirements.lock
# sam build looks for python3.12 on PATH; the project venv provides it.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export AWS_DEFAULT_REGION ?= eu-west-1
export SAM_CLI_TELEMETRY := 0
export SAM_CLI_DISABLE_UPDATE_CHECK := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help bench demo dev fuzz openapi test lint typecheck unit sam-validate sam-build deploy-dev sync-dev clean lock

help:
	@echo "make test     lint, type-check, unit + integration tests, sam validate --lint, sam build"
	@echo "make demo     the whole service on this machine, one story end to end (see README)"
	@echo "make dev      the same stack kept running, to try by hand (URLs in .local/endpoints.json)"
	@echo "make bench    benchmarks, written to docs/benchmarks.md"
	@echo "make openapi  regenerate docs/openapi.json from the management API's code"
	@echo "make fuzz     the hypothesis fuzz targets, 10,000 examples each (make test runs a light pass)"
	@echo "make deploy-dev   sam build && sam deploy --config-env dev"
	@echo "make sync-dev sam sync --watch against the dev stack (code changes in seconds)"
	@echo "make lock     re-lock the layer (layers/common/requirements.lock) after editing its requirements.txt"

# The layer's lock goes in first, hash-checked: the tests run exactly what the layer ships.
$(VENV)/.installed: requirements-dev.txt constraints.txt $(LOCK)
	@test -n "$(PYTHON312)" || { echo "python3.12 not found (it is the Lambda runtime; install it first)"; exit 1; }
	$(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	# pip refuses hashes in a constraints file: the lock's pins without them constrain the rest.
	sed -nE 's/^([A-Za-z0-9][^ ]*==[^ ]*).*/\1/p' $(LOCK) > $(VENV)/layer-pins.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt -c $(VENV)/layer-pins.txt
	touch $@

# pip-tools in a venv of its own: the lock's resolver is no dependency of the tests.
LOCK_VENV := .venv-lock
$(LOCK_VENV)/.installed:
	@test -n "$(PYTHON312)" || { echo "python3.12 not found"; exit 1; }
	$(PYTHON312) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet pip-tools==7.7.0
	touch $@

# After a change to layers/common/requirements.txt: every transitive package pinned, with the
# sha256 of every wheel of that version (arm64 and x86_64 alike), from PyPI.
lock: $(LOCK_VENV)/.installed
	PIP_CONFIG_FILE=/dev/null $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
		--strip-extras --no-emit-index-url --no-emit-find-links --index-url https://pypi.org/simple \
		--output-file $(LOCK) layers/common/requirements.txt

$(SAM_VENV)/.installed: requirements-sam.txt
	@test -n "$(PYTHON312)" || { echo "python3.12 not found"; exit 1; }
	$(PYTHON312) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet -r requirements-sam.txt
	touch $@

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

unit: $(VENV)/.installed
	$(VENV)/bin/pytest

sam-validate: $(SAM_VENV)/.installed
	$(SAM) validate --lint --template-file template.yaml

sam-build: $(SAM_VENV)/.installed $(VENV)/.installed
	$(SAM) build --template-file template.yaml --build-dir .aws-sam/build
	@test -f .aws-sam/build/CommonLayer/python/billit_sync/__init__.py || { echo 'layer is missing billit_sync'; exit 1; }
	$(PY) -m bench.layer .aws-sam/build/CommonLayer
	@test -f .aws-sam/build/CommonLayer/python/billit_sync/settings_ui/templates/settings.html || { echo 'layer is missing the settings page templates'; exit 1; }

test: lint typecheck unit sam-validate sam-build

deploy-dev: sam-build
	$(SAM) deploy --config-env dev

# Edit, save, see it in the dev stack: code and layer changes go straight to the functions,
# template changes through CloudFormation (samconfig.toml [dev.sync.parameters]).
sync-dev: $(SAM_VENV)/.installed $(VENV)/.installed
	$(SAM) sync --config-env dev --template-file template.yaml

# The fuzz targets of tests/fuzz at full strength (make test runs them with the light profile).
fuzz: $(VENV)/.installed
	HYPOTHESIS_PROFILE=fuzz $(VENV)/bin/pytest tests/fuzz --hypothesis-show-statistics

bench: $(VENV)/.installed
	PYTHONPATH=layers/common:. $(PY) -m bench

# The whole service on 127.0.0.1 (moto, the fakes, the HTTP API; see local/): no AWS, no network.
demo: $(VENV)/.installed
	PYTHONPATH=layers/common:. $(PY) -m local.demo

dev: $(VENV)/.installed
	PYTHONPATH=layers/common:. $(PY) -m local.dev

# The management API's OpenAPI document, generated from its code (make test fails on drift).
openapi: $(VENV)/.installed
	PYTHONPATH=layers/common:. $(PY) -m local.openapi

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache .local
