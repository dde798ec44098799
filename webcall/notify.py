"""Rep notifications (issue 15's "Out" part): when a prospect's call from a rep's link ends, and again
when itellico's analysis of it is ready, the link's owner hears about it by outgoing webhook and/or
email, per their preferences (docs/notifications.md).

`on_call_ended` and `on_call_analysed` are each called exactly once per call: inside the transaction
that applies the call's first `conversation.ended` (or first `conversation.analysis.completed`) webhook
and marks it (`webcall_calls.ended_event_at`, `analysis_at`; webcall/webhook_work.py), so a retried or
duplicate event, or a worker killed mid-way, never calls them twice or loses one; the two kinds are
independent, so an analysis that comes before the end changes neither. They talk to no network: they
write one delivery row per channel and kind on `db` (webcall/notification_store.py; its unique
(call, kind, channel) is the last guard against a double) and note the rows' ids for the task queue,
which queues them only after that transaction committed (`collecting`, used by webcall/tasks.py): a
task never looks for a row that is not there yet.

`attempt` is what the delivery task runs: claim the row, send it (webcall/notification_send.py), write
the outcome, and say when to try again; while the delivery's lane is full (the same rep's webhook
being tried, or two emails: webcall/notification_lanes.py) it waits without holding a worker
thread. Calls without a link, or whose link has no owner with an account, notify nobody; a rep who
unticked "also when analysed" gets the `ended` one only. `on_link_opened_after_end` is the same for
a share link a prospect opened after it ended (webcall/link_opens.py calls it once per ending): kind
`opened_after_end`, no call.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import Connection, Engine, Row, select

from . import metrics
from .accounts import link_owner, users
from .calllog import calls
from .db_wait import UNAVAILABLE
from .link_rows import links
from .notification_lanes import lane_of, lanes
from .notification_prefs_store import Prefs, get_prefs
from .notification_send import Failure, host_of, post_webhook, send_email
from .notification_store import Delivery, add, claim, finish, get, postpone, unclaim
from .notification_text import Notice, call_notice, link_notice, test_notice
from .prospect_lines import prospect_lines
from .services import EXTENSION
from .settings import Settings

log = logging.getLogger("webcall.notifications")

_new_rows: ContextVar[list[int] | None] = ContextVar("webcall_notify_new_rows", default=None)


@contextmanager
def collecting() -> Iterator[list[int]]:
    """Collect the ids of delivery rows written inside the block (queue them once it committed)."""
    rows: list[int] = []
    token = _new_rows.set(rows)
    try:
        yield rows
    finally:
        _new_rows.reset(token)


def email_on() -> bool:
    """Whether this server sends email (SMTP is set up): without it an email row could only fail, so
    neither a call nor a test writes one; the preferences page says email is off."""
    if not has_app_context() or EXTENSION not in current_app.extensions:
        return True
    return bool(current_app.extensions[EXTENSION].settings.smtp_host)


def on_call_ended(db: Connection, call_id: str) -> None:
    """A call in our log has ended (webhook): a delivery row per channel its link's owner chose."""
    _on_call(db, call_id, "ended")


def on_call_analysed(db: Connection, call_id: str) -> None:
    """itellico's analysis of a call in our log is ready (webhook): the same, unless the owner said no."""
    _on_call(db, call_id, "analysed")


def _on_call(db: Connection, call_id: str, kind: str) -> None:
    of_call = select(links.c.owner).join(calls, calls.c.link_id == links.c.link_id)
    owner = link_owner(db, db.execute(of_call.where(calls.c.call_id == call_id)).scalar())
    if owner is None:
        return
    chosen = get_prefs(db, owner.id)
    if kind == "analysed" and not chosen.analysis_on:
        return
    _write(db, owner, chosen, kind, call_id=call_id)


def on_link_opened_after_end(db: Connection, link_id: str) -> None:
    """A prospect opened a share link after it expired or was revoked, for the first time since it
    ended (webcall/link_opens.py calls this once per ending, in the transaction that made the link's
    refusal row): a delivery row per channel of the link's owner, unless they unticked it. Nobody for
    a link whose owner is no account ("cli", "web") or a disabled one (accounts.link_owner)."""
    owner = link_owner(db, db.execute(select(links.c.owner).where(links.c.link_id == link_id)).scalar())
    if owner is None:
        return
    chosen = get_prefs(db, owner.id)
    if chosen.link_opens_on:
        _write(db, owner, chosen, "opened_after_end", link_id=link_id)


def _write(
    db: Connection,
    owner: Row,
    chosen: Prefs,
    kind: str,
    call_id: str | None = None,
    link_id: str | None = None,
) -> None:
    for channel, target in chosen.targets(owner.email if email_on() else None).items():
        if target is None:
            continue
        row = add(
            db,
            call_id=call_id,
            link_id=link_id,
            kind=kind,
            channel=channel,
            account_id=owner.id,
            target=target,
        )
        if row is not None:
            log.info(
                "notification.queued delivery=%s kind=%s channel=%s account=%s", row, kind, channel, owner.id
            )
            if (collected := _new_rows.get()) is not None:
                collected.append(row)


def lease(settings: Settings) -> timedelta:
    """How long a claim holds: longer than any one attempt (itellico's GET call for the prospect's
    lines, within ITELLICOAI_TIMEOUT_SECONDS, then a webhook within the notification timeout, or an
    email within EMAIL_TIMEOUTS of it: webcall/notification_send.py)."""
    return timedelta(seconds=settings.create_timeout_seconds + settings.notify_timeout_seconds * 4 + 30)


