# The two commands: `make run` (the app; the local sandbox when no API key is set) and `make test`.
.PHONY: run test setup lint unit e2e js bench

PY := .venv/bin/python

run: setup
	$(PY) -m webcall.devserver

test: setup
	$(PY) -m ruff check .
	node --test tests/js/
	$(PY) -m pytest

setup:
	@bash scripts/setup.sh

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

unit: setup
	$(PY) -m pytest -m unit

e2e: setup
	$(PY) -m pytest -m e2e
