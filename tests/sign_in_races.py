"""Wrong passwords for one email landing at the same moment, on SQLite or on PostgreSQL (one engine or
two instances' engines): every racing request reaches the failures table only once all of them have
come that far, the worst interleaving simultaneous requests can have."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any

from sqlalchemy import event

from tests.starts import at_once
from webcall.lockout import Lockout

TABLE = "webcall_sign_in_failures"


@contextmanager
def _together(engines: Sequence[Any], parties: int) -> Iterator[threading.local]:
    """While open: a thread marked `racing` waits, before its first statement on the failures table,
    until `parties` racing threads have come that far (10 s at most, then it goes on)."""
    barrier = threading.Barrier(parties, timeout=10)
    local = threading.local()

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if getattr(local, "racing", False) and TABLE in statement and not getattr(local, "waited", False):
            local.waited = True
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass  # one never came: the count the test reads shows what happened

    for engine in engines:
        event.listen(engine, "before_cursor_execute", before)
    try:
        yield local
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", before)


def failures_at_once(lockouts: Sequence[Lockout], email: str, parties: int) -> int:
    """One failure recorded for `email`, then `parties` more at the same moment, spread over
    `lockouts` in turn; the count stored afterwards. Anything raised fails here."""
    lockouts[0].record_failure(email)
    engines = list({id(lockout.engine): lockout.engine for lockout in lockouts}.values())
    with _together(engines, parties) as local:

        def fail(lockout: Lockout) -> None:
            local.racing = True
            lockout.record_failure(email)

        raised = at_once(*(partial(fail, lockouts[n % len(lockouts)]) for n in range(parties)))
    assert raised == [None] * parties, raised
    state = lockouts[0].get(email)
    assert state is not None
    return state.count
