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
# sam build looks for python3.12 on PATH; the project venv provides it.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export AWS_DEFAULT_REGION ?= eu-west-1
export SAM_CLI_TELEMETRY := 0
export SAM_CLI_DISABLE_UPDATE_CHECK := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help bench demo dev fuzz test lint typecheck unit sam-validate sam-build deploy-dev clean

help:
	@echo "make test     lint, type-check, unit + integration tests, sam validate --lint, sam build"
	@echo "make demo     the whole service on this machine, one story end to end (see README)"
	@echo "make dev      the same stack kept running, to try by hand (URLs in .local/endpoints.json)"
	@echo "make bench    benchmarks, written to docs/benchmarks.md"
	@echo "make fuzz     the hypothesis fuzz targets, 10,000 examples each (make test runs a light pass)"
	@echo "make deploy-dev   sam build && sam deploy --config-env dev"

$(VENV)/.installed: requirements-dev.txt constraints.txt layers/common/requirements.txt
	@test -n "$(PYTHON312)" || { echo "python3.12 not found (it is the Lambda runtime; install it first)"; exit 1; }
	$(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

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
	@test -f .aws-sam/build/CommonLayer/python/billit_sync/settings_ui/templates/settings.html || { echo 'layer is missing the settings page templates'; exit 1; }
	@echo "layer size: $$(du -sh .aws-sam/build/CommonLayer | cut -f1)"

test: lint typecheck unit sam-validate sam-build

deploy-dev: sam-build
	$(SAM) deploy --config-env dev

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

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache .local
