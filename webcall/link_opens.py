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

The rep is told, too (webcall/notify.py `on_link_opened_after_end`, by webhook and/or email as they
chose): once per ending, by the open that makes the link's refusal row, in the same transaction; the
2nd…nth open only counts (a stranger reloading a thousand times sends one message), and a link extended
and ended again is told again (its row was deleted). Never for a forged token (no link) or a link
without a row. The open does not wait for a receiver (the delivery is queued after the commit), and a
notification that cannot be written or queued is logged, never the open's failure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_login import current_user
from sqlalchemy import (
    Column,
    Connection,
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

from .db import aware, metadata, now
from .link_rows import FOLD_ENDED_AFTER, links
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


def from_a_rep() -> bool:
    """The request comes from a browser signed in to the studio: a rep trying a link (before sending it,
    or to see what its prospect sees after it ended), not the link's prospect. Its opens and calls are
    not the prospect's: counted on the link they told the rep that the prospect had called, or opened
    the link after it ended (a studio audit). The studio's cookie is SameSite=Lax, so only the app's own
    pages (the demo page, the embed page opened on its own) carry it; a database that cannot say is
    nobody signed in (webcall/studio_unavailable.py)."""
    return bool(current_user and current_user.is_authenticated)


def note_refused_open(engine: Engine, checked: LinkCheck, headers: Mapping[str, str]) -> None:
    """Count a page's refused link check against its link (not a rep's own: `from_a_rep`). Never
    raises: the prospect's notice matters more than the count, so a failed write is logged and counted
    as a failed call-log write."""
    if checked.status not in REFUSED or checked.link is None or prefetched(headers) or from_a_rep():
        return
    from . import notify  # here: notify's imports reach back to the link modules

    try:
        with notify.collecting() as deliveries:
            record(engine, checked.link.link_id, first=_tell_owner)
    except SQLAlchemyError as error:
        calllog_write_failed("link_refusal")
        log.warning(
            "refused open not recorded link_id=%s error=%s", checked.link.link_id, type(error).__name__
        )
        return
    _queue(deliveries)


def _tell_owner(db: Connection, link_id: str) -> None:
    """The first refused open since the link ended: its owner's notification rows (webcall/notify.py),
    in a savepoint, so that one that cannot be written costs the message, not the count."""
    from . import notify

    try:
        with db.begin_nested():
            notify.on_link_opened_after_end(db, link_id)
    except Exception as error:  # a bug here must not fail the prospect's open either
        log.warning("link_open notification not written link_id=%s error=%s", link_id, type(error).__name__)


def _queue(deliveries: list[int]) -> None:
    """Queue the committed rows' deliveries; a queue that is down costs a delay until the sweep."""
    if not deliveries:
        return
    from . import tasks

    try:
        queue = tasks.task_queue(current_app)
    except (KeyError, RuntimeError) as error:  # no queue in this process: the sweep sends them
        log.warning("link_open notification not queued error=%s", type(error).__name__)
        return
    for delivery_id in deliveries:
        queue.enqueue_delivery(delivery_id)  # logs and returns False when the queue is down


def record(
    engine: Engine,
    link_id: str,
    at: datetime | None = None,
    first: Callable[[Connection, str], None] | None = None,
) -> None:
    """One more refused open of `link_id`, if the database knows that link (else nothing). `first` is
    called, in the transaction that makes it, when this open made the link's row (the first since the
    link ended); never for an open counted on top of another's row."""
    at = at or now()
    if _count(engine, link_id, at):
        return
    when = literal(at, DateTime(timezone=True))
    # Made from the link's own row, so a link the database does not know gets none.
    made = select(links.c.link_id, literal(1), when, when).where(links.c.link_id == link_id)
    try:
        with engine.begin() as db:
            rows = db.execute(
                insert(refusals).from_select(["link_id", "opens", "first_at", "last_at"], made)
            ).rowcount
            if rows and first is not None:
                first(db, link_id)
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
