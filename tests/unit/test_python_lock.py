"""Every Python distribution in the venv is locked (requirements-lock.txt): pyproject.toml pins only the
direct dependencies, so a fresh `make setup` pulled whatever Werkzeug, itsdangerous, Jinja2, … were newest
that day, and the app's defences lean on their exact behaviour (a security audit). `make setup` installs
with the lock as pip's constraints; `make lock` refreshes it (docs/deployment.md#python-packages).

This fails when the venv has a distribution the lock does not name, or another version of one, and when a
pin of pyproject.toml disagrees with the lock."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from webcall import ROOT

pytestmark = pytest.mark.unit

LOCK = ROOT / "requirements-lock.txt"
PROJECT = "itellico-webcall"  # installed editable from the working tree: nothing to lock
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)$")


def locked() -> dict[str, str]:
    pins: dict[str, str] = {}
    for number, raw in enumerate(LOCK.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"{LOCK.name}:{number}: {line!r} is not an exact `name==version` pin"
        name = canonicalize_name(match.group(1))
        assert name not in pins, f"{LOCK.name}:{number}: {name} is locked twice"
        pins[name] = match.group(2)
    return pins


def installed() -> dict[str, str]:
    found = {canonicalize_name(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()}
    found.pop(PROJECT, None)
    return found


def direct_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = [spec for group in project["optional-dependencies"].values() for spec in group]
    return [Requirement(spec) for spec in project["dependencies"] + extras]


def test_every_installed_distribution_is_locked_at_its_version():
    pins = locked()
    wrong = {
        name: f"installed {version}, locked {pins.get(name, 'nothing')}"
        for name, version in sorted(installed().items())
        if pins.get(name) != version
    }
    assert wrong == {}, (
        "the venv differs from requirements-lock.txt: `make setup` installs the lock (after `make lock`"
        " refreshed it) and removes what it does not name"
    )


def test_every_direct_pin_of_pyproject_agrees_with_the_lock():
    pins = locked()
    disagree = {}
    for requirement in direct_requirements():
        name = canonicalize_name(requirement.name)
        (spec,) = requirement.specifier  # pyproject.toml pins each one exactly
        assert spec.operator == "==", f"{requirement} is not pinned"
        if pins.get(name) != spec.version:
            disagree[name] = f"pyproject.toml {spec.version}, lock {pins.get(name, 'nothing')}"
    assert disagree == {}, "run `make lock` after changing a pin of pyproject.toml"


def test_the_lock_names_the_install_tools():
    # pip and setuptools come with a new venv at the interpreter's versions (setuptools 65.5 on Python
    # 3.11.7, below its security fixes): the lock pins them, and `make setup` installs those.
    assert {"pip", "setuptools"} <= locked().keys()


def test_setup_builds_the_app_with_the_locked_setuptools_and_removes_what_the_lock_drops():
    # `-c` does not reach the isolated environment pip builds the editable app in: it took the newest
    # setuptools>=68 of the day (a review); pip never uninstalls, so a distribution the lock dropped stayed.
    setup = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    editable = [line for line in setup.splitlines() if "pip install" in line and " -e " in line]
    assert len(editable) == 2, editable  # the full install and --serve's
    assert all('--build-constraint "$LOCK"' in line for line in editable), editable
    assert setup.count('scripts/prune_venv.py "$LOCK"') == 2


def test_pruning_keeps_the_locked_and_the_app_and_names_the_rest():
    spec = importlib.util.spec_from_file_location("prune_venv", ROOT / "scripts" / "prune_venv.py")
    assert spec and spec.loader
    prune = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(prune)
    lock = "# made by make lock\nFlask==3.1.2\nmarkupsafe==3.0.3  # a comment\nzope.interface==7.2\n"
    assert prune.locked_names(lock) == {"flask", "markupsafe", "zope-interface"}
    installed = ["flask", "MarkupSafe", "zope_interface", "itellico-webcall", "Old_Dep", "six"]
    assert prune.unlocked(installed, prune.locked_names(lock)) == ["old-dep", "six"]
