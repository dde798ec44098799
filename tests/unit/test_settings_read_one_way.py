"""Every setting is read by one rule: surrounding whitespace is dropped and an empty value means the
default (`NAME=` in a systemd EnvironmentFile=). Settings.from_env and webcall/serving.py follow it;
code that read the environment by itself had its own rule: an empty WEBCALL_RATE_LIMIT_STORAGE_URI
(limits per gunicorn worker) went without gunicorn.conf.py's note, `PORT=` made `make run` refuse to
start while gunicorn took 5000, and `flask demos link` printed a link without a port
(tests/unit/test_cli_link_base.py)."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

from webcall import ROOT

pytestmark = pytest.mark.unit

# The modules that hold the rule (webcall/setting_checks.py env_getter) and read the settings with it.
SETTINGS_MODULES = {"settings.py", "setting_checks.py", "setting_values.py", "serving.py"}
# Reads that stay outside them, each with its reason.
ALLOWED: dict[tuple[str, str], str] = {}
# A read of one of the app's or gunicorn's names straight from the environment: os.environ.get("X"),
# os.environ["X"] (not an assignment), os.getenv("X").
RAW_READ = re.compile(
    r"""(?:environ\.get\(|getenv\(|environ\[)\s*["']((?:WEBCALL|ITELLICOAI)_[A-Z0-9_]+|PORT|HOST|WEB_CONCURRENCY)["']"""
    r"""(?!\]\s*=[^=])"""
)


def _sources() -> list[Path]:
    files = [ROOT / "gunicorn.conf.py", ROOT / "app.py", *(ROOT / "webcall").rglob("*.py")]
    return [path for path in files if not (path.parent.name == "webcall" and path.name in SETTINGS_MODULES)]


def test_no_setting_is_read_straight_from_the_environment_outside_the_settings():
    found = {
        (str(path.relative_to(ROOT)), name)
        for path in _sources()
        for name in RAW_READ.findall(path.read_text(encoding="utf-8"))
    }
    assert sorted(found - set(ALLOWED)) == []


def test_the_check_finds_a_raw_read():
    # Not a tautology of an empty tree: each spelling the check stands for is caught, a write is not.
    reads = [
        'os.environ.get("WEBCALL_LOG_FORMAT", "")',
        "os.environ.get('PORT', '5000')",
        'os.environ["WEBCALL_SALES_ADMIN_EMAIL"]',
        'os.getenv("HOST")',
        'if os.environ["PORT"] == "1": pass',
    ]
    assert [RAW_READ.findall(line) for line in reads] == [
        ["WEBCALL_LOG_FORMAT"],
        ["PORT"],
        ["WEBCALL_SALES_ADMIN_EMAIL"],
        ["HOST"],
        ["PORT"],
    ]
    assert RAW_READ.findall('os.environ["WEBCALL_SECRET_KEY"] = key') == []


NOTE = "each worker counts rate limits for itself"


def _gunicorn_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, storage: str) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))  # else it makes one of its own in /tmp
    monkeypatch.setenv("WEBCALL_ENV", "production")
    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    monkeypatch.setenv("WEBCALL_LOG_FORMAT", "text")
    monkeypatch.setenv("WEBCALL_RATE_LIMIT_STORAGE_URI", storage)
    runpy.run_path(str(ROOT / "gunicorn.conf.py"))


@pytest.mark.parametrize("storage", ["", "  ", "memory://", " memory:// "])
def test_gunicorn_notes_per_worker_limits_for_an_empty_storage_too(monkeypatch, tmp_path, capsys, storage):
    # Empty is the default, memory:// (Settings.from_env gives it): each worker limits for itself.
    _gunicorn_config(monkeypatch, tmp_path, storage)
    assert NOTE in capsys.readouterr().out


def test_gunicorn_has_no_note_for_a_shared_storage(monkeypatch, tmp_path, capsys):
    _gunicorn_config(monkeypatch, tmp_path, "redis://127.0.0.1:6379/0")
    assert NOTE not in capsys.readouterr().out


@pytest.mark.parametrize("empty", ["", "  "])
def test_make_run_takes_an_empty_port_as_the_default_as_gunicorn_does(monkeypatch, empty):
    from webcall.devserver import _port
    from webcall.serving import serving_from_env

    monkeypatch.setenv("PORT", empty)
    assert _port("PORT", 5000) == serving_from_env({"PORT": empty}).port == 5000
    monkeypatch.setenv("PORT", " 5123 ")
    assert _port("PORT", 5000) == serving_from_env({"PORT": " 5123 "}).port == 5123
