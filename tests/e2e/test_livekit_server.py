"""The sandbox's livekit-server (sandbox/livekit_server.py) stops when told and leaves nothing behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from sandbox.livekit_server import LiveKitError, LiveKitPorts, LiveKitServer
from sandbox.ports import free_port


def files_open_under(folder: Path) -> list[str]:
    """What this process holds open in `folder` (only there: other threads may open files meanwhile)."""
    paths = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            paths.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:  # closed since the listing
            continue
    return [p for p in paths if p.startswith(f"{folder}/")]


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Its own temporary folder, so other runs on the machine cannot add or remove files in it.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def test_start_and_stop_leave_no_config_file_and_no_open_descriptor(private_tmp: Path) -> None:
    # Every `make run`, sandbox and test server wrote its config to a new temporary file that stayed
    # in /tmp for good, and kept a descriptor of it open in the process that started it.
    server = LiveKitServer(LiveKitPorts(http=free_port(), tcp=free_port(), udp=free_port(udp=True)))
    server.start()
    try:
        assert list(private_tmp.iterdir()) != [], "the config is written where tempfile puts files"
    finally:
        server.stop()
    assert list(private_tmp.iterdir()) == []
    assert files_open_under(private_tmp) == []


def test_a_server_stopped_right_after_it_started_exits_by_itself(private_tmp: Path) -> None:
    # livekit-server drops a SIGTERM that comes just after it starts serving, so a stack stopped at once
    # (a test, a start that fails on its next step) waited out the stop's timeout and was then killed.
    for _ in range(5):  # the window is ~100 ms wide: not every start falls in it
        server = LiveKitServer(LiveKitPorts(http=free_port(), tcp=free_port(), udp=free_port(udp=True)))
        server.start()
        server.stop()
        assert server.exit_code == 0, f"livekit-server ended with {server.exit_code} (-9: killed)"


def test_a_start_that_fails_leaves_no_config_file(private_tmp: Path, monkeypatch) -> None:
    monkeypatch.setenv("LIVEKIT_SERVER_BIN", "/bin/false")  # exits at once: never ready
    server = LiveKitServer(LiveKitPorts(http=free_port(), tcp=free_port(), udp=free_port(udp=True)))
    with pytest.raises(LiveKitError):
        server.start(timeout=5)
    assert list(private_tmp.iterdir()) == []


def test_the_server_does_not_inherit_the_apps_secrets(private_tmp: Path, monkeypatch) -> None:
    # `make run` starts livekit-server from the process that serves the app; it had that process's
    # whole environment, WEBCALL_SECRET_KEY (it signs sessions, share links and handles) included.
    secrets = {
        "ITELLICOAI_API_KEY": "server-test-api-key",
        "WEBCALL_SECRET_KEY": "server-test-secret-key-0123456789",
        "WEBCALL_SALES_PASSWORD": "server-test-sales-password",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    server = LiveKitServer(LiveKitPorts(http=free_port(), tcp=free_port(), udp=free_port(udp=True)))
    server.start()
    try:
        environ = Path(f"/proc/{server.pid}/environ").read_bytes().decode().split("\0")
    finally:
        server.stop()
    assert any(entry.startswith("PATH=") for entry in environ)
    for name, value in secrets.items():
        assert not any(entry.startswith(f"{name}=") or value in entry for entry in environ), name
