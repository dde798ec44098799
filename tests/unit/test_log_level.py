"""WEBCALL_LOG_LEVEL sets the level of the app's own lines (`webcall.*`), not only gunicorn's: with
`warning` gunicorn fell quiet while the app went on logging at INFO ("demos seeded from …")."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import replace

import pytest

from tests.unit.test_serving_config import gunicorn_serving
from webcall import create_app
from webcall.settings import Settings, SettingsError

pytestmark = pytest.mark.unit


@pytest.fixture
def fresh_logger() -> Iterator[logging.Logger]:
    """The app's logger as a new process has it (no level yet), put back afterwards."""
    logger = logging.getLogger("webcall")
    before = logger.level
    logger.setLevel(logging.NOTSET)
    yield logger
    logger.setLevel(before)


@pytest.mark.parametrize(
    ("value", "level"),
    [(None, logging.INFO), ("warning", logging.WARNING), ("DEBUG", logging.DEBUG), ("error", logging.ERROR)],
)
def test_the_apps_loggers_follow_the_setting(fresh_logger, settings, tmp_path, value, level):
    env = {"ITELLICOAI_API_KEY": "k" * 20, "ITELLICOAI_AGENT_ID": str(uuid.uuid4())}
    read = Settings.from_env(env if value is None else {**env, "WEBCALL_LOG_LEVEL": value})
    changed = replace(settings, log_level=read.log_level, database_url=f"sqlite:///{tmp_path}/w.sqlite3")
    create_app({"settings": changed, "TESTING": True})
    assert logging.getLogger("webcall.calls").getEffectiveLevel() == level


def test_a_bad_value_stops_the_start_as_gunicorn_does():
    # The worker and `make run` have no gunicorn to check it first: the same one line.
    env = {
        "ITELLICOAI_API_KEY": "k" * 20,
        "ITELLICOAI_AGENT_ID": str(uuid.uuid4()),
        "WEBCALL_LOG_LEVEL": "loud",
    }
    with pytest.raises(SettingsError) as info:
        Settings.from_env(env)
    assert str(info.value) == (
        "setting WEBCALL_LOG_LEVEL: 'loud' is not one of debug, info, warning, error, critical"
    )


@pytest.mark.parametrize(("value", "seeded_line"), [("info", True), ("warning", False)])
def test_under_gunicorn_the_apps_info_lines_follow_it(tmp_path, value, seeded_line):
    # A new database's first start logs the demos it seeded, at INFO, from the app (webcall.demos).
    with gunicorn_serving(tmp_path, WEBCALL_LOG_LEVEL=value):
        pass
    log = (tmp_path / "gunicorn.log").read_text()
    assert ("INFO webcall.demos demos seeded from" in log) is seeded_line, log
    assert ("[INFO] Booting worker" in log) is seeded_line, log  # gunicorn's own, as before
