"""A refused start's one line (webcall/setting_values.py `say_cannot_start`) reaches a shared stderr
whole. `make serve` starts gunicorn and the task worker side by side on one stderr; print() writes a
line and its newline in two writes, so a worker's log line landed between them ("… to a free
one2026-12-06T02:23:51Z INFO huey Executing …": a clean-clone CI run of test_serving_config caught it).

Two real processes write to one pipe at once: the refusal, many times, and plain log lines; every line
read back is one of the two, whole."""

from __future__ import annotations

import subprocess
import sys

import pytest

from webcall import ROOT

pytestmark = pytest.mark.unit

REFUSALS = 3000
REFUSAL = "from webcall.setting_values import say_cannot_start\nfor _ in range({n}): say_cannot_start('PORT')"
# The same start-up as the refusal's (the import), so both write at the same time.
NOISE = "import sys, webcall.setting_values\nfor _ in range({n}): sys.stderr.write('noise line\\n')"


def test_a_refusal_line_is_never_split_by_another_process_writing_to_the_same_stderr():
    read, write = subprocess.os.pipe()  # type: ignore[attr-defined]
    writers = [
        subprocess.Popen([sys.executable, "-c", code.format(n=n)], cwd=ROOT, stderr=write)
        for code, n in ((REFUSAL, REFUSALS), (NOISE, REFUSALS * 20))
    ]
    subprocess.os.close(write)  # type: ignore[attr-defined]
    with open(read, encoding="utf-8") as merged:
        lines = merged.read().splitlines()
    assert [w.wait() for w in writers] == [0, 0]
    mixed = [line for line in lines if line not in ("itellico web-call cannot start: PORT", "noise line")]
    assert mixed == []
    assert lines.count("itellico web-call cannot start: PORT") == REFUSALS
