"""ITELLICOAI_TIMEOUT_SECONDS is at most 25: the shipped nginx (deploy/nginx/webcall.conf,
`proxy_read_timeout 30s`) and gunicorn's graceful timeout (30 s) give the visitor's request 30 s. With
45 set and a create taking 35 s, the visitor got nginx's HTML 504 after 30 s while the app still made
the call upstream, billed with nobody on it (an operator's audit)."""

from __future__ import annotations

import pytest

from webcall.settings import Settings, SettingsError

from .process_start import APP, clean_env, start

pytestmark = pytest.mark.unit

AGENT = "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41"
GOOD = {"ITELLICOAI_API_KEY": "k", "ITELLICOAI_AGENT_ID": AGENT}
REFUSED = (
    "setting ITELLICOAI_TIMEOUT_SECONDS: 26 is outside 1..25: the shipped nginx and gunicorn give a "
    "request 30 s, and a create allowed longer reaches the visitor as nginx's 504 while itellico still "
    "makes the call"
)


def test_a_create_timeout_the_proxy_cuts_short_is_refused_with_one_line():
    with pytest.raises(SettingsError) as info:
        Settings.from_env({**GOOD, "ITELLICOAI_TIMEOUT_SECONDS": "26"})
    assert str(info.value) == REFUSED


@pytest.mark.parametrize("seconds", ["25", "15", "1"])
def test_a_create_timeout_within_the_proxys_fits(seconds):
    settings = Settings.from_env({**GOOD, "ITELLICOAI_TIMEOUT_SECONDS": seconds})
    assert settings.create_timeout_seconds == float(seconds)


def test_the_app_says_it_at_start_and_stops(tmp_path):
    env = clean_env(
        **GOOD,
        ITELLICOAI_TIMEOUT_SECONDS="26",
        WEBCALL_DATABASE_URL=f"sqlite:///{tmp_path / 'webcall.sqlite3'}",  # never the project's own
        WEBCALL_TASK_QUEUE_URL="memory://",
    )
    result = start(APP, env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"itellico web-call cannot start: {REFUSED}"]
