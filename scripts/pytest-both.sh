#!/usr/bin/env bash
# `make test`'s pytest, in three processes at once on CI's two cores: the end-to-end tests in two
# (pytest-xdist, a test file per process at a time: module fixtures stay shared), which mostly wait
# (browsers, servers, agents speaking in real time), and beside them the unit and fuzz tests, which
# compute. Every test picks its own free ports and temporary folders, and each end-to-end process has a
# sandbox of its own (its logs: artifacts/e2e/logs/gw0, gw1), so the runs share nothing but the machine.
# The unit and fuzz report is printed once the end-to-end run is done; the exit code is the first
# failing run's.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}

report=$(mktemp)
"$PY" -m pytest -m "not e2e" -p no:cacheprovider >"$report" 2>&1 &
rest=$!
trap 'kill "$rest" 2>/dev/null; rm -f "$report"' EXIT

echo "==> the end-to-end tests in two processes (the unit and fuzz tests run beside them; their report follows)"
"$PY" -m pytest -m e2e -n 2 --dist loadfile
e2e=$?
wait "$rest"
others=$?
echo
echo "==> the unit and fuzz tests (run beside the end-to-end tests)"
cat "$report"
if [ "$e2e" -ne 0 ]; then exit "$e2e"; fi
exit "$others"
