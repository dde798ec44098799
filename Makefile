# The two commands: `make run` (the app; the local sandbox when no API key is set) and `make test`.
.PHONY: run serve link test setup assets lint unit e2e bench

PY := .venv/bin/python

run: setup
	$(PY) -m webcall.devserver

# Production serving under gunicorn (gunicorn.conf.py) with the task worker (webcall/worker.py) next
# to it, stopped with it; `make serve SANDBOX=1` puts the sandbox behind it. Under systemd the worker
# is a unit of its own (docs/deployment.md).
serve: setup
ifeq ($(SANDBOX),1)
	$(PY) -m webcall.devserver --gunicorn
else
	$(PY) -m webcall.worker & worker=$$!; trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT; \
	$(PY) -m gunicorn -c gunicorn.conf.py app:app
endif

# A share link for a demo, signed with the local key: make link DEMO=alpenblick ARGS="--var name=Maria"
link: setup
	$(PY) -m webcall.devserver link $(DEMO) $(ARGS)

test: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	node_modules/.bin/tsc -p tsconfig.json
	node --test tests/js/
	$(PY) -m pytest

# Benchmarks (never part of `make test`): ratios against baselines measured in the same run.
bench: setup
	$(PY) -m bench.backend_overhead
	$(PY) -m bench.click_to_audio
	$(PY) -m bench.widget_bytes

setup:
	@bash scripts/setup.sh

# The minified browser assets in build/web/ (setup builds them when stale; this always rebuilds).
assets:
	node scripts/build-assets.mjs

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	node_modules/.bin/tsc -p tsconfig.json

unit: setup
	$(PY) -m pytest -m unit

e2e: setup
	$(PY) -m pytest -m e2e
