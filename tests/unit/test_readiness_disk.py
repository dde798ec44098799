"""/readyz and the free space where the app writes its files: the SQLite database's folder and the
SQLite task queue's folder (PostgreSQL and Redis keep their data elsewhere: no `disk` check then).

- Plenty free: `disk` says "ok". Below health.LOW_DISK_BYTES in any of those folders: "low", status
  "degraded" with 200, never 503 (docs/operations.md says why), and one log line per change.
- The probe is cached like the others: polling /readyz asks the file system once per cache window.
- A real, full file system (a small tmpfs, mounted and unmounted here; the tests run as root) says
  "low", while a visitor's create still gets its call.

The unit tests stand a fake in for shutil.disk_usage, answering for the app's folders only.
"""

from __future__ import annotations

import errno
import logging
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.readiness import checks
from webcall import create_app, health

pytestmark = pytest.mark.unit

MIB = 1024 * 1024
_real_disk_usage = shutil.disk_usage


class FakeDisk:
    """shutil.disk_usage with a chosen free space for chosen folders (the real one elsewhere)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.free: dict[Path, int] = {}
        self.asked: list[Path] = []
        monkeypatch.setattr(shutil, "disk_usage", self)

    def __call__(self, path: str | Path) -> SimpleNamespace:
        folder = Path(path)
        if folder not in self.free:
            return _real_disk_usage(path)
        self.asked.append(folder)
        free = self.free[folder]
        if free < 0:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(folder))
        return SimpleNamespace(total=100 * 1024 * MIB, used=100 * 1024 * MIB - free, free=free)


@pytest.fixture
def disk(monkeypatch: pytest.MonkeyPatch) -> FakeDisk:
    return FakeDisk(monkeypatch)


def advance_readyz_clock(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Move the clock /readyz's caches read (only theirs) `seconds` forward."""
    now = time.monotonic() + seconds
    monkeypatch.setattr(health, "time", SimpleNamespace(monotonic=lambda: now))


def files_in(settings, database: Path, queue: Path | None = None):
    changes = {"database_url": f"sqlite:///{database / 'calls.sqlite3'}"}
    if queue is not None:
        changes["task_queue_url"] = f"sqlite:///{queue / 'tasks.sqlite3'}"
    return create_app({"settings": replace(settings, **changes)})


def test_plenty_of_space_where_the_database_is_says_ok(settings, standin, tmp_path, disk):
    disk.free[tmp_path] = 5 * 1024 * MIB
    ready = files_in(settings, tmp_path).test_client().get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.get_json() == {
        "status": "ready",
        "checks": checks(disk="ok"),
    }
    assert disk.asked == [tmp_path]


def test_little_space_where_the_database_is_is_degraded_not_503(settings, standin, tmp_path, disk):
    disk.free[tmp_path] = health.LOW_DISK_BYTES - 1
    ready = files_in(settings, tmp_path).test_client().get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.get_json() == {
        "status": "degraded",
        "checks": checks(disk="low"),
    }


def test_the_threshold_itself_is_still_ok(settings, standin, tmp_path, disk):
    disk.free[tmp_path] = health.LOW_DISK_BYTES
    assert files_in(settings, tmp_path).test_client().get("/readyz").get_json()["checks"]["disk"] == "ok"


def test_the_queue_folder_counts_too(settings, standin, tmp_path, disk):
    database, queue = tmp_path / "db", tmp_path / "queue"
    disk.free |= {database: 5 * 1024 * MIB, queue: 10 * MIB}
    ready = files_in(settings, database, queue).test_client().get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["status"] == "degraded"
    assert ready.get_json()["checks"]["disk"] == "low"
    assert set(disk.asked) == {database, queue}


def test_a_folder_that_cannot_be_asked_is_unavailable(settings, standin, tmp_path, disk):
    disk.free[tmp_path] = -1  # the fake raises FileNotFoundError
    ready = files_in(settings, tmp_path).test_client().get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"]["disk"] == "unavailable"


def test_no_disk_check_without_sqlite_files(settings, standin, disk):
    # The in-memory database of the tests and the memory queue: no file of the app's on any disk (the
    # same holds for PostgreSQL and Redis, whose data is on their own hosts).
    ready = create_app({"settings": settings}).test_client().get("/readyz")
    assert "disk" not in ready.get_json()["checks"]
    assert disk.asked == []


def test_the_probe_is_cached_and_logs_once_per_change(settings, standin, tmp_path, disk, monkeypatch, caplog):
    disk.free[tmp_path] = 5 * 1024 * MIB
    client = files_in(settings, tmp_path).test_client()
    with caplog.at_level(logging.INFO, logger="webcall.health"):
        for _ in range(20):
            assert client.get("/readyz").get_json()["checks"]["disk"] == "ok"
        assert len(disk.asked) == 1
        disk.free[tmp_path] = 3 * MIB
        for step in (1, 2):  # two cache windows with the disk nearly full
            advance_readyz_clock(monkeypatch, step * (health.DISK_CHECK_CACHE_SECONDS + 0.1))
            assert client.get("/readyz").get_json()["checks"]["disk"] == "low"
        disk.free[tmp_path] = 5 * 1024 * MIB
        advance_readyz_clock(monkeypatch, 3 * (health.DISK_CHECK_CACHE_SECONDS + 0.1))
        assert client.get("/readyz").get_json()["checks"]["disk"] == "ok"
    assert len(disk.asked) == 4
    assert [r.getMessage() for r in caplog.records if r.name == "webcall.health"] == [
        f"readiness: disk low (3 MiB free in {tmp_path})",
        "readiness: disk ok again",
    ]


# -- a real file system ------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs a little larger than LOW_DISK_BYTES (memory is used only for what is written)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    size = health.LOW_DISK_BYTES + 10 * MIB
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        # The app's pooled SQLite connections may still hold its files: then detach it at once, and the
        # kernel frees it when they close.
        if subprocess.run(["umount", str(mount)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "--lazy", str(mount)], check=True)


def fill(folder: Path) -> None:
    """Write into `folder` until its file system has no byte left."""
    chunk = b"\0" * MIB
    with (folder / "filler").open("wb", buffering=0) as out:
        while True:
            try:
                out.write(chunk)
            except OSError as error:
                assert error.errno == errno.ENOSPC, error
                break
    assert shutil.disk_usage(folder).free < MIB


def test_a_full_file_system_says_low_and_calls_still_work(settings, standin, small_disk, monkeypatch):
    app = files_in(settings, small_disk, small_disk)
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.get_json()["checks"]["disk"] == "ok", ready.text
    assert ready.get_json()["status"] == "ready"
    fill(small_disk)
    advance_readyz_clock(monkeypatch, health.DISK_CHECK_CACHE_SECONDS + 0.1)
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["status"] == "degraded"
    assert ready.get_json()["checks"]["disk"] == "low"
    # The create writes the call log only after itellico answered, and a failed write is counted, not
    # raised: the visitor gets the call.
    assert client.post("/api/calls", json={"mode": "text"}).status_code == 201
    (small_disk / "filler").unlink()
    advance_readyz_clock(monkeypatch, 2 * (health.DISK_CHECK_CACHE_SECONDS + 0.1))
    assert client.get("/readyz").get_json()["status"] == "ready"
    app.extensions["webcall"].calllog.engine.dispose()
