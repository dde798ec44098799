"""Demo profiles kept in the database, so that a change made in the studio is live without a restart
on every gunicorn worker and every instance.

Each demo is stored as its settings table, exactly as it would be written in demos.toml (JSON), and
validated by webcall/demo_schema.py on every write and every load. One revision counter changes with every
write; each process checks it at most once per `check_every` seconds and reloads when it moved, so
a change reaches every process within about a second, at the cost of one tiny query per second per
process while pages are served.

`WEBCALL_DEMOS_FILE` is the seed: on the first start of a database its demos are imported (once:
the counter moving off 0 is the lock, so two instances starting together seed it once). After that
the database is the truth; `flask demos import FILE` / `flask demos export` move demos between the
two (webcall/demo_cli.py).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import tomli_w
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from .db import aware, names_no_row
from .db_wait import described
from .demo_registry import DemoRegistry
from .demo_rows import (
    ANY_VERSION,
    AnyVersion,
    DemoChanged,
    StoredDemo,
    demo_revision,
    demos,
    end_links,
    last_used,
    row_of,
)
from .demo_schema import DemoConfigError, DemoModel, check_tables, load_tables, validate_tables
from .demos import DEFAULT_SLUG, DemoProfile
from .settings import Settings

log = logging.getLogger("webcall.demos")


def _settings_of(model: DemoModel) -> dict[str, Any]:
    """What is stored (and exported): only the settings that were given, defaults left out."""
    return model.model_dump(mode="json", exclude_unset=True)


def _first_line(error: Exception) -> str:
    """A stored settings text that is no JSON: its error's type and first line."""
    return f"{type(error).__name__}: {(str(error).splitlines() or [''])[0]}"


