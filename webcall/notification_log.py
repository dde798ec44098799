"""`/demos/deliveries` (admins only; a rep gets 403, a visitor the sign-in page): the newest rep
notifications with when, whose, which channel, where (a webhook's host only: the path of a Slack
URL is its secret; an email's address), status, attempts and the last error code."""

from __future__ import annotations

from flask import Blueprint, render_template

from .auth import admin_required, register_off_handler
from .demo_page import private_headers
from .notification_send import shown_target
from .notification_store import recent
from .services import services

bp = Blueprint("deliveries", __name__)
bp.after_request(private_headers)
register_off_handler(bp)

SHOWN = 200


@bp.get("/demos/deliveries")
@admin_required
def deliveries() -> tuple[str, int]:
    rows = [
        {
            "delivery": delivery,
            "rep": rep or f"account {delivery.account_id}",
            "target": shown_target(delivery.channel, delivery.target),
        }
        for delivery, rep in recent(services().calllog.engine, SHOWN)
    ]
    return render_template("demos_deliveries.html", rows=rows, shown=SHOWN), 200
