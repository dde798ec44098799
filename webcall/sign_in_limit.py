"""The sign-in's per-IP limit, held for requests that arrive together, and the password checks that run
at once.

Per client IP, sign-in POSTs that do not sign in are limited to SIGN_IN_LIMIT (webcall/ratelimit.py).
Flask-Limiter's `deduct_when` tests a limit when a request arrives and counts it once the view has
answered, so guesses sent at the same moment all passed the test before any of them counted (an audit
saw 16 of 16 checked). Here each POST takes its place in the limit's moving window when it arrives, in
one atomic step of the limiter's storage (memory, or Redis shared by every instance: `acquire_entry`),
and a POST that signs in gives its place back by being counted in a second window. A POST may go on
while the places taken (its own too) less the places given back are at most the limit.

A place is given back when the sign-in has ended, a moment after it was taken. The given-back window is
GIVE_BACK_MARGIN seconds shorter, so a given-back place stops counting before its place does and never
frees one that no longer counts; a sign-in slower than the margin keeps its place (it counts as a
failure would). Places given back are counted up to GIVE_BACK_CAP per window.

The password check (argon2id: 64 MiB and about half a second each) runs at most `verifying`'s slots at
a time per process; a sign-in that gets no slot within VERIFY_WAIT_SECONDS is answered like a rate
limit (`busy`, 429) and gives its place back (no password was checked).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import g
from limits import RateLimitItem, parse_many

from .account_fields import AccountError
from .ratelimit import SIGN_IN_LIMIT, client_ip, in_limit_storage, limiter

GIVE_BACK_MARGIN = 5  # seconds
GIVE_BACK_CAP = 1000
VERIFY_SLOTS = 2  # argon2id's 64 MiB each: two per process at most
VERIFY_WAIT_SECONDS = 2.0
BUSY_RETRY_SECONDS = 2
verifying = threading.BoundedSemaphore(VERIFY_SLOTS)

_KEY_PREFIX = "webcall"  # the Limiter's own (webcall/ratelimit.py)
_ARRIVED = "sign_in_arrived"


def take_place() -> int | None:
    """Take this sign-in POST's place under every limit of SIGN_IN_LIMIT for the client's IP: None,
    or the seconds until a place frees when the limit is full."""
    if not limiter.enabled:
        return None
    refused = in_limit_storage(_take, "sign-in limit")
    if refused is None:
        g.setdefault(_ARRIVED, time.monotonic())
    return refused


def give_back() -> None:
    """This POST signed in (or checked no password): its place no longer counts."""
    arrived = g.pop(_ARRIVED, None)
    if arrived is None or time.monotonic() - arrived >= GIVE_BACK_MARGIN:
        return
    in_limit_storage(_give_back)


@contextmanager
def verification_slot() -> Iterator[None]:
    """One of this process's password-check slots while inside, or AccountError `busy`."""
    if not verifying.acquire(timeout=VERIFY_WAIT_SECONDS):
        raise AccountError(
            "busy",
            f"Too many sign-ins at this moment. Try again in {BUSY_RETRY_SECONDS} seconds.",
            "password",
            retry_after=BUSY_RETRY_SECONDS,
        )
    try:
        yield
    finally:
        verifying.release()


def _keys(item: RateLimitItem) -> tuple[str, str]:
    ip = client_ip()
    return item.key_for(_KEY_PREFIX, ip, "sign-in"), item.key_for(_KEY_PREFIX, ip, "sign-in-given-back")


def _take(storage: Any) -> int | None:
    for item in parse_many(SIGN_IN_LIMIT):
        taken, given_back = _keys(item)
        expiry = item.get_expiry()
        back = storage.get_moving_window(given_back, GIVE_BACK_CAP, expiry - GIVE_BACK_MARGIN)[1]
        if not storage.acquire_entry(taken, item.amount + back, expiry):
            oldest = storage.get_moving_window(taken, item.amount + back, expiry)[0]
            return min(max(1, math.ceil(oldest + expiry - time.time())), expiry)
    return None


def _give_back(storage: Any) -> None:
    for item in parse_many(SIGN_IN_LIMIT):
        storage.acquire_entry(_keys(item)[1], GIVE_BACK_CAP, item.get_expiry())