class DemoStore:
    """The demos of one database. Reads go through a snapshot (`DemoRegistry`) that is reloaded when
    another process changed the demos."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        check_every: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self._agent_id = settings.agent_id
        self._max_seconds = settings.max_call_seconds
        self.source = settings.demos_file  # the seed file, for `flask demos check`
        self._check_every = check_every
        self._clock = clock
        self._lock = threading.Lock()
        self._revision = -1
        self._checked_at = float("-inf")
        self._snapshot = DemoRegistry({})

    @classmethod
    def open(cls, engine: Engine, settings: Settings, **options: Any) -> DemoStore:
        """The store, seeded from WEBCALL_DEMOS_FILE on a database's first start. The file is checked
        on every start (a broken file stops the app, as it always has). Raises DemoConfigError."""
        store = cls(engine, settings, **options)
        seed = store.read_file(settings.demos_file) if settings.demos_file else None
        if seed is not None and store._seed(seed, settings.demos_file or ""):
            log.info("demos seeded from %s: %s", settings.demos_file, ", ".join(seed))
        store.registry()
        if seed is not None and store.tables() != seed:
            log.warning(
                "WEBCALL_DEMOS_FILE %s differs from the demos in the database; the database's are served"
                " (`flask demos import %s` loads it, replacing the demos it names, studio edits included)",
                settings.demos_file,
                settings.demos_file,
            )
        return store

    # -- reading -------------------------------------------------------------------------------

    def registry(self) -> DemoRegistry:
        """The current demos; at most one revision query per `check_every` seconds. If the database
        cannot be read, the last demos go on being served."""
        now = self._clock()
        if now - self._checked_at < self._check_every:
            return self._snapshot
        with self._lock:
            if now - self._checked_at < self._check_every:
                return self._snapshot
            try:
                with self.engine.connect() as db:
                    revision = db.execute(select(demo_revision.c.revision)).scalar_one()
                    if revision != self._revision:
                        rows = db.execute(select(demos.c.slug, demos.c.settings)).all()
                        self._snapshot = self._registry({row.slug: json.loads(row.settings) for row in rows})
                        self._revision = revision
            except (SQLAlchemyError, ValueError) as error:
                if self._revision < 0:
                    raise
                # One line, as every database-down line: SQLAlchemy's own text spans two.
                why = described(error) if isinstance(error, SQLAlchemyError) else _first_line(error)
                log.error("demos: cannot reload from the database (%s); serving the last ones", why)
            self._checked_at = now
        return self._snapshot

    def expire(self) -> None:
        """The next read asks the database, not after `check_every`: this process sees its own change at
        once (another process within `check_every`)."""
        self._checked_at = float("-inf")

    def _registry(self, tables: Mapping[str, Any]) -> DemoRegistry:
        # Each demo on its own: one stored under rules this release has tightened since (or written by
        # an older release during an upgrade) is not served, and the others are. A demo this process
        # served before keeps its last version until it is mended in the studio.
        models, refused = check_tables(tables)
        profiles = {slug: m.profile(slug, self._agent_id, self._max_seconds) for slug, m in models.items()}
        before = self._snapshot
        kept = set()
        for slug, problems in refused.items():
            # What was served before is a version of this demo unless it was refused then too and not
            # kept: the settings' agent standing in for `default`.
            last = before.get(slug)
            if last is not None and (slug not in before.refused or slug in before.kept):
                profiles[slug] = last
                kept.add(slug)
            log.error(
                "demo %s %s: this release refuses its stored settings (mend it in the studio's editor,"
                " or export, edit and import): %s",
                slug,
                "keeps its last version"
                if slug in kept
                else "is served as the settings' agent (ITELLICOAI_AGENT_ID)"
                if slug == DEFAULT_SLUG
                else "is not served",
                "; ".join(problems),
            )
        profiles.setdefault(
            DEFAULT_SLUG, DemoProfile(DEFAULT_SLUG, self._agent_id, max_call_seconds=self._max_seconds)
        )
        return DemoRegistry(profiles, source=self.source, refused=refused, kept=kept)

    def tables(self) -> dict[str, dict[str, Any]]:
        """Every stored demo's settings table, by slug."""
        with self.engine.connect() as db:
            rows = db.execute(select(demos.c.slug, demos.c.settings).order_by(demos.c.slug)).all()
        return {row.slug: json.loads(row.settings) for row in rows}

    def row(self, slug: str) -> StoredDemo | None:
        """The stored demo `slug` as it is now, or None."""
        if names_no_row(slug):
            return None
        with self.engine.connect() as db:
            found = db.execute(
                select(demos.c.settings, demos.c.updated_at, demos.c.updated_by).where(demos.c.slug == slug)
            ).first()
        if found is None:
            return None
        return StoredDemo(found.settings, aware(found.updated_at), found.updated_by)

    def deleted_demo_used(self, slug: str) -> datetime | None:
        """When a deleted demo named `slug` was last used (its calls and links stay on record under the
        slug: demo_rows.py `last_used`), or None: nothing is on record, or a demo is stored under it.
        The studio's "New demo" refuses such a slug (webcall/studio_demos.py)."""
        if names_no_row(slug):
            return None
        with self.engine.connect() as db:
            if db.execute(select(demos.c.slug).where(demos.c.slug == slug)).first() is not None:
                return None
            return last_used(db, slug)

    def get(self, slug: str | None) -> DemoProfile | None:
        return self.registry().get(slug)

    def __iter__(self) -> Iterator[DemoProfile]:
        return iter(self.registry())

    def __len__(self) -> int:
        return len(self.registry())

    def all_origins(self) -> tuple[str, ...]:
        return self.registry().all_origins()

    def refused(self) -> dict[str, list[str]]:
        """The stored demos this release refuses, with their mistakes (see `_registry`)."""
        return self.registry().refused

    # -- writing -------------------------------------------------------------------------------

    @staticmethod
    def read_file(path: str | Path) -> dict[str, dict[str, Any]]:
        """A demos.toml file's demos, validated. Raises DemoConfigError."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise DemoConfigError(path, [f"cannot be read: {error}"]) from None
        models = validate_tables(*load_tables(text, str(path)), str(path))
        return {slug: _settings_of(model) for slug, model in models.items()}

    def save(
        self,
        slug: str,
        table: Mapping[str, Any],
        by: str,
        *,
        expected: str | Literal[AnyVersion.VERSION] | None = ANY_VERSION,
    ) -> DemoProfile:
        """Create or replace one demo. Raises DemoConfigError naming each mistake.

        `expected` is the version the change was made on: the stored settings text (`row(slug)`), or
        None for "no demo stored". If the demo is not that version when it is written (another save or
        a delete came first, in any process) nothing is written and DemoChanged is raised: the check
        and the write are one statement, so two saves made on one version never both land."""
        model = validate_tables({slug: table}, [], f"demo {slug}")[slug]
        if expected is ANY_VERSION:
            self.write({slug: _settings_of(model)}, by)
        else:
            self._replace(slug, _settings_of(model), by, expected)
        return model.profile(slug, self._agent_id, self._max_seconds)

    def _replace(self, slug: str, table: dict[str, Any], by: str, expected: str | None) -> None:
        try:
            with self.engine.begin() as db:
                if expected is not None:
                    gone = db.execute(delete(demos).where(demos.c.slug == slug, demos.c.settings == expected))
                    if gone.rowcount != 1:
                        raise DemoChanged(slug)
                # With none expected, a row made meanwhile refuses this one (the slug is the key).
                db.execute(demos.insert(), [row_of(slug, table, by, datetime.now(UTC))])
                db.execute(update(demo_revision).values(revision=demo_revision.c.revision + 1))
        except IntegrityError:
            raise DemoChanged(slug) from None
        self.expire()

    def write(self, tables: Mapping[str, dict[str, Any]], by: str, *, replace_all: bool = False) -> None:
        """Store already validated tables (one transaction, one revision)."""
        now = datetime.now(UTC)
        with self.engine.begin() as db:
            if replace_all:
                removed = set(db.execute(select(demos.c.slug)).scalars()) - set(tables)
                end_links(db, removed, by, now)
                db.execute(delete(demos))
            else:
                db.execute(delete(demos).where(demos.c.slug.in_(list(tables))))
            if tables:
                db.execute(demos.insert(), [row_of(slug, table, by, now) for slug, table in tables.items()])
            db.execute(update(demo_revision).values(revision=demo_revision.c.revision + 1))
        self.expire()

    def delete(self, slug: str, by: str) -> bool:
        with self.engine.begin() as db:
            gone = db.execute(delete(demos).where(demos.c.slug == slug)).rowcount > 0
            if gone:
                end_links(db, {slug}, by, datetime.now(UTC))
                db.execute(update(demo_revision).values(revision=demo_revision.c.revision + 1))
        self.expire()
        return gone

    def _seed(self, tables: Mapping[str, dict[str, Any]], source: str) -> bool:
        """Import `tables` if this database was never seeded nor written; True if this call did."""
        now = datetime.now(UTC)
        with self.engine.begin() as db:
            claimed = db.execute(
                update(demo_revision).where(demo_revision.c.revision == 0).values(revision=1)
            ).rowcount
            if not claimed:
                return False
            if tables:
                rows = [row_of(slug, table, f"seed:{source}", now) for slug, table in tables.items()]
                db.execute(demos.insert(), rows)
        return True

    def export_toml(self) -> str:
        """Every stored demo as a demos.toml file's text (`flask demos import` reads it back)."""
        return tomli_w.dumps({"demos": self.tables()})
