"""The address a page drawn from a POST has as a plain visit, for the browser's history entry.

Chromium's Back into a page that answered a POST (a refused sign-in, a demo saved with a mistake, a
refused share link, an admin's refused change) showed "Confirm Form Resubmission", and a reload posted
the form again. templates/base.html names this address on such a page and static/js/pages/posted.js
makes it the page's history entry, so Back and reload open that page as a visit (what it stores now:
the refused form's text is gone by then, as after any visit elsewhere).
"""

from __future__ import annotations

from flask import current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect


def history_address(visit_address: str | None = None) -> str | None:
    """For a POST's answer: its own address when a visit (GET) opens it (the editor, sign-in), else
    the `visit_address` its template names (the studio's index answers a refused share link posted to
    /demos/<slug>/links: `{% set visit_address = ... %}` before it extends), else None (nothing is
    replaced). None for any other method."""
    if request.method != "POST":
        return None
    try:
        current_app.url_map.bind(request.host).match(request.path, method="GET")
    except (HTTPException, RequestRedirect):
        return visit_address
    return request.path  # without its query: a crafted `next` is not echoed into the page
