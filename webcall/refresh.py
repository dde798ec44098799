"""Completing open calls in the call log from itellico, off the request path.

`/demos` shows each call's status and duration, which only itellico knows until the browser reads
its summary. Asking is slow when itellico is (each look-up may wait up to ITELLICOAI_TIMEOUT_SECONDS,
one after another), so the page never waits for more than REFRESH_BUDGET_SECONDS in all: the
look-ups run in one background thread per app and process, the page waits for it up to the budget
and shows what is known by then; whatever finishes later is there on the next view. While one
refresh runs, no second one starts, so a hung itellico cannot pile up threads.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from .itellico import UpstreamError
from .metrics import calllog_write_failed
from .services import EXTENSION, Services

log = logging.getLogger("webcall.sales")

REFRESH_BUDGET_SECONDS = 2.0
_KEY = "webcall.call_refresher"


class CallRefresher:
    def __init__(self, app: Flask) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def refresh(self, budget_seconds: float = REFRESH_BUDGET_SECONDS) -> None:
        """Start a refresh unless one is running, and wait for it at most `budget_seconds`."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="webcall-call-refresh", daemon=True)
                self._thread.start()
            thread = self._thread
        thread.join(budget_seconds)

    def _run(self) -> None:
        svc: Services = self._app.extensions[EXTENSION]

        def fetch(call_id: str) -> tuple[str, int | None]:
            details = svc.itellico.get_call(call_id)
            return details.status, details.duration_seconds

        try:
            svc.calllog.refresh_open(fetch)
        except (SQLAlchemyError, UpstreamError) as error:
            if isinstance(error, SQLAlchemyError):
                calllog_write_failed("refresh")
            log.warning("calllog.refresh failed: %s", type(error).__name__)


def refresher(app: Flask) -> CallRefresher:
    found = app.extensions.get(_KEY)
    if found is None:
        found = app.extensions.setdefault(_KEY, CallRefresher(app))
    return found
