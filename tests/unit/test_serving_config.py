"""gunicorn's own settings (webcall/serving.py, gunicorn.conf.py): `.env` applies, the environment
wins, an empty value is the default, a bad value or a taken port stops the start with one line."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from sandbox.ports import free_port
from webcall import ROOT
from webcall.serving import Serving, check_free, serving_from_env
from webcall.settings import SettingsError, load_env_file

pytestmark = pytest.mark.unit

NAMES = (
    "HOST",
    "PORT",
    "WEB_CONCURRENCY",
    "WEBCALL_THREADS",
    "WEBCALL_GRACEFUL_TIMEOUT",
    "WEBCALL_LOG_LEVEL",
    "WEBCALL_LOG_FORMAT",
)


def test_defaults():
    serving = serving_from_env({})
    assert serving == Serving(
        host="127.0.0.1",
        port=5000,
        workers=2,
        threads=8,
        graceful_timeout=30,
        log_level="info",
        log_format="text",
    )
    assert serving.bind == "127.0.0.1:5000"


@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_value_is_the_default_never_all_interfaces(empty):
    assert serving_from_env(dict.fromkeys(NAMES, empty)) == Serving()
    assert serving_from_env({"HOST": empty}).bind == "127.0.0.1:5000"


def test_good_values():
    env = {
        "HOST": "0.0.0.0",
        "PORT": "8080",
        "WEB_CONCURRENCY": "4",
        "WEBCALL_THREADS": "16",
        "WEBCALL_GRACEFUL_TIMEOUT": "0",
        "WEBCALL_LOG_LEVEL": "WARNING",
        "WEBCALL_LOG_FORMAT": "json",
    }
    assert serving_from_env(env) == Serving("0.0.0.0", 8080, 4, 16, 0, "warning", "json")
    assert serving_from_env({"HOST": "localhost"}).bind == "localhost:5000"


@pytest.mark.parametrize("host", ["::1", "[::1]", " ::1 "])
def test_an_ipv6_host_is_bracketed_in_the_bind(host):
    assert serving_from_env({"HOST": host, "PORT": "5001"}).bind == "[::1]:5001"


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("HOST", "a b", "IP address or host name"),
        ("HOST", "999.1.1.1", "IP address or host name"),
        ("HOST", "http://x", "IP address or host name"),
        ("PORT", "abc", "port number in 1..65535"),
        ("PORT", "99999", "port number in 1..65535"),
        ("PORT", "-1", "port number in 1..65535"),
        ("PORT", "0", "port number in 1..65535"),
        ("WEB_CONCURRENCY", "abc", "whole number in 1..64"),
        ("WEB_CONCURRENCY", "0", "whole number in 1..64"),
        ("WEB_CONCURRENCY", "2.5", "whole number in 1..64"),
        ("WEBCALL_THREADS", "abc", "whole number in 1..256"),
        ("WEBCALL_THREADS", "0", "whole number in 1..256"),
        ("WEBCALL_GRACEFUL_TIMEOUT", "abc", "whole number in 0..3600"),
        ("WEBCALL_GRACEFUL_TIMEOUT", "-5", "whole number in 0..3600"),
        ("WEBCALL_LOG_LEVEL", "loud", "debug, info, warning, error, critical"),
        ("WEBCALL_LOG_FORMAT", "xml", "text or json"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_setting_and_what_is_allowed(name, value, allowed):
    with pytest.raises(SettingsError) as caught:
        serving_from_env({name: value})
    message = str(caught.value)
    assert caught.value.name == name
    assert message.startswith(f"setting {name}: {value!r}") and allowed in message
    assert "\n" not in message


def test_dotenv_applies_and_the_environment_wins(tmp_path, monkeypatch):
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "HOST=0.0.0.0\nPORT=6001\nWEB_CONCURRENCY=3\nWEBCALL_THREADS=4\nWEBCALL_LOG_LEVEL=debug\n"
    )
    for name in (
        "HOST",
        "WEB_CONCURRENCY",
        "WEBCALL_LOG_LEVEL",
        "WEBCALL_LOG_FORMAT",
        "WEBCALL_GRACEFUL_TIMEOUT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PORT", "7000")
    monkeypatch.setenv("WEBCALL_THREADS", "")  # set, even empty: the file does not replace them
    load_env_file(dotenv)
    assert os.environ["HOST"] == "0.0.0.0" and os.environ["WEB_CONCURRENCY"] == "3"
    assert serving_from_env(os.environ) == Serving("0.0.0.0", 7000, 3, 8, 30, "debug", "text")


def test_a_taken_port_is_one_line_naming_port():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(SettingsError) as caught:
            check_free(Serving(port=port))
    assert caught.value.name == "PORT"
    assert (
        str(caught.value)
        == f"setting PORT: 127.0.0.1 port {port} is already in use; set PORT (or HOST) to a free one"
    )
    check_free(Serving(port=port))  # free again: no error, and nothing left bound


# The real thing: gunicorn with gunicorn.conf.py, a few seconds each.


def _gunicorn_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("ITELLICOAI_", "WEBCALL_", "PROMETHEUS_"))
    }
    for name in (*NAMES, "GUNICORN_FD", "LISTEN_FDS"):
        env.pop(name, None)
    env.update(
        ITELLICOAI_API_KEY="serving-config-key",
        ITELLICOAI_AGENT_ID="3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41",
        ITELLICOAI_BASE_URL="http://127.0.0.1:9",
        WEBCALL_SECRET_KEY="serving-config-secret-0123456789",
        WEBCALL_DATABASE_URL=f"sqlite:///{tmp_path}/webcall.sqlite3",
        WEBCALL_TASK_QUEUE_URL=f"sqlite:///{tmp_path}/tasks.sqlite3",
        WEBCALL_PUBLIC_URL="http://127.0.0.1",
        WEBCALL_ASSETS="source",  # not the production default: build/web may be rebuilt meanwhile
        WEB_CONCURRENCY="1",
        WEBCALL_THREADS="2",
    )
    env.update(settings)
    return env


def _command(tmp_path: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "gunicorn.conf.py",
        "--control-socket",
        str(tmp_path / "g.ctl"),
        "app:app",
    ]


def _run(tmp_path: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    env = _gunicorn_env(tmp_path, **settings)
    return subprocess.run(_command(tmp_path), cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def _listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp*) in LISTEN state on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    with gunicorn_serving(tmp_path, HOST="") as started:
        yield started


@contextmanager
def gunicorn_serving(tmp_path: Path, **settings: str) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """gunicorn with gunicorn.conf.py on a free port, once it answers /healthz; its output in
    tmp_path/gunicorn.log."""
    port = free_port()
    (tmp_path / "tmp").mkdir()  # where gunicorn.conf.py makes its metrics folder
    env = _gunicorn_env(tmp_path, **{"PORT": str(port), "TMPDIR": str(tmp_path / "tmp"), **settings})
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        _command(tmp_path), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
            if _healthy(port):
                break
            assert time.monotonic() < deadline, "gunicorn never became healthy"
            time.sleep(0.1)
        yield port, process
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_gunicorn_with_an_empty_host_listens_on_loopback_only(served):
    port, _ = served
    assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1, not 00000000 (all interfaces)


def test_the_metrics_folder_outlives_a_worker_and_goes_with_the_master(served, tmp_path):
    port, master = served
    (metrics,) = (tmp_path / "tmp").iterdir()
    (worker,) = _children(master.pid)
    os.kill(worker, signal.SIGTERM)  # a worker that ends (max_requests, a crash) and is replaced
    deadline = time.monotonic() + 30
    while _children(master.pid) in ([], [worker]) or not _healthy(port):
        assert time.monotonic() < deadline, "no new worker"
        time.sleep(0.1)
    assert metrics.is_dir() and master.poll() is None
    master.terminate()
    master.wait(20)
    assert not metrics.exists()


def test_gunicorn_stops_at_once_on_a_taken_port_with_one_line_naming_it(served, tmp_path):
    port, _ = served
    second = tmp_path / "second"  # its own database and control socket
    second.mkdir()
    started = time.monotonic()
    result = _run(second, HOST="127.0.0.1", PORT=str(port))
    assert result.returncode == 2, result.stderr
    assert time.monotonic() - started < 20
    errors = [
        line for line in result.stderr.splitlines() if "cannot start" in line or "Connection in use" in line
    ]
    assert errors == [
        f"itellico web-call cannot start: setting PORT: 127.0.0.1 port {port} is already in use; "
        "set PORT (or HOST) to a free one"
    ], result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WEBCALL_THREADS", "0"),
        ("PORT", "99999"),
        ("WEBCALL_LOG_LEVEL", "loud"),
        ("WEBCALL_DATABASE_URL", "nonsense"),  # the app's, found when gunicorn loads the app
    ],
)
def test_gunicorn_stops_on_a_bad_value_with_one_line(tmp_path, name, value):
    temp = tmp_path / "tmp"  # where gunicorn.conf.py makes its metrics folder
    temp.mkdir()
    result = _run(tmp_path, TMPDIR=str(temp), **{name: value})
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"itellico web-call cannot start: setting {name}: {value!r} is not ")
    assert list(temp.iterdir()) == []  # the metrics folder made for this start is gone


CONF_PROBE = """
import json, pathlib, runpy, sys
import webcall
webcall.ROOT = pathlib.Path(sys.argv[1])  # gunicorn.conf.py reads webcall.ROOT / ".env"
conf = runpy.run_path("gunicorn.conf.py")
import json
import os
print(json.dumps({"bind": conf["bind"], "workers": conf["workers"], "threads": conf["threads"],
                  "loglevel": conf["loglevel"], "env": os.environ["WEBCALL_ENV"],
                  "forwarded_allow_ips": conf["forwarded_allow_ips"]}))
