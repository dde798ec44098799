"""Starting the app (`import app`) or the task worker in a child process with only the settings a test
gives, to see how a start is refused: exit code 2 and one line naming the setting."""

from __future__ import annotations

import os
import subprocess
import sys

from webcall import ROOT

APP = ("-c", "import app")
WORKER = ("-m", "webcall.worker")


def clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without any of ours (ITELLICOAI_*, WEBCALL_*, PROMETHEUS_*)."""
    ours = ("ITELLICOAI_", "WEBCALL_", "PROMETHEUS_")
    return {**{k: v for k, v in os.environ.items() if not k.startswith(ours)}, **settings}


def start(what: tuple[str, str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *what], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
