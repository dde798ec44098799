"""README's "Configuration": `.env.example` documents every setting, not only the WEBCALL_/ITELLICOAI_ ones
tests/unit/test_docs.py finds in webcall/settings.py: TOXIPROXY_SERVER_BIN was in the README's table
and read by sandbox/toxiproxy.py, but missing from `.env.example`."""

from __future__ import annotations

import re

import pytest

from webcall import ROOT

pytestmark = pytest.mark.unit

# Read from the environment by name, but set by a program, never by a person: not settings.
SET_BY_PROGRAMS = {
    "GUNICORN_FD": "gunicorn, for a re-executed master (USR2)",
    "LISTEN_FDS": "systemd, with socket activation",
    "PROMETHEUS_MULTIPROC_DIR": "the launcher: gunicorn.conf.py, make serve, a unit (docs/operations.md)",
    "SANDBOX_AGENT_ID": "sandbox/agent_runner.py, for each agent worker it starts",
    "SANDBOX_REPORT_URL": "sandbox/agent_runner.py, as above",
    "SANDBOX_REPORT_TOKEN": "sandbox/agent_runner.py, as above",
}
# A literal name read from the environment: os.environ.get("X"), os.environ["X"], setdefault, pop,
# getenv, "X" in os.environ, and the sandbox's and `make run`'s port helper _port("X", …).
READ = re.compile(
    r"""(?:environ\.get|environ\.setdefault|environ\.pop|getenv|environ\[|_port)\(?\s*["']([A-Z][A-Z0-9_]+)["']"""
    r"""|["']([A-Z][A-Z0-9_]+)["'] (?:not )?in (?:os\.)?environ\b"""
)


def _documented() -> set[str]:
    return set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))


def _readme_table_names() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split(" | ")[0])}


def test_every_name_of_the_readme_table_is_in_env_example():
    names = _readme_table_names()
    assert {"TOXIPROXY_SERVER_BIN", "HOST", "WEBCALL_LOG_LEVEL"} <= names
    assert sorted(names - _documented()) == []


def test_every_name_the_code_reads_from_the_environment_is_in_env_example():
    files = [ROOT / "gunicorn.conf.py", ROOT / "app.py", *(ROOT / "webcall").glob("*.py")]
    files += (ROOT / "sandbox").glob("*.py")
    read = {name for path in files for pair in READ.findall(path.read_text()) for name in pair if name}
    assert {"TOXIPROXY_SERVER_BIN", "LIVEKIT_SERVER_BIN", "PORT"} <= read
    assert sorted(read - _documented() - set(SET_BY_PROGRAMS)) == []
