"""The systemd units and environment file of docs/deployment.md, as written: the app and the task worker
each accept the environment its unit gives it. The worker's unit once read only the environment file,
while `WEBCALL_TRUSTED_PROXY_HOPS=1` sat in the app's unit: with the https public URL the worker refused
to start (exit 2) and `Restart=always` started it again every 5 s, for good."""

from __future__ import annotations

import os
import re
import shlex
import subprocess

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


def _service_environment(
    unit: str, files: dict[str, str], in_the_file: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment systemd gives the unit's processes: its `Environment=` lines, then its
    `EnvironmentFile=`s, which override them, and last `UnsetEnvironment=`, which removes a name, or an
    exact `NAME=value` assignment only (systemd.exec(5)). `in_the_file`: lines an operator added to the
    environment file."""
    env: dict[str, str] = {}
    from_files: dict[str, str] = {}
    unset: list[str] = []
    for line in files[unit].splitlines():
        key, _, value = line.partition("=")
        if key == "Environment":
            env.update(item.split("=", 1) for item in shlex.split(value))
        elif key == "EnvironmentFile":
            assert value in files, f"{unit} reads {value}, which the page does not show"
            from_files.update(_assignments(files[value]) | (in_the_file or {}))
        elif key == "UnsetEnvironment":
            unset += shlex.split(value)
    env.update(from_files)
    for name, value in env.items():
        env[name] = re.sub(r"<[^>]*>", FILLED_IN_BY_NAME.get(name, FILLED_IN), value)
    for item in unset:
        name, assigned, value = item.partition("=")
        if name in env and (not assigned or env[name] == value):
            del env[name]
    return env


def _commands(unit: str, files: dict[str, str], key: str) -> list[list[str]]:
    """The unit's `ExecStartPre=`/`ExecStart=` command lines, run from this checkout instead of
    its WorkingDirectory (/srv/webcall)."""
    folder = re.search(r"^WorkingDirectory=(\S+)$", files[unit], re.M).group(1)
    lines = re.findall(rf"^{key}=(.+)$", files[unit], re.M)
    return [[word.replace(f"{folder}/", f"{ROOT}/") for word in shlex.split(line)] for line in lines]


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
    for name in WEBHOOK_SECRET_NAMES:  # its unit leaves them out (and the worker drops them itself)
        env.pop(name, None)
    try:
        settings = Settings.from_env(env)
    except SettingsError as error:
        pytest.fail(f"the worker's unit would restart for good: {error}")
    # Notifications link to the public address: the worker needs it as the app has it.
    assert settings.public_url == Settings.from_env(_service_environment(APP_UNIT, _files())).public_url


def test_an_empty_web_concurrency_in_the_environment_file_starts_or_stops_with_one_line():
    """`WEB_CONCURRENCY=` left empty in /etc/webcall.env (.env.example says empty settings take their
    default): the unit's check (ExecStartPre=) passed it, then gunicorn read it itself at import and died
    with a ValueError traceback, restarted every 5 s for good (an operator's audit). The unit's processes
    must get an environment its gunicorn starts with, or the check must refuse it with one line."""
    files = _files()
    env = {"PATH": os.environ["PATH"]} | _service_environment(APP_UNIT, files, {"WEB_CONCURRENCY": ""})
    for command in _commands(APP_UNIT, files, "ExecStartPre"):
        checked = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
        if checked.returncode:
            assert len(checked.stderr.strip().splitlines()) == 1, checked.stderr
            return  # refused with one line
    (start,) = _commands(APP_UNIT, files, "ExecStart")
    # gunicorn reads WEB_CONCURRENCY when it is imported, before any option: `--version` is enough to
    # meet it, without a database for the app.
    started = subprocess.run(
        [start[0], "--version"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert started.returncode == 0 and "gunicorn" in started.stdout, started.stderr[-600:]


def test_the_worker_is_started_without_the_webhook_secrets():
    """docs/deployment.md says the worker goes without the webhook secrets. It dropped them from Python's
    os.environ only: its unit read them from the shared environment file, so /proc/<pid>/environ had
    them from exec on (an operator's audit). The app's unit keeps them: the webhook route needs them."""
    secrets = {name: f"{name.lower()}-0123456789abcdef" for name in WEBHOOK_SECRET_NAMES}
    worker = _service_environment(WORKER_UNIT, _files(), secrets)
    assert not set(worker) & set(secrets), set(worker) & set(secrets)
    assert not any(value in worker.values() for value in secrets.values())
    app = _service_environment(APP_UNIT, _files(), secrets)
    assert {name: app.get(name) for name in secrets} == secrets


def test_the_page_makes_the_service_user_and_the_folder_it_writes():
    """Both units run as `User=` in `WorkingDirectory=`, and write its `instance/` (the default SQLite
    task queue and database, gunicorn's control socket). A fresh checkout has no `instance/` (it is
    gitignored), and one the user cannot write stopped both with `Permission denied`: the page must make
    the user and give it that folder (an operator's audit)."""
    files = _files()

    def setting(key: str) -> str:  # the same in both units
        (value,) = {re.search(rf"^{key}=(\S+)$", files[u], re.M).group(1) for u in (APP_UNIT, WORKER_UNIT)}
        return value

    user, folder = setting("User"), setting("WorkingDirectory")
    shell = "\n".join(re.findall(r"```sh\n(.*?)```", DOC.read_text(), re.S))
    assert re.search(rf"^sudo useradd --system\b.*\s{user}\b", shell, re.M), shell
    assert re.search(rf"^sudo install -d -o {user}\b.*\s{re.escape(folder)}/instance\b", shell, re.M), shell
