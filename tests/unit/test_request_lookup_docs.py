"""The request lookup docs/operations.md gives ("Following one request"), run as written over what
`journalctl -u webcall -o cat` prints: the app's JSON lines among lines that are not JSON (systemd's own
lines about the unit, `itellico web-call cannot start: …`). Its `jq -c 'select(…)'` stopped at the first of
those with a parse error (exit 4) and printed nothing after it (an operator's audit)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess

import pytest

from webcall import ROOT

pytestmark = pytest.mark.unit

DOC = ROOT / "docs" / "operations.md"


def _documented_lookup() -> tuple[list[str], str]:
    """The documented `… | jq …` command of the section, and the request id it looks for."""
    section = DOC.read_text().split("## Following one request", 1)[1].split("\n## ", 1)[0]
    (line,) = [line for line in section.splitlines() if line.startswith("journalctl") and "| jq " in line]
    command = shlex.split(line.split("| ", 1)[1], comments=True)
    (request_id,) = set(re.findall(r"\b[0-9a-f]{32}\b", line))
    return command, request_id


def test_the_documented_lookup_finds_the_lines_of_a_request_among_others():
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed (Debian package jq)")
    command, request_id = _documented_lookup()
    assert command[0] == "jq", command
    ours = [
        {"logger": "gunicorn.access", "request_id": request_id, "message": "POST /api/calls 201"},
        {"logger": "webcall.api", "request_id": request_id, "message": "call.create outcome=created"},
    ]
    journal = [
        "Started webcall.service - itellico web-call.",
        json.dumps({"level": "INFO", "request_id": "0" * 32, "message": "GET /healthz"}),
        json.dumps(ours[0]),
        "itellico web-call cannot start: setting WEBCALL_THREADS: '0' is not a whole number in 1..256",
        "42",
        "[1, 2]",
        json.dumps(ours[1]),
        "Stopping webcall.service - itellico web-call...",
    ]
    found = subprocess.run(
        command, input="\n".join(journal) + "\n", capture_output=True, text=True, timeout=30, check=False
    )
    assert found.returncode == 0, found.stderr
    assert [json.loads(line) for line in found.stdout.splitlines()] == ours
