"""Refused opens of share links: a prospect opened a link that has expired or was withdrawn.

The prospect sees the link's notice ("This link has expired"); the rep sees on /demos that the link
was tried since it ended ("opened 2 times since it ended, last …"), the moment to send a new one.

What counts as an open: the link check `POST /api/demos/<slug>/link` (webcall/embed.py), which the
page's script sends once per load of a page whose URL carries a link (static/js/share-link.js: the
demo page, and the embed page of a link-only demo). The server cannot see the token any other way (it
rides in the URL fragment), so a HEAD, a link unfurler's GET or an old `?link=` URL (only redirected)
count nothing; a check the browser makes while it prefetches or prerenders the page says so
(`Sec-Purpose: prefetch…`) and counts nothing either, nor one over the check's rate limit (refused before
it runs). Only a link the database knows, refused as expired or revoked, is counted: a changed,
forged or foreign token names no link.

Bounded: one row per link (`webcall_link_refusals`, revision 0008): how many opens, the first and the
last; a thousand reloads change three values, never add rows. Nothing about the visitor: no IP, user
agent, referrer or token. Extending a link starts its count again (webcall/link_store.py), so the
count is always of the opens since the link's current end.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Table,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from .calllog import FOLD_ENDED_AFTER, links
from .db import aware, metadata, now
from .links import LinkCheck, LinkStatus
from .metrics import calllog_write_failed

log = logging.getLogger("webcall.links")

refusals = Table(
    "webcall_link_refusals",
    metadata,
    Column(
        "link_id",
        String(32),
        ForeignKey("webcall_links.link_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("opens", Integer, nullable=False),
    Column("first_at", DateTime(timezone=True), nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False),
)

REFUSED = frozenset({LinkStatus.EXPIRED, LinkStatus.REVOKED})


@dataclass(frozen=True)
class RefusedOpens:
    opens: int
    first_at: datetime
    last_at: datetime


def prefetched(headers: Mapping[str, str]) -> bool:
    """The request was made for a page the browser prefetches or prerenders, which nobody has seen
    yet (`Sec-Purpose: prefetch;prerender`, sent with every request of such a page; `Purpose:
    prefetch` is the older name)."""
    return any("prefetch" in headers.get(name, "").lower() for name in ("Sec-Purpose", "Purpose"))


def note_refused_open(engine: Engine, checked: LinkCheck, headers: Mapping[str, str]) -> None:
    """Count a page's refused link check against its link. Never raises: the prospect's notice matters
    more than the count, so a failed write is logged and counted as a failed call-log write."""
    if checked.status not in REFUSED or checked.link is None or prefetched(headers):
        return
    try:
        record(engine, checked.link.link_id)
    except SQLAlchemyError as error:
        calllog_write_failed("link_refusal")
        log.warning(
            "refused open not recorded link_id=%s error=%s", checked.link.link_id, type(error).__name__
        )


def record(engine: Engine, link_id: str, at: datetime | None = None) -> None:
    """One more refused open of `link_id`, if the database knows that link (else nothing)."""
    at = at or now()
    if _count(engine, link_id, at):
        return
    when = literal(at, DateTime(timezone=True))
    # Made from the link's own row, so a link the database does not know gets none.
    first = select(links.c.link_id, literal(1), when, when).where(links.c.link_id == link_id)
    try:
        with engine.begin() as db:
            db.execute(insert(refusals).from_select(["link_id", "opens", "first_at", "last_at"], first))
    except IntegrityError:  # another request made the row first: count on top of it
        _count(engine, link_id, at)


def _count(engine: Engine, link_id: str, at: datetime) -> bool:
    with engine.begin() as db:
        changed = db.execute(
            update(refusals)
            .where(refusals.c.link_id == link_id)
            .values(opens=refusals.c.opens + 1, last_at=at)
        ).rowcount
    return bool(changed)


def lately(tried: RefusedOpens | None) -> bool:
    """Tried within the studio's folding window: such a link stays on /demos however long ago it ended."""
    return tried is not None and tried.last_at >= now() - FOLD_ENDED_AFTER


def refused_opens(engine: Engine) -> dict[str, RefusedOpens]:
    """Every link's refused opens since it ended (link id -> opens), in one read."""
    with engine.connect() as db:
        rows = db.execute(select(refusals)).all()
    return {row.link_id: RefusedOpens(row.opens, aware(row.first_at), aware(row.last_at)) for row in rows}
