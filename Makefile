# Everyday tasks. `make run` and `make test` work on a fresh Debian/Ubuntu machine with Python 3.11.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run setup ingest serve test test-fast test-deps lint typecheck format bench clean

run: setup ingest serve

setup: $(BIN)/vidensbank

$(BIN)/vidensbank: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

ingest: setup
	$(BIN)/vidensbank ingest corpus/

serve: setup
	$(BIN)/vidensbank serve --host $(HOST) --port $(PORT)

test-deps: setup
	bash scripts/install-test-deps.sh $(VENV)

test: test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	bash scripts/typecheck.sh $(VENV)
	$(BIN)/pytest

# The inner loop: everything but the tests marked slow (the full model over larger corpora).
test-fast: test-deps
	$(BIN)/ruff check .
	$(BIN)/pytest -m "not slow and not browser" -x -q

typecheck:
	bash scripts/typecheck.sh $(VENV)

lint:
	$(BIN)/ruff check .

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(BIN)/vidensbank bench

clean:
	rm -rf data test-artifacts .pytest_cache
