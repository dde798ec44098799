"""`make test`'s two processes: the first takes the end-to-end files, the second the unit and fuzz files,
and a process with none of its own left takes the other kind's last file (tests/lanes.py).

Driven through pytest-xdist's scheduler interface (add nodes, their collections, schedule, complete
tests) with two stand-in workers that finish their tests one at a time, in turn; and once with real
pytest processes, as `make test` runs them (pytest-xdist's own grouping broke that way: silently)."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tests.lanes import E2E, TOGETHER, Lanes
from webcall import ROOT

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
    values = {"tx": ["2*popen"], "dist": "loadfile"}
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
    return list(dict.fromkeys(t.split("::")[0] for t in tests))


def some_tests(path: str, n: int) -> list[str]:
    return [f"{path}::test_{i}" for i in range(n)]


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


def test_files_together_are_one_unit_run_by_one_process() -> None:
    together = [t for path in TOGETHER for t in some_tests(path, 2)]
    assert len(set(TOGETHER.values())) == 1 and len(together) == 4
    ran = run(together + some_tests(f"{E2E}test_z.py", 1) + some_tests(f"{UNIT}test_u.py", 1))
    holders = [name for name, tests in ran.items() if set(tests) & set(together)]
    assert len(holders) == 1
    assert [t for t in ran[holders[0]] if t in together] == together


# Each made-up test notes which process ran it, and when, into the file named by its environment.
NOTE = """
import json, os, time

def note(name):
    started = time.monotonic()
    time.sleep(0.2)
    with open(os.environ["LANES_NOTES"], "a") as out:
        out.write(json.dumps([os.environ["PYTEST_XDIST_WORKER"], name, started, time.monotonic()]) + "\\n")
"""


def test_real_processes_run_each_file_whole_and_in_order(tmp_path: Path) -> None:
    # The project's own scheduler, registered as tests/conftest.py does, in a folder of made-up files.
    (tmp_path / "conftest.py").write_text(
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('lanes', {str(ROOT / 'tests' / 'lanes.py')!r})\n"
        "lanes = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(lanes)\n"
        "pytest_xdist_make_scheduler = lanes.pytest_xdist_make_scheduler\n" + NOTE
    )
    counts = {f"{E2E}test_big.py": 6, f"{UNIT}test_u.py": 1, **{path: 3 for path in TOGETHER}}
    for path, n in counts.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        tests = [f"def test_{i}():\n    note({f'{path}::test_{i}'!r})\n" for i in range(n)]
        (tmp_path / path).write_text("from conftest import note\n\n" + "\n".join(tests))
    notes = tmp_path / "notes.jsonl"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadfile", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "LANES_NOTES": str(notes), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    ran = [json.loads(line) for line in notes.read_text().splitlines()]
    assert len(ran) == sum(counts.values())
    for path, n in counts.items():
        mine = [r for r in ran if r[1].startswith(f"{path}::")]
        assert len({r[0] for r in mine}) == 1, f"{path} was split between processes: {mine}"
        assert [r[1] for r in sorted(mine, key=lambda r: r[2])] == [f"{path}::test_{i}" for i in range(n)]
    spoken = sorted((r for r in ran if r[1].split("::")[0] in TOGETHER), key=lambda r: r[2])
    assert len({r[0] for r in spoken}) == 1  # one process: never two at once
    assert all(a[3] <= b[2] for a, b in itertools.pairwise(spoken))
    assert {r[0] for r in ran if r[1].startswith(f"{E2E}test_big.py::")} == {"gw0"}
