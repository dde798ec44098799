"""The database side of the demos (webcall/demo_store.py): their two tables, one stored row, and the
writes that every change of the demos shares."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Column, Connection, DateTime, Integer, String, Table, Text, func, select, update

from .calllog import calls
from .db import aware, metadata
from .link_rows import links

demos = Table(
    "webcall_demos",
    metadata,
    Column("slug", String(63), primary_key=True),
    Column("settings", Text, nullable=False),  # JSON: the demo's table as in demos.toml
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(254), nullable=False),
)

demo_revision = Table(
    "webcall_demo_revision",
    metadata,
    Column("id", Integer, primary_key=True),  # one row, id 1, made by the migration
    Column("revision", Integer, nullable=False),  # 0: never seeded nor written
)


class DemoChanged(Exception):
    """The demo is no longer the version a save was made on (saved or deleted meanwhile)."""


class AnyVersion(enum.Enum):
    VERSION = "any"


ANY_VERSION: Literal[AnyVersion.VERSION] = AnyVersion.VERSION  # a save that replaces whatever is stored


@dataclass(frozen=True)
class StoredDemo:
    """One demo's row: its settings as stored (the text is its version) and who wrote it when."""

    settings: str
    updated_at: datetime
    updated_by: str

    @property
    def table(self) -> dict[str, Any]:
        return json.loads(self.settings)


# How end_links marks who revoked a link (read back by webcall/studio_links.py `_ended_by_delete`).
DELETED_BY = "demo deleted by "


def end_links(db: Connection, slugs: set[str], by: str, now: datetime) -> None:
    """Revoke the share links of demos that are being removed, in the same transaction. A link is
    signed for a slug, not for one demo: without this, a demo made later under the same slug would
    accept the old demo's links (with the new demo's agent and content)."""
    if slugs:
        db.execute(
            update(links)
            .where(links.c.demo.in_(sorted(slugs)), links.c.revoked_at.is_(None))
            .values(revoked_at=now, revoked_by=f"{DELETED_BY}{by}"[:254])
        )


def last_used(db: Connection, slug: str) -> datetime | None:
    """When the calls and share links on record under `slug` were last made or ended, or None when
    none is. They are keyed by the slug alone and outlive their demo (`end_links` ends the links, the
    calls stay in the call log): a demo made later under the slug would show them as its own."""
    times = (
        select(func.max(calls.c.created_at)).where(calls.c.demo == slug),
        select(func.max(links.c.created_at)).where(links.c.demo == slug),
        select(func.max(links.c.revoked_at)).where(links.c.demo == slug),  # a delete's own time
    )
    found = [aware(at) for query in times if (at := db.execute(query).scalar()) is not None]
    return max(found, default=None)


def row_of(slug: str, table: Mapping[str, Any], by: str, now: datetime) -> dict[str, Any]:
    return {"slug": slug, "settings": json.dumps(table), "updated_at": now, "updated_by": by[:254]}
