"""The studio's calls list: filters from a query string, and the calls that match them.

Filters are demo, link, rep (the owner of the call's share link) and a date range (`from`, `to`, whole
days, both included) in the rep's time zone (`tz`, an IANA name the page sends from the browser;
UTC without it). A malformed filter is dropped and named in `problems`, so the page still shows
calls and says which filter it ignored; nothing here raises on user input. A demo, link or rep filter
that names nothing served or known is kept (and named in `problems`): an export of "that demo's calls"
must never become every call.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import MINYEAR, UTC, datetime, timedelta

from sqlalchemy import Engine, Select, and_, false, or_, select

from .calllog import CallRecord, call_record, calls
from .db import names_no_row
from .formatting import zone_named
from .link_rows import links

MAX_FILTER_LENGTH = 254
PAGE_LIMIT = 500
# The CSV export reads this many calls at a time: it has every call, and no read (or database
# connection) lasts as long as a slow download.
EXPORT_CHUNK = 1_000


@dataclass(frozen=True)
class CallFilter:
    demo: str | None = None
    link: str | None = None
    rep: str | None = None
    start: datetime | None = None  # inclusive, in `zone`
    end: datetime | None = None  # exclusive (the day after `to`), in `zone`
    zone: str | None = None  # the IANA time zone of the days; None: UTC
    problems: tuple[str, ...] = field(default=(), compare=False)

    def args(self) -> dict[str, str]:
        """The filters as query arguments (for the CSV link and the form)."""
        values = {
            "demo": self.demo,
            "link": self.link,
            "rep": self.rep,
            "from": self.start.date().isoformat() if self.start else None,
            "to": (self.end - timedelta(days=1)).date().isoformat() if self.end else None,
            "tz": self.zone,
        }
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True)
class CallRow:
    call: CallRecord
    link_label: str | None
    rep: str | None


def parse_filter(args: Mapping[str, str], demos: Collection[str]) -> CallFilter:
    problems: list[str] = []

    def text(name: str) -> str | None:
        value = (args.get(name) or "").strip()
        if len(value) > MAX_FILTER_LENGTH:
            problems.append(f"The {name} filter is too long and was ignored.")
            return None
        return value or None

    zone_name, days_in = zone_named(args.get("tz") or "")
    if zone_name is None and args.get("tz"):
        problems.append("The browser's time zone is not one this server knows; the dates are UTC days.")

    def day(name: str) -> datetime | None:
        value = text(name)
        if value is None:
            return None
        try:
            return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=days_in)
        except ValueError:
            problems.append(f"The {name!r} date is not a date like 2026-12-31 and was ignored.")
            return None

    demo = text("demo")
    if demo is not None and demo not in demos:
        # Kept, matched on the calls' slug: a demo deleted since keeps its calls (docs/sales.md), and a
        # bookmarked "Acme's calls" that dropped it listed and exported every demo's calls.
        problems.append(
            f"The demo {demo} is not served any more (deleted, or the name is mistyped): only the calls"
            " made on a demo of that name are shown."
        )
    start, to = day("from"), day("to")
    end = None
    if to is not None:
        try:
            end = to + timedelta(days=1)
        except OverflowError:
            # The range ends before the day after `to`, and 9999-12-31 (datetime's last day) has none.
            problems.append("The 'to' date is out of range and was ignored.")
    if start and end and start >= end:
        problems.append("The date range ends before it starts; the dates were ignored.")
        start = end = None
    return CallFilter(demo, text("link"), text("rep"), start, end, zone_name, tuple(problems))


def unknown(chosen: CallFilter, link_ids: Collection[str], owners: Collection[str]) -> CallFilter:
    """The filter, with a word for a link or rep filter that names nothing the call log knows: they
    are kept (an export of "that link's calls" must not become every call), but a typo in a shared
    filter address looked like "no calls"."""
    notes = []
    if chosen.link and chosen.link not in link_ids:
        notes.append("No share link has that id, so no call matches the link filter.")
    if chosen.rep and chosen.rep not in owners:
        notes.append(f"No share link belongs to {chosen.rep}, so no call matches the rep filter.")
    return replace(chosen, problems=(*chosen.problems, *notes)) if notes else chosen


def _query(chosen: CallFilter) -> Select:
    query = (
        select(calls, links.c.label.label("link_label"), links.c.owner.label("link_owner"))
        .select_from(calls.outerjoin(links, calls.c.link_id == links.c.link_id))
        .order_by(calls.c.created_at.desc(), calls.c.id.desc())
    )
    # A demo, link or rep with a NUL names none (PostgreSQL refused the query): no call, as for an
    # unknown one.
    if chosen.demo:
        query = query.where(false() if names_no_row(chosen.demo) else calls.c.demo == chosen.demo)
    if chosen.link:
        query = query.where(false() if names_no_row(chosen.link) else calls.c.link_id == chosen.link)
    if chosen.rep:
        query = query.where(false() if names_no_row(chosen.rep) else links.c.owner == chosen.rep)
    if chosen.start:
        query = query.where(calls.c.created_at >= _utc(chosen.start))
    if chosen.end:
        query = query.where(calls.c.created_at < _utc(chosen.end))
    return query


def _utc(moment: datetime) -> datetime:
    """`moment` in UTC. The first day there is (0001-01-01) begins before datetime's first UTC moment in
    a zone east of UTC (OverflowError: a 500 on the list and the CSV): clamped to that first moment,
    which no call precedes, so the filter means what the rep chose (datetime's last day, the same way)."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return (datetime.min if moment.year == MINYEAR else datetime.max).replace(tzinfo=UTC)


def find_calls(engine: Engine, chosen: CallFilter, limit: int = PAGE_LIMIT) -> list[CallRow]:
    with engine.connect() as db:
        rows = db.execute(_query(chosen).limit(limit)).all()
    return [CallRow(call_record(row._mapping), row.link_label, row.link_owner) for row in rows]


def each_call(engine: Engine, chosen: CallFilter) -> Iterator[CallRow]:
    """Every call that matches, newest first, EXPORT_CHUNK at a time: each read continues after the
    last call of the one before (its time, then its id: calls made in the same second stay apart)."""
    query = chunk = _query(chosen).limit(EXPORT_CHUNK)
    while True:
        with engine.connect() as db:
            rows = db.execute(query).all()
        for row in rows:
            yield CallRow(call_record(row._mapping), row.link_label, row.link_owner)
        if len(rows) < EXPORT_CHUNK:
            return
        at, last_id = rows[-1].created_at, rows[-1].id
        query = chunk.where(
            or_(calls.c.created_at < at, and_(calls.c.created_at == at, calls.c.id < last_id))
        )


def call_row(engine: Engine, call_id: str) -> CallRow | None:
    if names_no_row(call_id):
        return None
    with engine.connect() as db:
        row = db.execute(_query(CallFilter()).where(calls.c.call_id == call_id)).first()
    return None if row is None else CallRow(call_record(row._mapping), row.link_label, row.link_owner)


def called_demos(engine: Engine) -> list[str]:
    """Every demo slug the call log has calls of, for the demo filter's choices (a deleted demo's too)."""
    with engine.connect() as db:
        return sorted(db.execute(select(calls.c.demo).distinct()).scalars())


def reps(engine: Engine) -> list[str]:
    """Every link owner, for the rep filter's choices."""
    with engine.connect() as db:
        found = db.execute(select(links.c.owner).where(links.c.owner.is_not(None)).distinct()).scalars()
        return sorted(found)
