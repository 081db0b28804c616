# Two entry points for a fresh machine: `make run` (the service) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-test bench-smoke clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test,bench]" -e ./client

## Set up and start the service (SQLite + local worker processes) on $(HOST):$(PORT).
run: install
	$(BIN)/landscape serve --host $(HOST) --port $(PORT)

## Set up and run the whole test suite (what CI runs).
test: install-test
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

clean:
	rm -rf $(VENV) build *.egg-info
