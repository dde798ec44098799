"""Failed sign-ins per account: throttle, then lock.

Counted per email as typed (lower-cased), whether or not an account has it: an unknown email is
throttled and locked exactly like a real one, so the answers tell nobody which emails exist.

- From the THROTTLE_AFTER-th failure in a row, the next attempt must wait THROTTLE_SECONDS.
- At LOCK_AFTER failures in a row the email is locked for LOCK_MINUTES; every further failure
  locks it again. A successful sign-in or an admin's password reset clears the count (a reset: the
  account's known browsers' counts too, webcall/known_browsers.py).

Per client IP the sign-in form has its own limit (webcall/sign_in_limit.py). The counts live in the
database, so every worker and instance sees the same ones; a failure is added in one statement, so
failures landing at the same moment all count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    String,
    Table,
    case,
    delete,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from .account_fields import MAX_EMAIL, AccountError, normalize_email
from .db import aware as _aware
from .db import metadata

THROTTLE_AFTER = 3
THROTTLE_SECONDS = 10
LOCK_AFTER = 5
LOCK_MINUTES = 15
FORGET_AFTER = timedelta(days=1)  # failures older than this no longer count

BROWSER_MARK = "#browser:"  # a known browser's key: `<email>#browser:<id>` (webcall/known_browsers.py)
BROWSER_ID_LENGTH = 16


failures = Table(
    "webcall_sign_in_failures",
    metadata,
    Column("email", String(MAX_EMAIL), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("last_failed_at", DateTime(timezone=True), nullable=False),
    Column("locked_until", DateTime(timezone=True), nullable=True),
)


@dataclass(frozen=True)
class Failures:
    count: int
    last_failed_at: datetime
    locked_until: datetime | None


def locked_error(until: datetime, now: datetime) -> AccountError:
    """Said as a wait, not a clock time: the sign-in page does not know the rep's time zone, and "19:43
    UTC" was the one time in the studio not in it. Minutes rounded up, so trying again then works."""
    seconds = max(1, math.ceil((until - now).total_seconds()))
    minutes = math.ceil(seconds / 60)
    return AccountError(
        "account_locked",
        f"This account is locked after {LOCK_AFTER} failed sign-ins. "
        f"It unlocks in {minutes} minute{'s' if minutes != 1 else ''}.",
        "email",
        retry_after=seconds,
    )


class Lockout:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, email: str) -> Failures | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(failures).where(failures.c.email == _key(email))).first()
        if row is None:
            return None
        return Failures(row.count, _aware(row.last_failed_at), _aware(row.locked_until))  # type: ignore[arg-type]

    def check(self, email: str, now: datetime | None = None) -> None:
        """Raise `account_locked` or `throttled` when this email may not try now."""
        now = now or datetime.now(UTC)
        state = self.get(email)
        if state is None or now - state.last_failed_at > FORGET_AFTER:
            return
        if state.locked_until is not None and now < state.locked_until:
            raise locked_error(state.locked_until, now)
        if state.count >= THROTTLE_AFTER:
            wait = state.last_failed_at + timedelta(seconds=THROTTLE_SECONDS) - now
            if wait.total_seconds() > 0:
                seconds = max(1, round(wait.total_seconds()))
                raise AccountError(
                    "throttled",
                    f"Too many failed sign-ins for this account. Try again in {seconds} seconds.",
                    "email",
                    retry_after=seconds,
                )

    def record_failure(self, email: str, now: datetime | None = None) -> Failures:
        """Count one more failure for `email` (the first after a day of none starts again at 1). One
        statement adds it to whatever is stored, so failures landing at the same moment all count: read,
        then written back one higher, they overwrote each other."""
        now = now or datetime.now(UTC)
        key = _key(email)
        counted = case((failures.c.last_failed_at < now - FORGET_AFTER, 1), else_=failures.c.count + 1)
        lock = now + timedelta(minutes=LOCK_MINUTES)
        locked = case((counted >= LOCK_AFTER, literal(lock, failures.c.locked_until.type)), else_=None)
        add_one = (
            update(failures)
            .where(failures.c.email == key)
            .values(count=counted, last_failed_at=now, locked_until=locked)
            .returning(failures.c.count, failures.c.locked_until)
        )
        with self.engine.begin() as connection:
            row = connection.execute(add_one).first()
        if row is None:
            try:
                with self.engine.begin() as connection:
                    # A new row is where the table grows (a stranger's guesses, each a new email): the
                    # rows a day old, forgotten already, go with it; else only a sign-in deleted them.
                    connection.execute(delete(failures).where(failures.c.last_failed_at < now - FORGET_AFTER))
                    connection.execute(insert(failures).values(email=key, count=1, last_failed_at=now))
                return Failures(1, now, None)
            except IntegrityError:  # another request inserted it first: count on top of that one
                with self.engine.begin() as connection:
                    row = connection.execute(add_one).one()
        return Failures(row.count, now, _aware(row.locked_until))

    def clear(self, email: str) -> None:
        """Forget the failures counted under `email`, and under the browsers that signed in to it
        (webcall/known_browsers.py: their keys are `<email>#browser:<id>`; no email has a `#` after its
        `@`). A browser's own key clears only itself."""
        key = _key(email)
        # Where its browsers' keys start, cut as _key cuts them.
        browsers = _key(key + BROWSER_MARK + "0" * BROWSER_ID_LENGTH)[:-BROWSER_ID_LENGTH]
        with self.engine.begin() as connection:
            connection.execute(
                delete(failures).where(
                    or_(failures.c.email == key, failures.c.email.startswith(browsers, autoescape=True))
                )
            )


def _key(email: str) -> str:
    """The row's key, at most the column's MAX_EMAIL characters. A known browser's keeps its browser
    part: cut at its end, the key of a 254-character email's browser was the bare email, and the rep's
    own browser shared the lock strangers ran into."""
    key = normalize_email(email)
    address, mark, browser = key.partition(BROWSER_MARK)
    if mark and len(key) > MAX_EMAIL:
        return address[: MAX_EMAIL - len(mark) - len(browser)] + mark + browser
    return key[:MAX_EMAIL]
