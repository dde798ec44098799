"""Who called when: every create attempt, completed later from itellico's `GET call`.

A real database through SQLAlchemy Core: a SQLite file by default, any SQLAlchemy URL (e.g.
PostgreSQL) through `WEBCALL_DATABASE_URL`; the schema is migrated on start (webcall/schema.py).
Stored per call: demo, share-link id, call id, time, mode, outcome, then status and duration.
Nothing of the conversation is stored (the call detail page reads the transcript from itellico each
time it is opened). The share links' rows, in the same database, are webcall/link_rows.py's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    String,
    Table,
    insert,
    or_,
    select,
    update,
)

from .db import aware as _aware
from .db import metadata, names_no_row, open_database
from .db import now as _now
from .db_wait import UNAVAILABLE
from .link_rows import LinkRecord, add_link, stored_links
from .links import ShareLink

log = logging.getLogger("webcall.calllog")
# Statuses that may still change; anything else (completed, failed, transferred, …) is final.
OPEN_STATUSES = frozenset({"in_progress", "queued", "ringing", "initiated", "waiting", "unknown"})
# How long an open call is asked about (refresh_open); after it nothing will complete it but a webhook.
REFRESH_WINDOW = timedelta(hours=24)

calls = Table(
    "webcall_calls",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(64), unique=True, nullable=True),  # None when the create failed
    Column("demo", String(64), nullable=False, index=True),
    Column("link_id", String(32), nullable=True, index=True),
    Column("mode", String(8), nullable=False),
    Column("outcome", String(48), nullable=False),  # created | failed:<error code>
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("status", String(32), nullable=True),
    Column("duration_seconds", Integer, nullable=True),
    Column("checked_at", DateTime(timezone=True), nullable=True),
    # From itellico's webhooks (revision 0005, webcall/webhook_work.py): when a `conversation.ended`
    # first completed this call (the notification hook runs once, then), and when its analysis was ready.
    Column("ended_event_at", DateTime(timezone=True), nullable=True),
    Column("analysis_at", DateTime(timezone=True), nullable=True),
    # What its create sent as the first message, as a digest, never the words (revision 0011): a page's own
    # `initial_text` is told apart from what the prospect said (webcall/prospect_lines.py).
    Column("first_message", String(64), nullable=True),
)


@dataclass(frozen=True)
class CallRecord:
    call_id: str | None
    demo: str
    link_id: str | None
    mode: str
    outcome: str
    created_at: datetime
    status: str | None
    duration_seconds: int | None
    # prospect_lines.first_message_mark of what the create sent; None for calls logged before revision 0011.
    first_message: str | None = None

    @property
    def open(self) -> bool:
        return self.outcome == "created" and (self.status is None or self.status in OPEN_STATUSES)


class CallLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine  # migrated already (webcall/db.py open_database)

    @classmethod
    def open(cls, url: str, root: Path) -> CallLog:
        return cls(open_database(url, root))

    # -- writing -----------------------------------------------------------------------------

    def record(
        self,
        *,
        demo: str,
        mode: str,
        outcome: str,
        call_id: str | None = None,
        link_id: str | None = None,
        status: str | None = None,
        first_message: str | None = None,
    ) -> None:
        with self.engine.begin() as db:
            db.execute(
                insert(calls).values(
                    call_id=call_id,
                    demo=demo,
                    link_id=link_id,
                    mode=mode,
                    outcome=outcome,
                    created_at=_now(),
                    status=status,
                    first_message=first_message,
                )
            )

    def complete(self, call_id: str, status: str, duration_seconds: int | None) -> None:
        """What itellico's `GET call` says now (the call's page, the refresh fallback). Once a
        `conversation.ended` webhook completed the call (`ended_event_at`), its status and duration are
        the ones the rep's notification told (webcall/webhook_work.py): a look-up then only fills in a
        duration that end did not have."""
        this_call = calls.c.call_id == call_id
        query = update(calls).where(this_call, calls.c.ended_event_at.is_(None))
        if status in OPEN_STATUSES:
            # A look-up that lags behind a webhook's final status must not reopen the call.
            query = query.where(or_(calls.c.status.is_(None), calls.c.status.in_(OPEN_STATUSES)))
        with self.engine.begin() as db:
            db.execute(query.values(status=status, duration_seconds=duration_seconds, checked_at=_now()))
            if duration_seconds is not None:
                db.execute(
                    update(calls)
                    .where(this_call, calls.c.ended_event_at.is_not(None), calls.c.duration_seconds.is_(None))
                    .values(duration_seconds=duration_seconds, checked_at=_now())
                )

    def add_link(self, link: ShareLink, label: str, created_by: str, owner: str | None = None) -> None:
        """A share link's row (webcall/link_rows.py), in this log's database."""
        add_link(self.engine, link, label, created_by, owner)

    def refresh_open(
        self,
        fetch: Callable[[str], tuple[str, int | None]],
        *,
        max_calls: int = 20,
        newer_than: timedelta = REFRESH_WINDOW,
        budget_seconds: float = 5.0,
        on_write_failure: Callable[[str], None] = lambda _call_id: None,
    ) -> int:
        """Ask `fetch(call_id) -> (status, duration)` about calls still open, newest first, for at
        most `budget_seconds`; returns how many were updated. A failing fetch leaves that call as it was;
        so does a failing write, told to `on_write_failure(call_id)` (the worker counts it) with one
        warning line. A read of the open calls that fails raises."""
        deadline = time.monotonic() + budget_seconds
        since = _now() - newer_than
        with self.engine.connect() as db:
            rows = db.execute(
                select(calls.c.call_id)
                .where(calls.c.outcome == "created", calls.c.call_id.is_not(None))
                .where(or_(calls.c.status.is_(None), calls.c.status.in_(OPEN_STATUSES)))
                .where(calls.c.created_at >= since)
                .order_by(calls.c.created_at.desc())
                .limit(max_calls)
            ).all()
        changed = 0
        for (call_id,) in rows:
            if time.monotonic() > deadline:
                break
            try:
                status, duration = fetch(call_id)
            except Exception as error:  # upstream trouble must not break the sales index
                log.warning("calllog.refresh failed call_id=%s error=%s", call_id, type(error).__name__)
                continue
            try:
                self.complete(call_id, status, duration)
            except Exception as error:
                # What itellico answered is written unchecked (a status longer than the column, a
                # duration past its integer, text the driver cannot encode: SQLAlchemy's errors and
                # the driver's own): that call stays as it was, the older ones are still asked about.
                log.warning("calllog.refresh write failed call_id=%s error=%s", call_id, type(error).__name__)
                on_write_failure(call_id)
                if isinstance(error, UNAVAILABLE):
                    break  # the database, not this call: every other write would wait and fail too
                continue
            changed += 1
        return changed

    # -- reading -----------------------------------------------------------------------------

    def calls(self, demo: str | None = None, limit: int = 50) -> list[CallRecord]:
        query = select(calls).order_by(calls.c.created_at.desc(), calls.c.id.desc()).limit(limit)
        if demo is not None:
            query = query.where(calls.c.demo == demo)
        with self.engine.connect() as db:
            return [call_record(row._mapping) for row in db.execute(query)]

    def call(self, call_id: str) -> CallRecord | None:
        if names_no_row(call_id):
            return None
        with self.engine.connect() as db:
            row = db.execute(select(calls).where(calls.c.call_id == call_id)).first()
        return None if row is None else call_record(row._mapping)

    def over(self, call_ids: list[str]) -> list[str]:
        """Which of `call_ids` the log knows are over (what any process heard: a summary read, a webhook)."""
        asked = [call_id for call_id in call_ids if not names_no_row(call_id)]
        if not asked:
            return []
        with self.engine.connect() as db:
            rows = db.execute(select(calls).where(calls.c.call_id.in_(asked)))
            records = [call_record(row._mapping) for row in rows]
        return [record.call_id for record in records if record.call_id is not None and not record.open]

    def links(self, demo: str | None = None) -> list[LinkRecord]:
        """The share links' rows (webcall/link_rows.py), newest first; of `demo` only if given."""
        return stored_links(self.engine, demo)


def call_record(row: Mapping[str, Any]) -> CallRecord:
    """A `webcall_calls` row as a CallRecord (its time in UTC: webcall/db.py `aware`)."""
    return CallRecord(
        call_id=row["call_id"],
        demo=row["demo"],
        link_id=row["link_id"],
        mode=row["mode"],
        outcome=row["outcome"],
        created_at=_aware(row["created_at"]) or _now(),
        status=row["status"],
        duration_seconds=row["duration_seconds"],
        first_message=row.get("first_message"),
    )
