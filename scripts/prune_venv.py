"""Uninstall from the running venv what requirements-lock.txt does not name (scripts/setup.sh runs it
after each install). pip installs with the lock as constraints but never removes: a distribution the
lock dropped (a `make lock` refresh, a pin removed from pyproject.toml) stayed installed and unlocked,
and tests/unit/test_python_lock.py failed right after the documented `make lock`, then `make test`.

    .venv/bin/python scripts/prune_venv.py requirements-lock.txt
"""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

PROJECT = "itellico-webcall"  # installed editable from the working tree: the lock does not name it


def canonical(name: str) -> str:
    """A distribution's name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_names(lock_text: str) -> set[str]:
    return {canonical(line.split("==")[0]) for line in lock_text.splitlines() if "==" in line.split("#")[0]}


def unlocked(installed: Iterable[str], locked: set[str]) -> list[str]:
    return sorted({canonical(name) for name in installed} - locked - {PROJECT})


def main(lock: str) -> None:
    installed = (d.metadata["Name"] for d in importlib.metadata.distributions() if d.metadata["Name"])
    extra = unlocked(installed, locked_names(Path(lock).read_text(encoding="utf-8")))
    if extra:
        print(f"==> Removing what {lock} does not name: {', '.join(extra)}", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "uninstall", "-q", "-y", *extra], check=True)


if __name__ == "__main__":
    main(sys.argv[1])
