"""How `make test` shares CI's two cores between its two pytest processes (pytest-xdist).

The end-to-end tests mostly wait (browsers, agents speaking in real time) and the unit and fuzz tests
compute. Two processes each taking the next file in one queue ran both on end-to-end files most of
the time: the load average went to 12 (two browsers and two sets of agents at once) and each call
slowed down. So each process has a lane: the first takes end-to-end files, the second unit and fuzz
files; a process whose lane is empty takes the other kind's files from the far end of their queue,
so the two meet in the middle and end together.

A unit of work is a test file (`--dist loadfile`): one process runs its tests in order and makes its
module fixtures once. The files in TOGETHER share one unit. The grouping is this scheduler's own, from
the test ids alone: pytest-xdist 3.8's `xdist_group` marks (`--dist loadgroup`) are silently ignored
with pytest 9.2 (it writes the group into a node id field pytest 9.2 no longer reads), which split
files test by test between the processes: each made the module's fixtures again, and the second ran
its share from the last test back. tests/unit/test_lanes.py checks this with real processes.
"""

from __future__ import annotations

from typing import Any

import pytest
from xdist.scheduler import LoadFileScheduling
from xdist.workermanage import WorkerController

E2E = "tests/e2e/"

# Files that never run at the same time: their agents must recognise what a WAV says, and in a run
# with three test processes on two cores (load average 12-15) the slow phone's pre-connect recording
# reached the agent after LiveKit Agents' 3 s for it, and the question was never heard.
TOGETHER = {
    f"{E2E}test_call.py": "speech",
    f"{E2E}test_preconnect.py": "speech",
}


class Lanes(LoadFileScheduling):
    """`--dist loadfile`, with the end-to-end files for the first process (`gw0`) and the unit and
    fuzz files for the others; in each lane the files with the most tests first (pytest-xdist's
    order), so the few-test files, mostly short, are what the other process takes at the end."""

    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        return TOGETHER.get(path, path)

    def _assign_work_unit(self, node: WorkerController) -> None:
        waits = node.gateway.id == "gw0"
        scopes = list(self.workqueue)
        mine = [s for s in scopes if self._is_e2e(s) == waits]
        # Own lane from the front; else the other lane's last unit, smallest work left at the end.
        # pytest-xdist assigns the queue's first unit: put the chosen one there.
        self.workqueue.move_to_end(mine[0] if mine else scopes[-1], last=False)
        super()._assign_work_unit(node)

    def _is_e2e(self, scope: str) -> bool:
        return next(iter(self.workqueue[scope])).startswith(E2E)


@pytest.hookimpl(tryfirst=True, optionalhook=True)  # before xdist's own; none without it (-p no:xdist)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Lanes | None:
    return Lanes(config, log) if config.getvalue("dist") == "loadfile" else None
