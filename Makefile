# The two commands: `make run` (the app; the local sandbox when no API key is set) and `make test`.
.PHONY: run serve link test setup serve-setup lock assets lint unit e2e bench

PY := .venv/bin/python

# Metrics (docs/operations.md#metrics): the app and its task worker write their samples into one
# PROMETHEUS_MULTIPROC_DIR, so a scrape of the app's /metrics adds up the worker's counters too
# (notifications, the GET-call fallback). It is made empty here, before either process imports
# prometheus_client, and removed once both have stopped (Ctrl-C or SIGTERM to the group, e.g. systemd);
# one already set in the environment is used as it is and kept. gunicorn.conf.py leaves it alone.
SHARED_METRICS_DIR = if [ -z "$$PROMETHEUS_MULTIPROC_DIR" ]; then \
	PROMETHEUS_MULTIPROC_DIR=$$(mktemp -d -t webcall-shared-metrics-XXXXXXXX) && made=$$PROMETHEUS_MULTIPROC_DIR; \
	fi; export PROMETHEUS_MULTIPROC_DIR; trap 'exit 130' INT; trap 'exit 143' TERM;

run: setup
	@$(SHARED_METRICS_DIR) trap 'rm -rf "$$made"' EXIT; \
	$(PY) -m webcall.devserver

# Production serving under gunicorn (gunicorn.conf.py) with the task worker (webcall/worker.py) next
# to it, supervised together by scripts/serve.sh: either one exiting stops the other and `make serve`
# exits non-zero. It installs only what serving needs (`serve-setup`: no Debian packages, no Go builds);
# `make serve SANDBOX=1` puts the sandbox behind it and so needs the full `setup`. Under systemd the
# worker is a unit of its own (docs/deployment.md).
# WEB_CONCURRENCY is read by gunicorn itself at import, before gunicorn.conf.py can check it: check the
# serving settings first (one line for a bad one), and take an empty one as the default, as the others.
SERVING_CHECK = $(PY) -m webcall.serving || exit 2; if [ -z "$$WEB_CONCURRENCY" ]; then unset WEB_CONCURRENCY; fi;

ifeq ($(SANDBOX),1)
serve: setup
	@$(SERVING_CHECK) $(SHARED_METRICS_DIR) trap 'rm -rf "$$made"' EXIT; \
	$(PY) -m webcall.devserver --gunicorn
else
serve: serve-setup
	@PY=$(PY) exec bash scripts/serve.sh
endif

# A share link for a demo of `make run`'s app, signed with its local key (webcall/devserver.py):
# make link DEMO=alpenblick ARGS="--var name=Maria". It needs only the app's packages (`serve-setup`):
# the full `setup` installed Debian packages and needed Go, even on a serve-only host. On a server the
# link comes from `flask --app app demos link` with the app's environment (docs/sales.md).
link: serve-setup
	$(PY) -m webcall.devserver link $(DEMO) $(ARGS)

test: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	node_modules/.bin/tsc -p tsconfig.json
	node --test tests/js/
	$(PY) -m pytest -n 2 --dist loadfile

# Benchmarks (never part of `make test`): ratios against baselines measured in the same run.
bench: setup
	$(PY) -m bench.backend_overhead
	$(PY) -m bench.click_to_audio
	$(PY) -m bench.text_greeting
	$(PY) -m bench.page_cpu
	$(PY) -m bench.widget_bytes
	$(PY) -m bench.studio_index

setup:
	@bash scripts/setup.sh

# What `make serve` needs on a production host: the app's Python packages, the npm packages and the
# built browser assets (scripts/setup.sh --serve).
serve-setup:
	@bash scripts/setup.sh --serve

# Refreshes requirements-lock.txt (docs/deployment.md#python-packages; scripts/setup.sh installs with it):
# the newest releases pyproject.toml's pins allow, resolved in a throwaway venv (a few minutes: every
# package is downloaded); the next `make setup` installs the new lock into .venv.
LOCK := requirements-lock.txt
lock:
	@set -e; tmp=$$(mktemp -d -t webcall-lock-XXXXXXXX); trap 'rm -rf "$$tmp"' EXIT; \
	echo "==> Resolving .[sandbox,test] in a throwaway venv (a few minutes)"; \
	"$${PYTHON:-python3.11}" -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install -q --upgrade pip setuptools; \
	"$$tmp/venv/bin/python" -m pip install -q -e '.[sandbox,test]'; \
	{ grep '^#' $(LOCK) || true; "$$tmp/venv/bin/python" -m pip freeze --all --exclude-editable; } > "$$tmp/lock"; \
	mv "$$tmp/lock" $(LOCK)

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