# While a lane is full (webcall/notification_lanes.py), a delivery in it waits this long (its row is
# postponed, no attempt counted) and is tried again: the attempt ahead of it ends within
# WEBCALL_NOTIFY_TIMEOUT_SECONDS.
BUSY_DELAY = timedelta(seconds=5)


def attempt(engine: Engine, settings: Settings, delivery_id: int) -> tuple[str, timedelta | None]:
    """One try at a delivery: its status afterwards (or `skipped` when it was not ours to try: sent,
    failed, not due, or claimed by another attempt; `busy` when its lane is full: postponed by
    BUSY_DELAY, no attempt counted) and the delay before the next try, if any."""
    ahead = get(engine, delivery_id)
    if ahead is None or ahead.status != "pending":
        return "skipped", None
    lane, width = lane_of(ahead)
    if not lanes.enter(lane, width):
        return ("busy", BUSY_DELAY) if postpone(engine, delivery_id, BUSY_DELAY) else ("skipped", None)
    try:
        return _attempt(engine, settings, delivery_id)
    finally:
        lanes.leave(lane)


def _attempt(engine: Engine, settings: Settings, delivery_id: int) -> tuple[str, timedelta | None]:
    delivery = claim(engine, delivery_id, lease(settings))
    if delivery is None:
        return "skipped", None
    try:
        failure = _send(engine, settings, delivery)
    except UNAVAILABLE:
        # The database (reading the rep's target or the call), neither the receiver nor a bug, and
        # nothing was sent: the attempt is given back. The task's rule (webcall/tasks.py) says so in
        # one line, and the sweep queues the delivery again.
        unclaim(engine, delivery)
        raise
    except Exception as error:  # a bug, not the receiver: a failed attempt (bounded), not a claim to lapse
        # Its type only: a message or traceback may quote the webhook's URL, whose path is a secret.
        log.error("notification.error delivery=%s error=%s", delivery.id, type(error).__name__)
        failure = Failure("internal_error")
    if failure is None:
        status, delay = finish(engine, delivery, None)
    else:
        status, delay = finish(engine, delivery, failure.code, retry=failure.retry)
    outcome = "sent" if status == "sent" else "retry" if delay else "failed"
    metrics.notification(delivery.channel, outcome)
    log.info(
        "notification.%s delivery=%s channel=%s target_host=%s attempt=%d error=%s",
        outcome,
        delivery.id,
        delivery.channel,
        host_of(delivery.target) if delivery.channel == "webhook" else "smtp",  # never the URL's path
        delivery.attempts,
        failure.code if failure else "-",
    )
    return status, delay


def call_page(settings: Settings, call_id: str | None) -> str | None:
    """The call's studio page as a full address, or None without WEBCALL_PUBLIC_URL: the worker has
    no request to take one from, and a bare path is a link to nowhere in Slack or a mail client."""
    return f"{settings.public_url}/demos/calls/{call_id}" if settings.public_url and call_id else None


def _notice(engine: Engine, settings: Settings, delivery: Delivery) -> Notice | None:
    uid = delivery.uid or ""  # a claimed row has one (notification_store.claim)
    if delivery.kind == "test":
        return test_notice(delivery.id, uid)
    if delivery.kind == "opened_after_end":
        return _link_notice(engine, settings, delivery, uid)
    with engine.connect() as db:
        row = db.execute(
            select(calls, links.c.label)
            .select_from(calls.outerjoin(links, links.c.link_id == calls.c.link_id))
            .where(calls.c.call_id == delivery.call_id)
        ).first()
    if row is None:
        return None
    return call_notice(
        delivery_id=delivery.id,
        delivery_uid=uid,
        kind=delivery.kind,
        call=dict(row._mapping),
        link_label=row.label,
        call_url=call_page(settings, delivery.call_id),
        prospect_lines=prospect_lines(row.call_id, row.demo, row.first_message)
        if delivery.kind == "ended"
        else None,
    )


def _link_notice(engine: Engine, settings: Settings, delivery: Delivery, uid: str) -> Notice | None:
    with engine.connect() as db:
        link = db.execute(select(links).where(links.c.link_id == delivery.link_id)).first()
    if link is None:  # deleted meanwhile
        return None
    # The studio's links page, at the link's row (its Extend is there); a full address, as call_page.
    studio = f"{settings.public_url}/demos#link-{link.link_id}" if settings.public_url else None
    return link_notice(
        delivery_id=delivery.id,
        delivery_uid=uid,
        link_id=link.link_id,
        label=link.label,
        demo=link.demo,
        ended="revoked" if link.revoked_at is not None else "expired",
        studio_url=studio,
    )


def _current_target(engine: Engine, delivery: Delivery) -> str | Failure:
    """Where this attempt goes: the rep's target now, not the one copied into the row when it was
    written (a rep who fixed a dead URL saw the old one retried; a disabled rep still got retries)."""
    with engine.connect() as db:
        rep = db.execute(
            select(users.c.email, users.c.disabled).where(users.c.id == delivery.account_id)
        ).first()
        if rep is None or rep.disabled:
            return Failure("rep_disabled", retry=False)
        chosen = get_prefs(db, delivery.account_id)
    target = chosen.targets(rep.email)[delivery.channel]
    return target if target else Failure("channel_off", retry=False)


def _send(engine: Engine, settings: Settings, delivery: Delivery) -> Failure | None:
    target = _current_target(engine, delivery)
    if isinstance(target, Failure):
        return target
    notice = _notice(engine, settings, delivery)
    if notice is None:
        return Failure("no_call", retry=False)
    if delivery.channel == "webhook":
        return post_webhook(settings, target, notice)
    return send_email(settings, target, notice)
