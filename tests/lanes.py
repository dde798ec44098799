"""How `make test` shares CI's two cores between its two pytest processes (pytest-xdist).

The end-to-end tests mostly wait (browsers, agents speaking in real time) and the unit and fuzz tests
compute. Two processes each taking the next file in one queue ran both on end-to-end files most of
the time: the load average went to 12 (two browsers and two sets of agents at once) and each call
slowed down. So each process has a lane: the first takes end-to-end files, the second unit and fuzz
files; a process whose lane is empty takes the other kind's files from the far end of their queue,
so the two meet in the middle and end together. A unit of work is a test file, or a group of files
(`xdist_group`, tests/conftest.py): its module fixtures are made once.
"""

from __future__ import annotations

from xdist.scheduler import LoadGroupScheduling
from xdist.workermanage import WorkerController

E2E = "tests/e2e/"


class Lanes(LoadGroupScheduling):
    """`--dist loadgroup`, with the end-to-end files for the first process (`gw0`) and the unit and
    fuzz files for the others; in each lane the files with the most tests first (pytest-xdist's
    order), so the few-test files, mostly short, are what the other process takes at the end."""

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