"""


def test_gunicorn_conf_reads_dotenv_the_environment_wins_and_production_stays(tmp_path):
    (tmp_path / ".env").write_text(
        "HOST=0.0.0.0\nPORT=6001\nWEB_CONCURRENCY=3\nWEBCALL_LOG_LEVEL=debug\nWEBCALL_ENV=development\n"
    )
    env = _gunicorn_env(tmp_path, PORT="7000", PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    env.pop("WEB_CONCURRENCY")
    command = [sys.executable, "-c", CONF_PROBE, str(tmp_path)]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {
        "bind": "0.0.0.0:7000",  # HOST from .env, PORT from the environment
        "workers": 3,
        "threads": 2,
        "loglevel": "debug",
        "env": "production",  # a development .env does not turn `make serve`'s production off
        # gunicorn trusts no peer's X-Forwarded-*: ProxyFix does, for trusted hops only
        # (tests/unit/test_serving_forwarded.py)
        "forwarded_allow_ips": "",
    }


def test_an_empty_webcall_env_in_the_environment_is_production_for_gunicorn(tmp_path):
    # systemd's EnvironmentFile= makes every line of the file real environment: `WEBCALL_ENV=` (empty,
    # "the default") was kept as it was by setdefault and then read as development.
    env = _gunicorn_env(tmp_path, PROMETHEUS_MULTIPROC_DIR=str(tmp_path), WEBCALL_ENV="")
    command = [sys.executable, "-c", CONF_PROBE, str(tmp_path)]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["env"] == "production"


def test_a_bad_value_in_dotenv_stops_gunicorn_conf_with_one_line(tmp_path):
    # In the environment WEB_CONCURRENCY=abc never reaches gunicorn.conf.py: gunicorn itself reads it
    # when it is imported (docs/deployment.md); from `.env` it is ours to check.
    (tmp_path / ".env").write_text("WEB_CONCURRENCY=abc\n")
    env = _gunicorn_env(tmp_path, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    env.pop("WEB_CONCURRENCY")
    command = [sys.executable, "-c", CONF_PROBE, str(tmp_path)]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == (
        "itellico web-call cannot start: setting WEB_CONCURRENCY: 'abc' is not a whole number in 1..64\n"
    )


def _make_serve(env: dict[str, str]) -> list[str]:
    result = subprocess.run(
        ["make", "-s", "serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith("itellico web-call")]


def test_make_serve_with_a_bad_web_concurrency_in_the_environment_is_one_line(tmp_path):
    # gunicorn reads WEB_CONCURRENCY when it is imported, before gunicorn.conf.py: a non-number was its
    # ValueError traceback. `make serve` checks the serving settings before it starts anything.
    lines = _make_serve(_gunicorn_env(tmp_path, WEB_CONCURRENCY="abc"))
    assert lines == [
        "itellico web-call cannot start: setting WEB_CONCURRENCY: 'abc' is not a whole number in 1..64"
    ]


def test_make_serve_takes_an_empty_web_concurrency_as_the_default(tmp_path):
    # Empty means the default, as for every serving setting; gunicorn's int("") was a traceback. Getting
    # as far as the port check (a taken port) shows gunicorn read its settings.
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        lines = _make_serve(_gunicorn_env(tmp_path, WEB_CONCURRENCY="", PORT=str(port)))
    assert lines == [
        f"itellico web-call cannot start: setting PORT: 127.0.0.1 port {port} is already in use; "
        "set PORT (or HOST) to a free one"
    ]
