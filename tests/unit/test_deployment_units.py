"""The systemd units and environment file of docs/deployment.md, as written: the app and the task worker
each accept the environment its unit gives it. The worker's unit once read only the environment file,
while `WEBCALL_TRUSTED_PROXY_HOPS=1` sat in the app's unit: with the https public URL the worker refused
to start (exit 2) and `Restart=always` started it again every 5 s, for good."""

from __future__ import annotations

import re
import shlex

import pytest

from webcall import ROOT
from webcall.secret_rotation import WEBHOOK_SECRET_NAMES
from webcall.serving import serving_from_env
from webcall.setting_values import default_environment
from webcall.settings import Settings, SettingsError

pytestmark = pytest.mark.unit

DOC = ROOT / "docs" / "deployment.md"
APP_UNIT = "/etc/systemd/system/webcall.service"
WORKER_UNIT = "/etc/systemd/system/webcall-worker.service"
# What an operator writes in place of a `<…>` of the page (a key, a password): any value of the right
# kind; the agent's is a UUID. Everything else is taken as the page writes it.
FILLED_IN = "filled-in-by-the-operator-0123456789"
FILLED_IN_BY_NAME = {"ITELLICOAI_AGENT_ID": "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41"}


def _files() -> dict[str, str]:
    """Each ```ini block of the page that names its file on its first line (`# /etc/…`), by that path."""
    files = {}
    for block in re.findall(r"```ini\n(.*?)```", DOC.read_text(), re.S):
        named = re.match(r"# (/etc/\S+?)[,:]?(?:\s|$)", block)
        if named:
            files[named.group(1)] = block
    return files


def _assignments(text: str) -> dict[str, str]:
    """An EnvironmentFile=: NAME=value lines; `#` starts a comment only at the start of a line."""
    found = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";")):
            name, _, value = line.partition("=")
            found[name.strip()] = value.strip()
    return found


def _service_environment(unit: str, files: dict[str, str]) -> dict[str, str]:
    """The environment systemd gives the unit's process: its `Environment=` lines, then its
    `EnvironmentFile=`s, which override them (systemd.exec(5))."""
    env: dict[str, str] = {}
    from_files: dict[str, str] = {}
    for line in files[unit].splitlines():
        key, _, value = line.partition("=")
        if key == "Environment":
            env.update(item.split("=", 1) for item in shlex.split(value))
        elif key == "EnvironmentFile":
            assert value in files, f"{unit} reads {value}, which the page does not show"
            from_files.update(_assignments(files[value]))
    env.update(from_files)
    for name, value in env.items():
        env[name] = re.sub(r"<[^>]*>", FILLED_IN_BY_NAME.get(name, FILLED_IN), value)
    return env


def test_the_page_shows_both_units_and_their_environment_file():
    files = _files()
    assert {APP_UNIT, WORKER_UNIT, "/etc/webcall.env"} <= set(files)


def test_the_app_accepts_the_environment_of_its_unit():
    env = _service_environment(APP_UNIT, _files())
    default_environment("production", env)  # gunicorn.conf.py's, before the app is built
    assert env["WEBCALL_ENV"] == "production"
    serving_from_env(env)  # ExecStartPre=python -m webcall.serving
    settings = Settings.from_env(env)
    assert settings.public_url and settings.public_url.startswith("https://")
    assert settings.trusted_proxy_hops == 1


def test_the_worker_accepts_the_environment_of_its_unit():
    env = _service_environment(WORKER_UNIT, _files())
    default_environment("production", env)  # webcall/worker.py's main(), as for gunicorn
    assert env["WEBCALL_ENV"] == "production"
    for name in WEBHOOK_SECRET_NAMES:  # the worker drops them before it builds the app
        env.pop(name, None)
    try:
        settings = Settings.from_env(env)
    except SettingsError as error:
        pytest.fail(f"the worker's unit would restart for good: {error}")
    # Notifications link to the public address: the worker needs it as the app has it.
    assert settings.public_url == Settings.from_env(_service_environment(APP_UNIT, _files())).public_url
