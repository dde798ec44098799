"""The lanes of rep notification attempts (webcall/notify.py `attempt`): which lane a delivery goes in,
how wide it is, and how many attempts of each this process has under way."""

from __future__ import annotations

import threading
from collections import Counter

from .notification_store import Delivery

EMAIL_LANE_WIDTH = 2


class Lanes:
    """How many attempts of each lane this process has under way. A rep's webhook is a lane of one:
    a receiver that never answers holds one of the worker's threads, not all of them (its other
    deliveries wait their turn, not in a thread). Email is one lane of EMAIL_LANE_WIDTH: every rep's
    email goes to the one SMTP server, and one that stalls must not take every thread either."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._busy: Counter[tuple[str, int]] = Counter()

    def enter(self, lane: tuple[str, int], width: int) -> bool:
        with self._lock:
            if self._busy[lane] >= width:
                return False
            self._busy[lane] += 1
            return True

    def leave(self, lane: tuple[str, int]) -> None:
        with self._lock:
            self._busy[lane] -= 1
            if not self._busy[lane]:
                del self._busy[lane]


# The process's one count: every delivery task of this worker process goes through it.
lanes = Lanes()


def lane_of(delivery: Delivery) -> tuple[tuple[str, int], int]:
    """The delivery's lane and its width: every email in one, each rep's webhook in its own."""
    if delivery.channel == "email":
        return ("email", 0), EMAIL_LANE_WIDTH
    return (delivery.channel, delivery.account_id), 1
