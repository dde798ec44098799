"""A task queue that cannot be used stops the app and the worker with one line naming
WEBCALL_TASK_QUEUE_URL, never a traceback (README: Configuration)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from huey import RedisHuey, SqliteHuey

from webcall import ROOT
from webcall.settings import SettingsError
from webcall.tasks import make_huey

from .process_start import APP, WORKER, clean_env, start

pytestmark = pytest.mark.unit

AGENT = "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41"


def _unusable(tmp_path: Path) -> dict[str, str]:
    plain = tmp_path / "plain.txt"
    plain.write_text("hello")
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database, not at all " * 200)
    return {
        "a directory": f"sqlite:///{tmp_path}",
        "under a file": f"sqlite:///{plain}/tasks.sqlite3",
        "not a database": f"sqlite:///{garbage}",
        "a plain file": f"sqlite:///{plain}",
    }


@pytest.mark.parametrize("case", ["a directory", "under a file", "not a database", "a plain file"])
def test_an_unusable_sqlite_file_is_a_settings_error(tmp_path, case):
    with pytest.raises(SettingsError) as info:
        make_huey(_unusable(tmp_path)[case], tmp_path)
    assert info.value.name == "WEBCALL_TASK_QUEUE_URL" and "\n" not in str(info.value)


def test_a_usable_sqlite_file_relative_to_the_root(tmp_path):
    huey = make_huey("sqlite:///queue/tasks.sqlite3", tmp_path)
    assert isinstance(huey, SqliteHuey) and (tmp_path / "queue" / "tasks.sqlite3").is_file()


def test_a_redis_queue_is_made_without_connecting():
    # The web process only enqueues (and survives a queue that is down): no connection at start.
    assert isinstance(make_huey("redis://127.0.0.1:9/0", ROOT), RedisHuey)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return clean_env(
        ITELLICOAI_API_KEY="k",
        ITELLICOAI_AGENT_ID=AGENT,
        WEBCALL_DATABASE_URL=f"sqlite:///{tmp_path}/webcall.sqlite3",
        WEBCALL_SECRET_KEY="0123456789abcdef0123",
        **extra,
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_worker_refuses_an_unreachable_redis_queue_with_one_line(tmp_path):
    url = f"redis://:S3cretPW@127.0.0.1:{_closed_port()}/0"
    result = start(WORKER, _env(tmp_path, WEBCALL_TASK_QUEUE_URL=url))
    assert result.returncode == 2
    # The start logs its INFO lines (migrations, demos) first; the refusal is one line, the last.
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr, result.stderr
    assert lines[-1].startswith("itellico web-call worker cannot start: setting WEBCALL_TASK_QUEUE_URL:")
    assert "S3cretPW" not in result.stderr and "running" not in result.stdout


def test_the_app_refuses_an_unusable_sqlite_queue_with_one_line(tmp_path):
    result = start(APP, _env(tmp_path, WEBCALL_TASK_QUEUE_URL=f"sqlite:///{tmp_path}"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr, result.stderr
    assert lines[-1].startswith("itellico web-call cannot start: setting WEBCALL_TASK_QUEUE_URL:")


@pytest.mark.parametrize("webcall_env", [None, ""], ids=["unset", "empty"])
def test_the_worker_is_production_unless_its_environment_says_development(tmp_path, webcall_env):
    # `make serve` and the documented systemd unit start the worker without WEBCALL_ENV; only
    # gunicorn.conf.py made production the default, so the worker ran as development: a random secret
    # key and, worse, reps' webhooks allowed to internal addresses (WEBCALL_NOTIFY_ALLOW_PRIVATE_TARGETS).
    env = _env(tmp_path)
    env.pop("WEBCALL_SECRET_KEY")
    if webcall_env is not None:
        env["WEBCALL_ENV"] = webcall_env
    result = start(WORKER, env)
    assert result.returncode == 2, result.stderr[-500:]
    assert result.stderr.strip().splitlines()[-1] == (
        "itellico web-call worker cannot start: setting WEBCALL_SECRET_KEY: "
        "is required in production (WEBCALL_ENV=production)"
    )
