"""WEBCALL_REFRESH_MINUTES: 0 (off) or a divisor of 60, 60 included (hourly), and the worker's GET-call
fallback runs on exactly that schedule. `.env.example` said "a divisor of 60" while 60 was refused
("'60' is not 0 (off) or a divisor of 60 minutes")."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from webcall import create_app
from webcall.settings import Settings, SettingsError
from webcall.tasks import task_queue

pytestmark = pytest.mark.unit

GOOD = {"ITELLICOAI_API_KEY": "k", "ITELLICOAI_AGENT_ID": "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41"}
DIVISORS = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60]


@pytest.mark.parametrize("minutes", DIVISORS)
def test_every_divisor_of_60_is_taken(minutes):
    assert Settings.from_env({**GOOD, "WEBCALL_REFRESH_MINUTES": str(minutes)}).refresh_minutes == minutes


@pytest.mark.parametrize("raw", ["7", "45", "59", "61", "90", "120"])
def test_other_numbers_are_refused_with_the_rule(raw):
    with pytest.raises(SettingsError) as info:
        Settings.from_env({**GOOD, "WEBCALL_REFRESH_MINUTES": raw})
    assert info.value.name == "WEBCALL_REFRESH_MINUTES"
    assert str(info.value) == (
        f"setting WEBCALL_REFRESH_MINUTES: {raw!r} is not 0 (off) or a divisor of 60 minutes "
        "(1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60)"
    )


def _runs_in_two_hours(settings: Settings, tmp_path, minutes: int) -> list[int]:
    """The minutes of two hours at which the app's task queue runs its GET-call fallback."""
    changed = replace(
        settings,
        refresh_minutes=minutes,
        task_queue_url="memory://",
        database_url=f"sqlite:///{tmp_path}/calls.sqlite3",
    )
    huey = task_queue(create_app({"settings": changed, "TESTING": True})).huey
    start = datetime(2026, 3, 2, 9, 0)
    # What the consumer's scheduler asks each minute: the periodic tasks due now.
    return [
        m
        for m in range(120)
        if any(task.name == "calllog_refresh" for task in huey.read_periodic(start + timedelta(minutes=m)))
    ]


@pytest.mark.parametrize(
    ("minutes", "runs"), [(60, [0, 60]), (30, [0, 30, 60, 90]), (20, [0, 20, 40, 60, 80, 100])]
)
def test_the_fallback_runs_every_so_many_minutes(settings, tmp_path, minutes, runs):
    assert _runs_in_two_hours(settings, tmp_path, minutes) == runs
