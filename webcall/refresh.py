"""The fallback for calls still open in the call log: ask itellico's `GET call`, in the background.

itellico's webhooks (webcall/webhooks.py) complete calls as they end; a webhook that never comes (not
set up, or the app was unreachable) would leave a call open, so a periodic task of the worker
(webcall/tasks.py, every WEBCALL_REFRESH_MINUTES) asks about the newest open calls, bounded as
`CallLog.refresh_open` is (at most 20 calls, 24 hours back, a few seconds). No page view ever waits
for itellico: `/demos` shows what the call log knows.
"""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from .db_wait import described
from .metrics import calllog_write_failed
from .services import EXTENSION, Services

log = logging.getLogger("webcall.sales")


def refresh_open_calls(app: Flask) -> int:
    """Complete open calls from GET call; returns how many were updated (0 on any trouble)."""
    svc: Services = app.extensions[EXTENSION]

    def fetch(call_id: str) -> tuple[str, int | None]:
        details = svc.itellico.get_call(call_id)
        return details.status, details.duration_seconds

    try:
        with app.app_context():
            # Each call's failed write is counted (and logged) on its own; the others go on.
            return svc.calllog.refresh_open(
                fetch, on_write_failure=lambda _id: calllog_write_failed("refresh")
            )
    except SQLAlchemyError as error:
        # The read of the open calls (the database down): no write was lost, so none is counted.
        log.warning("calllog.refresh failed: %s", described(error))
        return 0
