"""Who called when: every create attempt, completed later from itellico's `GET call`.

A real database through SQLAlchemy Core: a SQLite file by default, any SQLAlchemy URL (e.g.
PostgreSQL) through `WEBCALL_DATABASE_URL`; the schema is migrated on start (webcall/schema.py).
Stored per call: demo, share-link id, call id, time, mode, outcome, then status and duration.
Nothing of the conversation is stored (the call detail page reads the transcript from itellico each
time it is opened). Share links are stored too, so the studio can list, copy, revoke and extend them;
for a link stored here, its row (expiry, revocation) is what every link check goes by (webcall/links.py).
"""

from __future__ import annotations

import json
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
    Text,
    insert,
    or_,
    select,
    update,
)

from .db import aware as _aware
from .db import metadata, names_no_row, open_database
from .db import now as _now
from .db_wait import UNAVAILABLE
from .links import ShareLink

log = logging.getLogger("webcall.calllog")
# Links that ended (expired or revoked) longer ago than this are folded away in the studio (/demos'
# "Show older links", the calls page's link filter): a year of links made /demos megabytes long and
# the filter a 3,000-entry list. Their calls stay in /demos/calls.
FOLD_ENDED_AFTER = timedelta(days=30)

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

links = Table(
    "webcall_links",
    metadata,
    Column("link_id", String(32), primary_key=True),
    Column("demo", String(64), nullable=False, index=True),
    Column("label", String(200), nullable=False),
    Column("variables", Text, nullable=False),  # JSON object
    Column("token", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(16), nullable=False),  # cli | web
    # Who the link belongs to (the rep's email once reps sign in; "cli"/"web" before): revision 0002.
    Column("owner", String(254), nullable=True, index=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("revoked_by", String(254), nullable=True),
)


def storable_label(label: str) -> str:
    """A link's label as stored: at most 200 characters (the column), without NUL (PostgreSQL refuses
    one; the studio said "Try again", which could never work). "link" when nothing is left."""
    return label.replace("\x00", "")[:200] or "link"


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


@dataclass(frozen=True)
class LinkRecord:
    link_id: str
    demo: str
    label: str
    variables: Mapping[str, str]
    token: str
    created_at: datetime
    expires_at: datetime
    created_by: str
    owner: str | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    @property
    def expired(self) -> bool:
        return self.expires_at <= _now()

    @property
    def status(self) -> str:
        """active | expired | revoked (revoked wins: the rep's decision is what the prospect sees)."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expired else "active"

    @property
    def long_ended(self) -> bool:
        """Expired or revoked over FOLD_ENDED_AFTER ago: folded away in the studio's lists."""
        ended = self.revoked_at if self.revoked_at is not None else self.expires_at
        return ended < _now() - FOLD_ENDED_AFTER


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
        with self.engine.begin() as db:
            db.execute(
                insert(links).values(
                    link_id=link.link_id,
                    demo=link.slug,
                    label=storable_label(label),
                    variables=json.dumps(dict(link.vars), ensure_ascii=False),
                    token=link.token,
                    created_at=_now(),
                    expires_at=link.expires_at,
                    created_by=created_by,
                    owner=(owner or created_by)[:254],
                )
            )

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
            return [_call(row._mapping) for row in db.execute(query)]

    def call(self, call_id: str) -> CallRecord | None:
        if names_no_row(call_id):
            return None
        with self.engine.connect() as db:
            row = db.execute(select(calls).where(calls.c.call_id == call_id)).first()
        return None if row is None else _call(row._mapping)

    def over(self, call_ids: list[str]) -> list[str]:
        """Which of `call_ids` the log knows are over (what any process heard: a summary read, a webhook)."""
        asked = [call_id for call_id in call_ids if not names_no_row(call_id)]
        if not asked:
            return []
        with self.engine.connect() as db:
            rows = db.execute(select(calls).where(calls.c.call_id.in_(asked)))
            records = [_call(row._mapping) for row in rows]
        return [record.call_id for record in records if record.call_id is not None and not record.open]

    def links(self, demo: str | None = None) -> list[LinkRecord]:
        query = select(links).order_by(links.c.created_at.desc())
        if demo is not None:
            query = query.where(links.c.demo == demo)
        with self.engine.connect() as db:
            return [_link(row._mapping) for row in db.execute(query)]


def _call(row: Mapping[str, Any]) -> CallRecord:
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


def _link(row: Mapping[str, Any]) -> LinkRecord:
    return LinkRecord(
        link_id=row["link_id"],
        demo=row["demo"],
        label=row["label"],
        variables=json.loads(row["variables"]),
        token=row["token"],
        created_at=_aware(row["created_at"]) or _now(),
        expires_at=_aware(row["expires_at"]) or _now(),
        created_by=row["created_by"],
        owner=row["owner"],
        revoked_at=_aware(row["revoked_at"]),
        revoked_by=row["revoked_by"],
    )
