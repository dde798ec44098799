"""Share links' rows (`webcall_links`): what is stored of each link the studio or `flask demos link`
made, so the studio can list, copy, revoke and extend them; for a link stored here, its row (expiry,
revocation) is what every link check goes by (webcall/links.py, webcall/link_store.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, DateTime, Engine, String, Table, Text, insert, select

from .db import aware as _aware
from .db import metadata
from .db import now as _now
from .links import ShareLink

# Links that ended (expired or revoked) longer ago than this are folded away in the studio (/demos'
# "Show older links", the calls page's link filter): a year of links made /demos megabytes long and
# the filter a 3,000-entry list. Their calls stay in /demos/calls.
FOLD_ENDED_AFTER = timedelta(days=30)

links = Table(
    "webcall_links",
    metadata,
    Column("link_id", String(32), primary_key=True),
    Column("demo", String(64), nullable=False, index=True),
    Column("label", String(200), nullable=False),
    Column("variables", Text, nullable=False),  # JSON object
    Column("token", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(16), nullable=False),  # cli | web
    # Who the link belongs to (the rep's email once reps sign in; "cli"/"web" before): revision 0002.
    Column("owner", String(254), nullable=True, index=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("revoked_by", String(254), nullable=True),
)


def storable_label(label: str) -> str:
    """A link's label as stored: at most 200 characters (the column), without NUL (PostgreSQL refuses
    one; the studio said "Try again", which could never work). "link" when nothing is left."""
    return label.replace("\x00", "")[:200] or "link"


@dataclass(frozen=True)
class LinkRecord:
    link_id: str
    demo: str
    label: str
    variables: Mapping[str, str]
    token: str
    created_at: datetime
    expires_at: datetime
    created_by: str
    owner: str | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    @property
    def expired(self) -> bool:
        return self.expires_at <= _now()

    @property
    def status(self) -> str:
        """active | expired | revoked (revoked wins: the rep's decision is what the prospect sees)."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expired else "active"

    @property
    def long_ended(self) -> bool:
        """Expired or revoked over FOLD_ENDED_AFTER ago: folded away in the studio's lists."""
        ended = self.revoked_at if self.revoked_at is not None else self.expires_at
        return ended < _now() - FOLD_ENDED_AFTER


def add_link(engine: Engine, link: ShareLink, label: str, created_by: str, owner: str | None = None) -> None:
    """A new link's row; its owner is `created_by` ("cli", "web") unless a rep's email is given."""
    with engine.begin() as db:
        db.execute(
            insert(links).values(
                link_id=link.link_id,
                demo=link.slug,
                label=storable_label(label),
                variables=json.dumps(dict(link.vars), ensure_ascii=False),
                token=link.token,
                created_at=_now(),
                expires_at=link.expires_at,
                created_by=created_by,
                owner=(owner or created_by)[:254],
            )
        )


def stored_links(engine: Engine, demo: str | None = None) -> list[LinkRecord]:
    """Every stored link, newest first; of `demo` only if given."""
    query = select(links).order_by(links.c.created_at.desc())
    if demo is not None:
        query = query.where(links.c.demo == demo)
    with engine.connect() as db:
        return [link_record(row._mapping) for row in db.execute(query)]


def link_record(row: Mapping[str, Any]) -> LinkRecord:
    """A `webcall_links` row as a LinkRecord (its times in UTC: webcall/db.py `aware`)."""
    return LinkRecord(
        link_id=row["link_id"],
        demo=row["demo"],
        label=row["label"],
        variables=json.loads(row["variables"]),
        token=row["token"],
        created_at=_aware(row["created_at"]) or _now(),
        expires_at=_aware(row["expires_at"]) or _now(),
        created_by=row["created_by"],
        owner=row["owner"],
        revoked_at=_aware(row["revoked_at"]),
        revoked_by=row["revoked_by"],
    )
