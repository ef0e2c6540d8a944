# kaiteki — two commands for a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
KAITEKI := $(VENV)/bin/kaiteki
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
NAME ?=

.PHONY: install demo prepare test lint bench docs clean live

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## prepare: build the embedded Sapporo area and the demo data (cached; a second run is quick)
prepare: install
	$(KAITEKI) prepare

## demo: install, prepare the embedded Sapporo data and serve the app on http://$(HOST):$(PORT)
demo: prepare
	$(KAITEKI) serve --host $(HOST) --port $(PORT)

## live: local MQTT broker, a SIMULATED sensor network publishing now (SPEED=60 for 1 min/s),
## the collector and the app; Ctrl-C stops all (docs/LIVE.md)
live: prepare
	bash scripts/live.sh

## test: install and run the whole suite
test: install
	bash scripts/test-setup.sh
	$(VENV)/bin/pytest

## lint: ruff (lint + format), mypy on the packages, import-linter layers
lint: install
	$(VENV)/bin/ruff check comfort sensors api maps tests bench
	$(VENV)/bin/ruff format --check comfort sensors api maps tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

## bench: run every benchmark in bench/ (or one: make bench NAME=utci) and print one table
bench: install
	$(PY) -m bench $(NAME)

## docs: API reference generated from the docstrings (pdoc, offline) into build/docs/
docs: install
	$(VENV)/bin/pdoc --docformat numpy --no-math --no-mermaid \
		--footer-text "kaiteki API reference (generated from the docstrings)" \
		-o build/docs comfort sensors maps api
	@echo "API reference: build/docs/index.html (narrative docs: docs/README.md)"

clean:
	rm -rf var/cache bench/results/*.json
