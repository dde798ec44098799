"""The studio's changes to a stored share link (revoke, extend) and the state every link check reads.

A share link's token names the link and cannot change once sent; what the link holds and what a rep
decides later live in its row (webcall/link_rows.py `webcall_links`): `variables`, `expires_at` its
expiry, `revoked_at` withdraws it, `owner` whom its holder may ask (webcall/link_contact.py).
`ShareLinks.check` (webcall/links.py) asks `state` on every path that accepts a token (demo page's
link check, widget and iframe, `POST /api/calls`), one read per check, so a decision takes effect at
once everywhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, select, update

from .db import aware, names_no_row
from .formatting import quoted
from .link_opens import refusals
from .link_rows import LinkRecord, link_record, links
from .links import LinkState

NO_SUCH_LINK = "There is no such link."


class LinkChangeError(ValueError):
    """The change cannot be made (unknown link, already revoked, …): the message says why."""


@dataclass(frozen=True)
class LinkStore:
    engine: Engine

    def get(self, link_id: str) -> LinkRecord | None:
        if names_no_row(link_id):
            return None
        with self.engine.connect() as db:
            row = db.execute(select(links).where(links.c.link_id == link_id)).first()
        return None if row is None else link_record(row._mapping)

    def state(self, link_id: str) -> LinkState | None:
        """What a link check goes by (in one read), or None for a link the database does not know."""
        columns = links.c.expires_at, links.c.revoked_at, links.c.variables, links.c.owner
        with self.engine.connect() as db:
            row = db.execute(select(*columns).where(links.c.link_id == link_id)).first()
        if row is None:
            return None
        return LinkState(
            exp=int(aware(row.expires_at).timestamp()),
            revoked=row.revoked_at is not None,
            vars=json.loads(row.variables),
            owner=row.owner,
        )

    def revoke(self, link_id: str, by: str) -> LinkRecord:
        """Withdraw a link for good; revoking twice is refused (the first revocation stands)."""
        if names_no_row(link_id):
            raise LinkChangeError(NO_SUCH_LINK)
        with self.engine.begin() as db:
            changed = db.execute(
                update(links)
                .where(links.c.link_id == link_id, links.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC), revoked_by=by[:254])
            ).rowcount
        return self._changed(link_id, changed, "it was already revoked")

    def extend(self, link_id: str, exp: int) -> LinkRecord:
        """Set a new expiry (`exp`, seconds since the epoch, already checked by `parse_expiry`).
        A revoked link stays revoked: extending it is refused. An extended link's refused opens are
        forgotten (webcall/link_opens.py): the rep has answered them, and if it ends again, the
        studio's "opened … since it ended" counts from that end."""
        if names_no_row(link_id):
            raise LinkChangeError(NO_SUCH_LINK)
        with self.engine.begin() as db:
            changed = db.execute(
                update(links)
                .where(links.c.link_id == link_id, links.c.revoked_at.is_(None))
                .values(expires_at=datetime.fromtimestamp(exp, UTC))
            ).rowcount
            if changed:
                db.execute(delete(refusals).where(refusals.c.link_id == link_id))
        return self._changed(link_id, changed, "it is revoked")

    def _changed(self, link_id: str, changed: int, refused_because: str) -> LinkRecord:
        record = self.get(link_id)
        if record is None:
            raise LinkChangeError(NO_SUCH_LINK)
        if not changed:
            raise LinkChangeError(f"The link {quoted(record.label)} was not changed: {refused_because}.")
        return record
