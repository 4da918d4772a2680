# riskmap — the README's commands. Every target does its own set-up and is fast when done.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RISKMAP := $(BIN)/riskmap
DATA_DIR ?= data
SAMPLE_DIR := $(DATA_DIR)/sample
SEED ?= 20260701
export RISKMAP_DATA_DIR ?= $(DATA_DIR)

.PHONY: setup venv frontend browser db sample pipeline run test bench bench-tools lint clean

setup: venv frontend db

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	touch $@

frontend: frontend/node_modules/.package-lock.json

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error

browser:
	bash scripts/ensure-browser.sh

db: venv
	bash scripts/ensure-db.sh
	$(RISKMAP) db upgrade

$(SAMPLE_DIR)/manifest.json: | venv
	$(RISKMAP) sample generate --out $(SAMPLE_DIR) --seed $(SEED)

sample: db $(SAMPLE_DIR)/manifest.json
	$(RISKMAP) sample load $(SAMPLE_DIR)

pipeline: sample
	$(RISKMAP) pipeline run --sample

run: setup pipeline
	$(RISKMAP) serve

test: setup browser
	$(BIN)/pytest $(PYTEST_ARGS)

bench-tools: venv
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } \
	  || { echo "install wrk (Debian: apt-get install wrk)"; exit 1; }
	test -x .venv-bench/bin/uvicorn || { $(PYTHON) -m venv .venv-bench && \
	  .venv-bench/bin/pip install -q --disable-pip-version-check tipg uvicorn; }
	test -x .venv-bench/bin/locust || .venv-bench/bin/pip install -q --disable-pip-version-check locust py-spy

bench: setup bench-tools $(SAMPLE_DIR)/manifest.json
	@for b in $(wildcard bench/bench_*.py); do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: venv
	$(BIN)/ruff check backend pipelines sample_data tests $(wildcard bench)
	$(BIN)/lint-imports
	$(BIN)/python scripts/audit.py  # pip-audit + npm audit; skipped with a message when unreachable

clean:
	rm -rf $(VENV) $(DATA_DIR) .pytest_cache test-artifacts frontend/node_modules
