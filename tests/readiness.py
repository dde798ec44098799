"""What /readyz says of a test app whose every check is ok, so a test names only the checks it is about
(webcall/health.py; a new check is added here once, not to every expected answer)."""

from __future__ import annotations

ALL_OK = {
    "settings": "ok",
    "upstream": "ok",
    "database": "ok",
    "agent": "ok",
    "worker": "ok",
    "task_queue": "ok",
}


def checks(**differ: str) -> dict[str, str]:
    """The checks of a test app: all ok, but for `differ` (or checks only some apps have: disk, …)."""
    return ALL_OK | differ
