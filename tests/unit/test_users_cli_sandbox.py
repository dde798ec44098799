"""`flask users …` in the local sandbox, exactly as docs/sales.md shows it: `make run` without an API key
is the documented setup, and `flask --app app users add/list` there stopped with "ITELLICOAI_API_KEY: is
not set" (exit 2) while `make link` worked (it sets placeholders). The documented command is run as
written, in the project folder, with no itellico settings in the environment."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from webcall import ROOT

SALES_DOC = ROOT / "docs" / "sales.md"


def documented_command() -> str:
    """The shell block docs/sales.md gives for the users commands in the sandbox, as one line."""
    blocks = re.findall(r"```sh\n(.*?)```", SALES_DOC.read_text(), re.DOTALL)
    found = [b for b in blocks if "users list" in b and "flask" in b and "systemd-run" not in b]
    assert len(found) == 1, "docs/sales.md shows no command for `flask users` in the sandbox"
    return " ".join(found[0].replace("\\\n", " ").split())


def sandbox_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a shell in the project folder of a sandbox install: no itellico or app
    settings (make run sets its own for its processes only); a database of the test's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ITELLICOAI_", "WEBCALL_"))}
    return {**env, "WEBCALL_DATABASE_URL": f"sqlite:///{tmp_path / 'webcall.sqlite3'}"}


def run(command: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def test_the_documented_users_commands_work_in_the_sandbox(tmp_path):
    if (ROOT / ".env").exists():
        pytest.skip("a .env in the project folder is not the sandbox setup")
    env = sandbox_env(tmp_path)
    command = documented_command()
    assert command.endswith("--app app users list"), command
    # Without what the docs add, as the docs say: one line naming the setting, exit 2.
    bare = run(".venv/bin/flask --app app users list", env)
    assert bare.returncode == 2 and "setting ITELLICOAI_API_KEY: is not set" in bare.stderr, bare.stderr
    # The documented form, for `add` as the docs say any users command works, then as written.
    prefix = command.removesuffix("users list")
    added = run(
        prefix + "users add anna@example.com --name 'Anna Berger' --password-stdin", env, "ten letters plus\n"
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "added anna@example.com (rep)"
    listed = run(command, env)
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"^anna@example\.com\s+rep\s+active\s+Anna Berger$", listed.stdout, re.M), listed.stdout
