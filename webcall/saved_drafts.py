"""Which of the demo editor's drafts this browser saved: the editor offers the others back.

The editor keeps what a rep types in the tab (static/js/pages/editor-draft.js) under an id of the page
visit, and posts that id with a save. The page the save lands on used to clear the draft; when its
script never ran (the rep left it at once on a slow phone, or the script failed to load), the next
visit offered saved changes back as "not saved". So the server says which drafts were saved, in a
cookie it answers the save with, and every editor page names them (`data-saved-drafts`): any later
visit drops such a draft instead of offering it.

The cookie holds random ids, nothing else. It lives as long as the browser's session, as the drafts
do (sessionStorage), and survives signing out and in, which a save's draft may also (a session that
ended mid-save). Unsigned on purpose: a forged one can only hide this browser's own drafts; ids that
are not ours in shape are ignored.
"""

from __future__ import annotations

import re

from flask import request
from werkzeug.wrappers import Response  # flask's and what `redirect` returns alike

COOKIE = "webcall_saved_drafts"
KEPT = 8  # the newest saves; an older draft of a tab is overwritten by its later visits anyway
_ID = re.compile(r"[0-9a-f]{24}")  # editor-draft.js's visit id: 12 random bytes in hex


def saved() -> list[str]:
    """The ids of the drafts this browser's latest saves came from, newest first."""
    raw = request.cookies.get(COOKIE, "")
    ids = [part for part in raw.split(".") if _ID.fullmatch(part)]
    return list(dict.fromkeys(ids))[:KEPT]


def remember(response: Response, draft: str | None) -> None:
    """After a save posted from the editor visit `draft`: that draft is done with."""
    if not draft or not _ID.fullmatch(draft):
        return  # posted without the editor's script (its form works without): no draft to clear
    ids = [draft, *(i for i in saved() if i != draft)][:KEPT]
    response.set_cookie(
        COOKIE,
        ".".join(ids),
        path="/demos",  # the editor's pages, where it is read
        secure=request.is_secure,
        httponly=True,
        samesite="Lax",
    )
