#!/usr/bin/env bash
# `make serve`: gunicorn (gunicorn.conf.py) and the task worker (python -m webcall.worker) side by side,
# supervised as one: when either exits, the other is stopped and this exits non-zero, so a worker that
# died or refused to start (a queue it cannot reach) never leaves gunicorn serving alone, accepting
# webhooks nothing applies (an operator's audit). Ctrl-C, SIGTERM or SIGHUP (a closed terminal) to this
# shell stops both too. A SIGHUP sent to the worker alone restarts it in place (webcall/worker.py).
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"

# WEB_CONCURRENCY is read by gunicorn itself at import, before gunicorn.conf.py can check it: check the
# serving settings first (one line for a bad one), and take an empty one as the default, as the others.
"$PY" -m webcall.serving || exit 2
[ -n "${WEB_CONCURRENCY:-}" ] || unset WEB_CONCURRENCY

# Metrics (docs/operations.md#metrics): the app and its task worker write their samples into one
# PROMETHEUS_MULTIPROC_DIR, so a scrape of the app's /metrics adds up the worker's counters too. It is
# made empty here, before either process imports prometheus_client, and removed once both have stopped;
# one already set in the environment is used as it is and kept. gunicorn.conf.py leaves it alone.
made="" worker="" app=""
stop_both() {
  # SIGTERM: gunicorn lets in-flight requests finish (WEBCALL_GRACEFUL_TIMEOUT); the worker stops at
  # once, and an event it was applying is applied by the next worker (docs/deployment.md).
  trap '' INT TERM HUP  # a second Ctrl-C must not cut the wait short and leave either behind
  [ -z "$worker$app" ] || kill -TERM $worker $app 2>/dev/null
  wait
  [ -z "$made" ] || rm -rf "$made"
}
trap stop_both EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [ -z "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
  PROMETHEUS_MULTIPROC_DIR=$(mktemp -d -t webcall-shared-metrics-XXXXXXXX) || exit 1
  made=$PROMETHEUS_MULTIPROC_DIR
fi
export PROMETHEUS_MULTIPROC_DIR

# Only gunicorn verifies itellico's webhooks: the worker starts without their secrets, so they are not in
# its process environment (/proc/<pid>/environ) either; its own os.environ.pop in webcall/worker.py
# leaves that block as it was started. `env` replaces itself with Python: $worker is the worker's pid.
env -u ITELLICOAI_WEBHOOK_SECRET -u ITELLICOAI_WEBHOOK_SECRET_PREVIOUS "$PY" -m webcall.worker &
worker=$!
"$PY" -m gunicorn -c gunicorn.conf.py app:app &
app=$!

# Whichever ends first (bash's `wait -n`); a signal above ends this wait through its trap.
wait -n "$worker" "$app"
status=$?
ended="the task worker" other="gunicorn"
if kill -0 "$worker" 2>/dev/null; then ended="gunicorn" other="the task worker"; fi
echo "make serve: $ended exited (status $status); stopping $other" >&2
((status != 0)) || status=1  # one of the two is not serving: never a success
exit "$status"
