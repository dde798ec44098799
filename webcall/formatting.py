"""How the studio shows times and durations (Jinja filters `ago` and `duration`)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask


def init_app(app: Flask) -> None:
    app.jinja_env.filters["ago"] = ago
    app.jinja_env.filters["duration"] = duration


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
        return "-"
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"
