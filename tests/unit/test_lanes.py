"""`make test`'s two processes: the first takes the end-to-end files, the second the unit and fuzz files,
and a process with none of its own left takes the other kind's last file (tests/lanes.py).

Driven through pytest-xdist's scheduler interface (add nodes, their collections, schedule, complete
tests) with two stand-in workers that finish their tests one at a time, in turn."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from tests.lanes import E2E, Lanes

UNIT, FUZZ = "tests/unit/", "tests/fuzz/"  # made-up files in these folders: test_docs checks cited ones


class Worker:
    def __init__(self, name: str) -> None:
        self.gateway = SimpleNamespace(id=name)
        self.shutting_down = False
        self.queue: list[int] = []

    def send_runtest_some(self, indexes: list[int]) -> None:
        self.queue.extend(indexes)

    def shutdown(self) -> None:
        self.shutting_down = True


def config() -> Any:
    values = {"tx": ["2*popen"], "dist": "loadgroup"}
    return SimpleNamespace(getvalue=values.get, option=SimpleNamespace(loadscopereorder=True))


def run(collection: list[str]) -> dict[str, list[str]]:
    """Every test each worker ran, in order, finishing one test of each busy worker in turn."""
    lanes = Lanes(config())  # type: ignore[arg-type]
    workers = [Worker("gw0"), Worker("gw1")]
    for worker in workers:
        lanes.add_node(worker)  # type: ignore[arg-type]
        lanes.add_node_collection(worker, collection)  # type: ignore[arg-type]
    lanes.schedule()
    ran: dict[str, list[str]] = {w.gateway.id: [] for w in workers}
    while any(w.queue for w in workers):
        for worker in workers:
            if worker.queue:
                index = worker.queue.pop(0)
                ran[worker.gateway.id].append(collection[index])
                lanes.mark_test_complete(worker, index)  # type: ignore[arg-type]
    assert sorted(ran["gw0"] + ran["gw1"]) == sorted(collection)
    return ran


def files(tests: list[str]) -> list[str]:
    return list(dict.fromkeys(t.split("::")[0].split("@")[0] for t in tests))


def some_tests(path: str, n: int, group: str | None = None) -> list[str]:
    return [f"{path}::test_{i}@{group or path}" for i in range(n)]


def test_each_process_keeps_to_its_lane_while_it_has_files_of_its_own() -> None:
    e2e = some_tests(f"{E2E}test_a.py", 3) + some_tests(f"{E2E}test_b.py", 2)
    unit = some_tests(f"{UNIT}test_c.py", 3) + some_tests(f"{FUZZ}test_d.py", 2)
    ran = run(unit[:3] + e2e[:3] + unit[3:] + e2e[3:])
    assert files(ran["gw0"]) == [f"{E2E}test_a.py", f"{E2E}test_b.py"]
    assert files(ran["gw1"]) == [f"{UNIT}test_c.py", f"{FUZZ}test_d.py"]


def test_a_process_out_of_files_takes_the_other_kinds_last_ones() -> None:
    e2e = [t for i in range(6) for t in some_tests(f"{E2E}test_{i}.py", 6 - i)]
    unit = some_tests(f"{UNIT}test_only.py", 2)
    ran = run(e2e + unit)
    assert files(ran["gw1"])[0] == f"{UNIT}test_only.py"
    taken = files(ran["gw1"])[1:]
    assert taken, "the unit process, done first, took no end-to-end file"
    # From the far end of the queue (fewest tests), while the first process works from the front.
    assert taken[0] == f"{E2E}test_5.py"
    assert f"{E2E}test_0.py" in files(ran["gw0"])


def test_a_group_of_files_is_one_unit_run_by_one_process() -> None:
    speech = some_tests(f"{E2E}test_x.py", 2, "speech") + some_tests(f"{E2E}test_y.py", 2, "speech")
    ran = run(speech + some_tests(f"{E2E}test_z.py", 1) + some_tests(f"{UNIT}test_u.py", 1))
    holders = [name for name, tests in ran.items() if any("@speech" in t for t in tests)]
    assert len(holders) == 1
    assert [t for t in ran[holders[0]] if "@speech" in t] == speech
