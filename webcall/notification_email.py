"""A rep's notification as an email (webcall/notification_send.py sends it): multipart/alternative, the
plain text (the notice's text, then each field) and an HTML part with the same facts, the call's page
as a button-like link (templates/notification_email.html).

The HTML fetches nothing (no images, no fonts, no style sheets: a mail client that loads remote content
would tell the sender the rep opened it) and tracks nothing; its styles are inline, as mail clients keep
only those, and its colours are fixed (dark text on white, white on a dark blue button; each pair above
the 4.5:1 contrast of WCAG AA). A link label is a rep's text: the template escapes everything
(autoescape), so `<script>` in one is shown, never run or read as markup.
"""

from __future__ import annotations

import email.utils
import functools
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from .notification_text import Notice, duration_text
from .settings import Settings

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@functools.cache
def _templates() -> Environment:
    # Its own environment, not Flask's: the task worker sends without a request or app context.
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def compose(settings: Settings, to: str, notice: Notice) -> EmailMessage:
    """The message to send; ValueError when a header cannot be written (a line break in one)."""
    message = EmailMessage()
    message["From"] = settings.smtp_from or ""
    message["To"] = to
    message["Subject"] = notice.subject
    # Required of every message (RFC 5322), and added by a relay only for its own local clients:
    # Gmail refuses a message without a Message-ID. Its domain is the sender's, not this host's name.
    message["Date"] = email.utils.format_datetime(datetime.now(UTC))
    # The delivery's uid: a repeat of it (at least once) is the same message, which mail clients show once.
    domain = (settings.smtp_from or "").rpartition("@")[2]
    uid = notice.fields.get("delivery_uid")
    message["Message-ID"] = f"<{uid}@{domain}>" if uid else email.utils.make_msgid(domain=domain)
    lines = [notice.text, ""] + [f"{k}: {v}" for k, v in notice.fields.items() if v is not None]
    message.set_content("\n".join(lines))
    message.add_alternative(html(notice), subtype="html")
    return message


def html(notice: Notice) -> str:
    # A call's page, or for an ended link's open the studio's links page (its Extend is there).
    call_url = notice.fields.get("call_url")
    url = call_url or notice.fields.get("studio_url")
    template = _templates().get_template("notification_email.html")
    return template.render(
        subject=notice.subject,
        # With a link, the sentence without its "Details: <address>" (the button says it); without one,
        # the whole text, which names the call instead.
        sentence=notice.summary if url and notice.summary else notice.text,
        call_url=url,
        button="Open the call" if call_url else "Open the studio",
        facts=facts(notice.fields),
    )


def facts(fields: dict[str, Any]) -> list[tuple[str, str]]:
    """The notice's fields as a reader's rows (label, value): those it has, in the plain part's order."""
    rows: list[tuple[str, str]] = []
    if fields.get("demo"):
        rows.append(("Demo", str(fields["demo"])))
    if fields.get("link_label") or fields.get("link_id"):
        rows.append(("Link", str(fields.get("link_label") or fields["link_id"])))
    if fields.get("status"):
        rows.append(("Status", str(fields["status"])))
    if "duration_seconds" in fields:
        rows.append(("Duration", duration_text(fields["duration_seconds"])))
    lines = fields.get("prospect_lines")
    if lines is not None:
        spoke = f"spoke ({lines} line{'' if lines == 1 else 's'})"
        rows.append(("Prospect", "said nothing" if lines == 0 else spoke))
    if fields.get("call_id"):
        rows.append(("Call", str(fields["call_id"])))
    if fields.get("delivery_id") is not None:
        rows.append(("Delivery", str(fields["delivery_id"])))
    return rows
