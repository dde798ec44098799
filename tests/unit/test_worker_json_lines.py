"""With WEBCALL_LOG_FORMAT=json every line the task worker (webcall/worker.py) writes is one JSON object.

Its "itellico web-call worker is running (Ctrl-C stops it)" line and, on SIGHUP, "itellico web-call
worker: SIGHUP, starting again" were plain prints among the JSON lines of its logging (an operator
audit): a log shipper that parses JSON lines choked on them. They are log records now, through the
handler WEBCALL_LOG_FORMAT chose, with the same words (supervisors and tests look for them).

The real worker as a child process on SQLite (tests/unit/test_worker_hangup_at_start.py's): a few
seconds."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from tests.unit.test_worker_hangup_at_start import AGAIN, RUNNING, wait_for_line, worker

pytestmark = pytest.mark.unit


def not_json(lines: list[str]) -> list[str]:
    bad = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            bad.append(line)
            continue
        if not isinstance(record, dict) or not {"time", "level", "logger", "message"} <= record.keys():
            bad.append(line)
    return bad


def test_every_line_of_the_worker_is_json_at_start_and_after_a_sighup(tmp_path: Path) -> None:
    with worker(tmp_path, WEBCALL_LOG_FORMAT="json") as (process, lines):
        seen: list[str] = []
        wait_for_line(lines, RUNNING, seen)
        assert not_json(seen) == [], "".join(seen)
        process.send_signal(signal.SIGHUP)
        wait_for_line(lines, AGAIN, seen)
        wait_for_line(lines, RUNNING, seen)
        assert not_json(seen) == [], "".join(seen)
    said = [json.loads(line) for line in seen if RUNNING in line or AGAIN in line]
    assert [(r["logger"], r["message"]) for r in said] == [
        ("webcall.worker", "itellico web-call worker is running (Ctrl-C stops it)"),
        ("webcall.worker", "itellico web-call worker: SIGHUP, starting again"),
        ("webcall.worker", "itellico web-call worker is running (Ctrl-C stops it)"),
    ]
