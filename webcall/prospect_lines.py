"""What the prospect said in a call, as the rep's notification tells it: how many lines (never the
words), read from itellico's `GET call` when the notification is sent (the app stores nothing of a
conversation), and which line is the demo's first message (`initial_text`), sent for the visitor and
returned as their first line, not something they said (the call's page labels it by the same rule:
webcall/studio_calls.py)."""

from __future__ import annotations

import hashlib
import logging
import re

from flask import current_app, has_app_context

from .itellico_errors import UpstreamError
from .services import EXTENSION

log = logging.getLogger("webcall.notifications")


def prospect_lines(call_id: str, demo: str | None = None, mark: str | None = None) -> int | None:
    """How many lines the prospect said in the call (not blank), from itellico's `GET call` as the
    call's page reads it: the app stores nothing of a conversation. None when itellico cannot tell
    now: the notification then goes without it, never later for it. The demo's first message
    (`initial_text`) is sent for the visitor and is in the transcript as their first line: it is not
    something they said, so a call in which they said nothing was told as "the prospect spoke"."""
    if not has_app_context() or EXTENSION not in current_app.extensions:
        return None
    svc = current_app.extensions[EXTENSION]
    try:
        details = svc.itellico.get_call(call_id)
    except UpstreamError as error:
        log.info("notification.no_transcript call_id=%s upstream=%s", call_id, error.kind.value)
        return None
    said = [m.message for m in details.messages if m.role == "user" and m.message.strip()]
    profile = svc.demos.get(demo) if demo else None
    first = profile.initial_text if profile is not None and profile.slug == demo else None
    if said and is_calls_first_message(said[0], mark, first):
        said = said[1:]
    return len(said)


def first_message_mark(text: str | None) -> str:
    """What the call log keeps of the first message a create sent (`mark`): a digest of it, spacing aside,
    "" for none; never the words (the app stores nothing of a conversation)."""
    spaced = " ".join((text or "").split())
    return hashlib.sha256(spaced.encode()).hexdigest() if spaced else ""


def is_calls_first_message(line: str, mark: str | None, demo_text: str | None) -> bool:
    """Whether `line`, a call's first line from the prospect's side, is the first message its create sent
    for the visitor: by the call's `mark`, which knows a host page's own `initial_text` (it was shown as
    the prospect's words: a studio audit), or the demo's own read back with its variables filled in; for a
    call logged before the mark (None), by the demo's first message as it is now."""
    if mark is None:  # logged before revision 0011
        return bool(demo_text) and is_first_message(line, demo_text or "")
    if not mark:  # the create sent no first message
        return False
    # The demo's own, sent as it is, is read back with its variables filled in or not.
    sent_the_demos = bool(demo_text) and first_message_mark(demo_text) == mark
    return first_message_mark(line) == mark or (sent_the_demos and is_first_message(line, demo_text or ""))


# The parts of a first message that itellico may fill in before the agent reads it (Jinja2 variables
# and tags, as in an agent's greeting): either way the line is the one sent for the visitor.
_TEMPLATE_PART = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


def is_first_message(line: str, initial_text: str) -> bool:
    """Whether a transcript line is the call's first message (`initial_text`) as sent, or with its
    variables filled in; spacing aside."""
    line = " ".join(line.split())
    parts = [re.escape(" ".join(part.split())) for part in _TEMPLATE_PART.split(initial_text.strip())]
    return re.fullmatch(".*?".join(parts), line, re.DOTALL) is not None
