"""How the studio shows times, durations and a call's status (Jinja filters `when`, `ago`, `duration`
and `call_status`)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask
from markupsafe import Markup

from .calllog import OPEN_STATUSES, REFRESH_WINDOW
from .db import aware

NONE_MARK = "\N{EN DASH}"  # what the studio's tables show for "none": `{{ value or dash }}`


def quoted(text: str) -> str:
    """A rep's text (a link's label) inside a sentence: in quotation marks, as typed (Python's repr
    showed a label's own quotes and backslashes escaped)."""
    return f"\N{LEFT DOUBLE QUOTATION MARK}{text}\N{RIGHT DOUBLE QUOTATION MARK}"


def init_app(app: Flask) -> None:
    app.jinja_env.globals["dash"] = NONE_MARK
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["ago"] = ago
    app.jinja_env.filters["clock"] = clock
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["call_status"] = call_status


# itellico's call statuses (webcall/calllog.py's OPEN_STATUSES and the final ones) as a rep reads them.
STATUS_WORDS = {
    "in_progress": "In progress",
    "queued": "Queued",
    "ringing": "Ringing",
    "initiated": "Starting",
    "waiting": "Waiting",
    "unknown": "Unknown",
    "completed": "Completed",
    "failed": "Failed",
    "transferred": "Transferred",
}
# Why a create failed (the call log's outcome failed:<error code>, webcall/errors.py's codes).
NOT_STARTED = {
    "upstream_unavailable": "itellico was unavailable",
    "upstream_rejected": "itellico refused it",
    "upstream_timeout": "itellico did not answer in time",
    "misconfigured": "this app's itellico settings are wrong",
}


def zone_named(name: str) -> tuple[str | None, tzinfo]:
    """The rep's time zone as a studio page sends it (`tz`, the browser's IANA name) and that name, or
    UTC and None for anything else: too long, unknown, or a path (ZoneInfo reads files under the zone
    directories and refuses keys that leave them)."""
    if not name or len(name) > 64:
        return None, UTC
    try:
        return name, ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None, UTC


# How much of a time `when` writes; static/js/pages/local-time.js shows the same in the rep's own zone.
_WRITTEN = {"minutes": "%Y-%m-%d %H:%M", "seconds": "%Y-%m-%d %H:%M:%S", "time": "%H:%M", "clock": "%H:%M:%S"}


def when(value: datetime, shown: str = "minutes") -> Markup:
    """A stored time as the studio writes it: UTC, and saying so, in a <time> element that the page's
    script (static/js/pages/studio.js) rewrites into the rep's own time zone."""
    value = aware(value).astimezone(UTC)
    return Markup('<time datetime="{}" data-local="{}">{} UTC</time>').format(
        value.isoformat(), shown, value.strftime(_WRITTEN[shown])
    )


def clock(text: str | None) -> Markup | str:
    """A transcript line's time (itellico's ISO text) as `when` writes times, to the second: UTC and
    saying so, shown in the rep's zone by the page. Text that is not such a time is shown as it came;
    one without an offset is taken as UTC, like the API's other times."""
    try:
        value = datetime.fromisoformat(text or "")
    except ValueError:
        return text or ""
    return when(value if value.tzinfo else value.replace(tzinfo=UTC), "clock")


def ago(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return "never"
    seconds = max(0, int(((now or datetime.now(UTC)) - value).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def duration(seconds: int | None) -> str:
    if seconds is None:
        return NONE_MARK
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def call_status(
    status: str | None,
    outcome: str = "created",
    created_at: datetime | None = None,
    now: datetime | None = None,
) -> str:
    """A call's status in words: itellico's status, else why it did not start, else "Started". A call
    still open after the refresh window says that no report came (it is not "in progress" days later)."""
    if outcome.startswith("failed:"):
        code = outcome.removeprefix("failed:")
        return f"Did not start: {NOT_STARTED.get(code, code.replace('_', ' '))}"
    still_open = status is None or status in OPEN_STATUSES
    if still_open and created_at is not None and (now or datetime.now(UTC)) - created_at > REFRESH_WINDOW:
        return "No report from itellico"
    if status:
        return STATUS_WORDS.get(status, status.replace("_", " ").capitalize())
    return "Started"
