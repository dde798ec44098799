"""What one rep notification says: a Slack-compatible `text`, an email subject, and structured fields
for the webhook's JSON body (webcall/notification_send.py sends it).

Never the prospect's words: the message goes to a Slack channel or a mailbox, often shared and kept for
years; the transcript stays behind the studio's sign-in (the call's page).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .formatting import quoted


@dataclass(frozen=True)
class Notice:
    subject: str
    text: str  # Slack's `text`; the email's body starts with it
    fields: dict[str, Any]
    # The text without its "Details: <call_url>" ending, for the HTML email (its link is a button
    # there); empty when the text has no such ending.
    summary: str = ""

    def json_body(self) -> bytes:
        # Slack reads <…> in `text` as a mention or link (a label "<!channel>" pinged the channel) and
        # asks for exactly these three escaped; the structured fields stay as typed.
        slack_text = self.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return json.dumps({"text": slack_text, **self.fields}, separators=(",", ":")).encode()


def duration_text(seconds: int | None) -> str:
    if seconds is None:
        return "duration unknown"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def prospect_said(lines: int | None) -> str:
    """The `ended` text's note on the prospect's part: nothing when it is not known."""
    if lines is None:
        return ""
    if lines == 0:
        return "; the prospect said nothing"
    return f"; the prospect spoke ({lines} line{'' if lines == 1 else 's'})"


def call_notice(
    *,
    delivery_id: int,
    delivery_uid: str,
    call: dict[str, Any],
    link_label: str | None,
    call_url: str | None,
    kind: str = "ended",
    prospect_lines: int | None = None,
) -> Notice:
    """What a call's notification says: `ended` (its status and duration, and how many lines the
    prospect said, when known: a call they only listened to must not read like a conversation) or
    `analysed`. itellico's docs describe no field of the analysis event's payload (no summary), so that
    one says the analysis is ready and links the call. Never the prospect's words: the message goes to
    a Slack channel or a mailbox, the transcript stays behind the studio's sign-in (the call's page)."""
    # A label is a rep's text: one line here (in an email's Subject a line break is refused, and must
    # never start a header of its own).
    label = " ".join(str(link_label or call.get("link_id") or "no label").split())
    where = f"Your prospect's call on demo {call['demo']} (link {quoted(label)})"
    fields: dict[str, Any] = {
        "event": f"call.{kind}",
        "delivery_id": delivery_id,
        "delivery_uid": delivery_uid,
        "call_id": call["call_id"],
        "demo": call["demo"],
        "link_id": call.get("link_id"),
        "link_label": link_label,
    }
    details = call_url or f"the studio's Calls page, call {call['call_id']}."
    if kind == "analysed":
        summary = f"{where} was analysed: analysis ready."
        subject = f"Call analysed: {call['demo']} · {label}"
    else:
        status = call.get("status") or "completed"
        facts = f"{status}, {duration_text(call.get('duration_seconds'))}{prospect_said(prospect_lines)}"
        summary = f"{where} ended: {facts}."
        silent = ", the prospect said nothing" if prospect_lines == 0 else ""
        subject = f"Call ended{silent}: {call['demo']} · {label}"
        fields.update(
            status=status,
            duration_seconds=call.get("duration_seconds"),
            prospect_spoke=None if prospect_lines is None else prospect_lines > 0,
            prospect_lines=prospect_lines,
        )
    return Notice(
        subject=subject,
        text=f"{summary} Details: {details}",
        fields={**fields, "call_url": call_url},
        summary=summary if call_url else "",
    )


def link_notice(
    *,
    delivery_id: int,
    delivery_uid: str,
    link_id: str,
    label: str | None,
    demo: str,
    ended: str,
    studio_url: str | None,
) -> Notice:
    """What a rep hears when a prospect opened one of their links after it ended (`ended`: `expired` or
    `revoked`): the moment to extend it or send a new one, with the studio's links page where they can.
    Nothing about the visitor (no address, no browser): the rep's label says who the link was for."""
    who = " ".join(str(label or link_id).split())  # one line, as the call notices' label
    # A revoked link cannot be extended (webcall/link_store.py): only a new link helps there.
    if ended == "revoked":
        summary = f"{who} opened the demo link after it was revoked — send a new one if they should have it."
    else:
        summary = f"{who} opened the demo link after it expired — extend it or send a new one."
    fields: dict[str, Any] = {
        "event": "link.opened_after_end",
        "delivery_id": delivery_id,
        "delivery_uid": delivery_uid,
        "demo": demo,
        "link_id": link_id,
        "link_label": label,
        "ended": ended,
        "studio_url": studio_url,
    }
    where = studio_url or f"the studio's Demos page, link {link_id}."
    return Notice(
        subject=f"Ended link opened: {demo} · {who}",
        text=f"{summary} Studio: {where}",
        fields=fields,
        summary=summary if studio_url else "",
    )


def test_notice(delivery_id: int, delivery_uid: str) -> Notice:
    text = "Test notification from itellico web-call: your prospects' calls will be announced here."
    fields = {"event": "test", "delivery_id": delivery_id, "delivery_uid": delivery_uid}
    return Notice(subject="Test notification", text=text, fields=fields)
