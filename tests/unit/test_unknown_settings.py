"""A setting name the app does not know is said at start, never silently ignored.

An operator's audit: `WEBCALL_DATABASE_ULR=postgresql+psycopg://…` started production on a new, empty
SQLite database (the only clue a "demos seeded" line), and `WEBCALL_METRICS_TOKN=…` left /metrics 404
with no line at all. Development logs one warning per such name with the closest setting; production
refuses to start with one line. Neither ever shows the value (it may be a secret).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import pytest

from webcall import ROOT
from webcall.settings import DEFAULT_DATABASE_URL, NAMES, Settings, SettingsError, load_env_file

from .process_start import APP, clean_env, start

pytestmark = pytest.mark.unit

AGENT = "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41"
GOOD = {"ITELLICOAI_API_KEY": "k", "ITELLICOAI_AGENT_ID": AGENT}
PRODUCTION = {**GOOD, "WEBCALL_ENV": "production", "WEBCALL_SECRET_KEY": "s" * 32}
SECRET_URL = "postgresql+psycopg://webcall:Pg-S3cret-pw@db.internal/webcall"
TOKEN = "metrics-token-Xq7Lp2Vb9Kd4"


def _warnings_naming(caplog: pytest.LogCaptureFixture, name: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and name in r.getMessage()]


def test_a_misspelt_name_is_one_warning_naming_the_closest_setting(caplog):
    with caplog.at_level(logging.WARNING):
        settings = Settings.from_env({**GOOD, "WEBCALL_DATABASE_ULR": SECRET_URL})
    lines = _warnings_naming(caplog, "WEBCALL_DATABASE_ULR")
    assert len(lines) == 1, caplog.text
    assert "WEBCALL_DATABASE_ULR is not a setting (did you mean WEBCALL_DATABASE_URL?)" in lines[0]
    assert "S3cret" not in caplog.text and "db.internal" not in caplog.text  # never the value
    assert settings.database_url == DEFAULT_DATABASE_URL  # development starts, the name ignored


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("WEBCALL_METRICS_TOKN", "WEBCALL_METRICS_TOKEN"),
        ("ITELLICOAI_AGENT", "ITELLICOAI_AGENT_ID"),
        ("webcall_database_url", "WEBCALL_DATABASE_URL"),  # environment names are case-sensitive
        ("WEBCALL_THREAD", "WEBCALL_THREADS"),  # gunicorn's (webcall/serving.py)
    ],
)
def test_the_closest_setting_is_suggested(caplog, typo, meant):
    with caplog.at_level(logging.WARNING):
        Settings.from_env({**GOOD, typo: "1"})
    assert [f"did you mean {meant}?" in line for line in _warnings_naming(caplog, typo)] == [True]


def test_a_name_like_no_setting_still_gets_its_line(caplog):
    with caplog.at_level(logging.WARNING):
        Settings.from_env({**GOOD, "WEBCALL_ZZZZZZZZZZZZZZZZ": "1"})
    (line,) = _warnings_naming(caplog, "WEBCALL_ZZZZZZZZZZZZZZZZ")
    assert "is not a setting" in line and "did you mean" not in line and ".env.example" in line


def test_production_refuses_to_start_with_one_line_naming_each(caplog):
    with pytest.raises(SettingsError) as info:
        Settings.from_env({**PRODUCTION, "WEBCALL_METRICS_TOKN": TOKEN, "WEBCALL_DATABASE_ULR": SECRET_URL})
    message = str(info.value)
    assert info.value.name == "WEBCALL_DATABASE_ULR" and "\n" not in message
    assert "did you mean WEBCALL_DATABASE_URL?" in message
    assert "WEBCALL_METRICS_TOKN (did you mean WEBCALL_METRICS_TOKEN?)" in message
    assert TOKEN not in message and "S3cret" not in message and "S3cret" not in caplog.text


def test_known_names_other_prefixes_and_empty_values_pass_quietly(caplog):
    # An empty value means "the default" for every setting: a misspelt empty one changes nothing.
    env = {
        **PRODUCTION,
        "WEBCALL_METRICS_TOKN": "",
        "WEBCALL_X": "  ",
        "WEBCALLER_ID": "7",
        "ITELLICO_X": "1",
    }
    with caplog.at_level(logging.WARNING):
        Settings.from_env({**env, "WEBCALL_THREADS": "4", "WEBCALL_LOG_LEVEL": "info"})
    assert "is not a setting" not in caplog.text


def test_a_misspelt_name_in_the_env_file_counts_too(tmp_path, monkeypatch):
    for name in [n for n in os.environ if n.upper().startswith(("WEBCALL_", "ITELLICOAI_"))]:
        monkeypatch.delenv(name)
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("WEBCALL_METRICS_TOKN", raising=False)
    (tmp_path / ".env").write_text(f"WEBCALL_METRICS_TOKN={TOKEN}\n")
    load_env_file(tmp_path / ".env")
    with pytest.raises(SettingsError) as info:
        Settings.from_env()
    assert info.value.name == "WEBCALL_METRICS_TOKN" and TOKEN not in str(info.value)


def _names_in(path: Path) -> set[str]:
    return set(re.findall(r"\b((?:WEBCALL|ITELLICOAI)_[A-Z0-9_]*[A-Z0-9])\b", path.read_text()))


def test_every_name_the_code_reads_is_a_known_setting_and_documented():
    # Whatever reads a name (the app, gunicorn.conf.py, `make run`, the worker, the sandbox, the Makefile,
    # setup) must be in settings.NAMES, or production would refuse to start with it set.
    sources = [
        *(ROOT / "webcall").rglob("*.py"),
        *(ROOT / "sandbox").rglob("*.py"),
        *(ROOT / "scripts").iterdir(),
        ROOT / "Makefile",
        ROOT / "gunicorn.conf.py",
        ROOT / "app.py",
    ]
    read = set().union(*(_names_in(path) for path in sources if path.is_file()))
    assert len(read) > 40
    assert sorted(read - set(NAMES)) == []
    example = (ROOT / ".env.example").read_text()
    assert sorted(name for name in NAMES if f"\n{name}=" not in example) == []


def _start_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return clean_env(
        **GOOD,
        WEBCALL_DATABASE_URL=f"sqlite:///{tmp_path}/webcall.sqlite3",
        WEBCALL_TASK_QUEUE_URL=f"sqlite:///{tmp_path}/tasks.sqlite3",
        WEBCALL_SECRET_KEY="s" * 32,
        **extra,
    )


def test_the_app_refuses_a_misspelt_name_in_production_with_one_line(tmp_path):
    result = start(APP, _start_env(tmp_path, WEBCALL_ENV="production", WEBCALL_DATABASE_ULR=SECRET_URL))
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "itellico web-call cannot start: setting WEBCALL_DATABASE_ULR: is not a setting (did you mean "
        "WEBCALL_DATABASE_URL?). Production refuses names it does not know: correct or remove it"
    ]
    assert not (tmp_path / "webcall.sqlite3").exists()  # refused before a database was made


def test_the_app_starts_in_development_with_one_warning_line(tmp_path):
    result = start(APP, _start_env(tmp_path, WEBCALL_METRICS_TOKN=TOKEN))
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "WEBCALL_METRICS_TOKN" in line]
    assert len(lines) == 1 and "WARNING" in lines[0], result.stderr
    assert "did you mean WEBCALL_METRICS_TOKEN?" in lines[0] and TOKEN not in result.stderr
