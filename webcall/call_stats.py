"""The studio index's figures (/demos): per share link, per demo and per demo's calls without a link,
how many calls were made, when the last one was, how long it lasted and how long they all lasted;
and each demo's newest calls. Every figure counts every call: each is one read over the call log,
whatever the number of links, calls or demos (3,000 links made /demos take over a second when it
asked once per link; taking them from the 200 newest calls of all demos left a quiet demo none).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, func, select

from .calllog import CallRecord, call_record, calls
from .db import aware

RECENT_PER_DEMO = 20
_NEWEST_FIRST = (calls.c.created_at.desc(), calls.c.id.desc())


@dataclass(frozen=True)
class CallStats:
    """The calls made (created upstream) of one link, demo or demo's unlinked calls."""

    calls: int
    last_call_at: datetime | None
    last_duration_seconds: int | None
    total_seconds: int


def link_stats(engine: Engine) -> dict[str | None, CallStats]:
    """Per share link id; None is the calls without a link, of all demos (per demo: `unlinked_stats`)."""
    return _stats(engine, calls.c.link_id)


def demo_stats(engine: Engine) -> dict[str, CallStats]:
    return _stats(engine, calls.c.demo)


def unlinked_stats(engine: Engine) -> dict[str, CallStats]:
    """Per demo, its calls made without a share link (from its public page or the widget)."""
    return _stats(engine, calls.c.demo, calls.c.link_id.is_(None))


def recent_calls(engine: Engine, per_demo: int = RECENT_PER_DEMO) -> dict[str, list[CallRecord]]:
    """Each demo's newest `per_demo` call attempts, newest first."""
    ranked = select(
        calls, func.row_number().over(partition_by=calls.c.demo, order_by=_NEWEST_FIRST).label("n")
    ).subquery()
    query = (
        select(ranked).where(ranked.c.n <= per_demo).order_by(ranked.c.created_at.desc(), ranked.c.id.desc())
    )
    found: dict[str, list[CallRecord]] = {}
    with engine.connect() as db:
        for row in db.execute(query):
            found.setdefault(row.demo, []).append(call_record(row._mapping))
    return found


def _stats(engine: Engine, key: Any, *where: ColumnElement[bool]) -> dict[Any, CallStats]:
    """The figures of the calls made (`created`) grouped by `key`: two reads, one of them a window
    function for each group's last call's duration."""
    made = (calls.c.outcome == "created", *where)
    totals = (
        select(
            key,
            func.count(calls.c.id),
            func.max(calls.c.created_at),
            func.coalesce(func.sum(calls.c.duration_seconds), 0),
        )
        .where(*made)
        .group_by(key)
    )
    ranked = (
        select(
            key.label("key"),
            calls.c.duration_seconds,
            func.row_number().over(partition_by=key, order_by=_NEWEST_FIRST).label("n"),
        )
        .where(*made)
        .subquery()
    )
    with engine.connect() as db:
        rows = db.execute(totals).all()
        last = dict(db.execute(select(ranked.c.key, ranked.c.duration_seconds).where(ranked.c.n == 1)).all())
    return {
        group: CallStats(int(count), aware(last_at), last.get(group), int(total))
        for group, count, last_at, total in rows
    }
