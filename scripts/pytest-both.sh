#!/usr/bin/env bash
# `make test`'s pytest, in two processes at once, one per core of CI's two: the end-to-end tests,
# which mostly wait (browsers, servers, agents speaking in real time), and beside them the unit and
# fuzz tests, which compute. One after the other they took ~21 minutes on CI's machine kind, side by
# side ~17 (the end-to-end run itself slows by ~1.5). Every test picks its own free ports and
# temporary folders, so the two runs share nothing but the machine. The unit and fuzz report is
# printed once the end-to-end run is done; the exit code is the first failing run's.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}

report=$(mktemp)
"$PY" -m pytest -m "not e2e" -p no:cacheprovider >"$report" 2>&1 &
rest=$!
trap 'kill "$rest" 2>/dev/null; rm -f "$report"' EXIT

echo "==> the end-to-end tests (the unit and fuzz tests run beside them; their report follows)"
"$PY" -m pytest -m e2e
e2e=$?
wait "$rest"
others=$?
echo
echo "==> the unit and fuzz tests (run beside the end-to-end tests)"
cat "$report"
if [ "$e2e" -ne 0 ]; then exit "$e2e"; fi
exit "$others"
