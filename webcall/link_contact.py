"""Whom the holder of a share link can ask: the rep who owns the link, named in the link check's answer.

A prospect whose link expired or was withdrawn read "ask your contact" and was at a dead end; after a
call nothing said whom to write to. The link check (`POST /api/demos/<slug>/link`, webcall/embed.py)
now answers `contact: {name, email, subject}` for a genuinely signed link (valid, expired or revoked:
`ShareLinks.check` has verified the signature; a forged token never reaches here). The holder received
the link from that rep, so the rep's own name and email tell them nothing new. Nobody is named for a
link without a row, a row whose owner is no account ("cli", "web" before reps signed in), or an owner
account that is disabled or gone. The owner comes with the check (`LinkCheck.owner`, from the row the
check read): the link's row is not read a second time.

A link-only demo names nothing without a valid link (docs/security.md), and an expired or revoked link
is not one: a leaked link the rep revoked stays in whoever's hands it leaked to. Its subject then names
neither the company nor the title ("New demo link"); the rep's name and email stay, so its genuine
holder can still ask for a new link.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from .accounts import Accounts, link_owner
from .demo_page import page_text
from .demos import DemoProfile
from .links import LinkCheck, LinkStatus

log = logging.getLogger("webcall.links")

# The mail's subject (PAGE_TEXT) by what the prospect is likely to write about.
SUBJECTS = {
    LinkStatus.VALID: "contact.subject_questions",
    LinkStatus.EXPIRED: "contact.subject_new_link",
    LinkStatus.REVOKED: "contact.subject_new_link",
}


def link_contact(checked: LinkCheck, demo: DemoProfile, accounts: Accounts) -> dict | None:
    """`{name, email, subject}` of the rep who owns the checked link (the check read it from the link's
    row), or None (see the module's doc)."""
    if checked.link is None or checked.status not in SUBJECTS:
        return None
    try:
        with accounts.engine.connect() as db:
            account = link_owner(db, checked.owner)
    except SQLAlchemyError as error:  # the page and its notice matter more than the name on it
        log.warning("link contact not read link_id=%s error=%s", checked.link.link_id, type(error).__name__)
        return None
    if account is None:
        return None
    return {"name": account.name, "email": account.email, "subject": _subject(checked, demo)}


def _subject(checked: LinkCheck, demo: DemoProfile) -> str:
    text = page_text(demo.language)
    if demo.link_only and checked.status is not LinkStatus.VALID:  # no company, no title
        return text["contact.subject_new_link_unnamed"]
    about = demo.brand.company if demo.brand else demo.title
    return text[SUBJECTS[checked.status]].format(demo=about)
