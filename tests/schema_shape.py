"""A database's schema as comparable text, for tests of migrations going down and up again."""

from __future__ import annotations

from sqlalchemy import Connection, inspect


def tables_and_columns(db: Connection) -> set[str]:
    """Every `table.column` the database has: a downgrade's result is a strict subset of the head's."""
    found = inspect(db)
    return {f"{t}.{c['name']}" for t in found.get_table_names() for c in found.get_columns(t)}
