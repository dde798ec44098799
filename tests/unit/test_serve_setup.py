"""`make serve` installs only what serving needs. It ran the whole developer setup before every start:
Debian packages (chromium, espeak-ng, …) and Go builds of livekit-server and toxiproxy, so on a
production host without Go it stopped with `go: command not found` and served nothing (an operator's
audit). `make run` and `make test` still install everything (they set up a fresh machine).

The serve path of scripts/setup.sh runs for real, in a copy of the checkout whose .venv and
node_modules are this one's (already set up by `make setup`, so nothing is installed), with `go`,
`apt-get`, `dpkg-query` and `sudo` on PATH only as stand-ins that record being called and fail."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from webcall import ROOT

pytestmark = pytest.mark.unit

FORBIDDEN = ("go", "apt-get", "apt", "dpkg-query", "dpkg", "sudo")


def _dry_run(target: str, *args: str) -> str:
    result = subprocess.run(
        ["make", "-n", target, *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout


def test_make_serve_runs_the_serve_setup_and_run_and_test_the_full_one():
    serve = _dry_run("serve").splitlines()
    assert "bash scripts/setup.sh --serve" in serve
    assert "bash scripts/setup.sh" not in serve
    for target in ("run", "test"):
        assert "bash scripts/setup.sh" in _dry_run(target).splitlines(), target
    # The sandbox behind gunicorn needs livekit-server and espeak-ng: the full setup.
    assert "bash scripts/setup.sh" in _dry_run("serve", "SANDBOX=1").splitlines()


def test_make_link_runs_only_the_serve_setup():
    """`make link` signs with the local key for `make run`'s app and needs only the app's packages. It ran
    the full developer setup: as root, apt-get installed chromium, postgresql, nginx (whose default site
    Debian then starts on :80) and more, and on a host without Go it stopped at `go: command not found`
    (an operator's audit)."""
    link = _dry_run("link", "DEMO=alpenblick").splitlines()
    assert "bash scripts/setup.sh --serve" in link
    assert "bash scripts/setup.sh" not in link


def _checkout_copy(tmp_path: Path) -> Path:
    """The files the setup script reads, copied (timestamps kept: npm's check compares them); the
    installed .venv and node_modules linked, never written: the test requires them up to date."""
    python_pins = (ROOT / "pyproject.toml").read_bytes() + (ROOT / "requirements-lock.txt").read_bytes()
    pinned = hashlib.sha256(python_pins).hexdigest()[:16]
    stamp = ROOT / ".venv" / f".installed-{pinned}"
    lock, installed = ROOT / "package-lock.json", ROOT / "node_modules" / ".package-lock.json"
    assert stamp.is_file(), "run `make setup` first: .venv is not up to date with pyproject.toml and its lock"
    assert installed.is_file() and installed.stat().st_mtime >= lock.stat().st_mtime, "run `make setup` first"
    copy = tmp_path / "checkout"
    (copy / "scripts").mkdir(parents=True)
    python = ("pyproject.toml", "requirements-lock.txt")
    for name in ("scripts/setup.sh", "scripts/build-assets.mjs", *python, "package.json", lock.name):
        shutil.copy2(ROOT / name, copy / name)
    shutil.copytree(ROOT / "static", copy / "static")
    if (ROOT / "build" / "web").is_dir():  # a stale or missing build is rebuilt in the copy, as on a host
        shutil.copytree(ROOT / "build" / "web", copy / "build" / "web")
    for name in (".venv", "node_modules"):
        (copy / name).symlink_to(ROOT / name)
    return copy


def _path_without_go(tmp_path: Path, calls: Path) -> str:
    """PATH with stand-ins first for the tools serving must not need, and no directory holding `go`."""
    shims = tmp_path / "shims"
    shims.mkdir()
    for name in FORBIDDEN:
        shim = shims / name
        shim.write_text(f'#!/bin/sh\necho "{name} $*" >> "{calls}"\nexit 127\n')
        shim.chmod(0o755)
    kept = [d for d in os.environ["PATH"].split(os.pathsep) if d and not (Path(d) / "go").exists()]
    return os.pathsep.join([str(shims), *kept])


def test_the_serve_setup_needs_no_go_and_no_debian_packages(tmp_path):
    copy = _checkout_copy(tmp_path)
    calls = tmp_path / "calls.log"
    env = {**os.environ, "PATH": _path_without_go(tmp_path, calls)}
    assert shutil.which("go", path=env["PATH"]) == str(tmp_path / "shims" / "go")
    result = subprocess.run(
        ["bash", str(copy / "scripts" / "setup.sh"), "--serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert not calls.exists(), calls.read_text() + output
    assert result.returncode == 0, output
    assert "livekit-server" not in output and "toxiproxy" not in output and "Debian" not in output, output
    # What it does need is in place: the app's served files.
    assert (copy / "build" / "web" / "inputs.sha256").is_file()
    assert not (copy / ".cache").exists()


def test_an_unknown_setup_option_is_refused():
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "setup.sh"), "--serv"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "usage" in result.stderr
