"""`flask --app app db …`: the database's schema revision, for upgrades and rollbacks.

flask --app app db current               the database's revision and this release's newest
flask --app app db upgrade               migrate to this release's newest (every start does it too)
flask --app app db downgrade REVISION    take the schema back to REVISION, e.g. the previous release's

A downgrade drops what the later migrations added (their tables, with their rows): back up first
(docs/operations.md#backups). Only the release that made a revision knows how to undo it, so run the
downgrade with the newer release, then start the older one (docs/deployment.md#upgrades-and-rollback).
These commands (and `flask backup`) run on the database as it is: they leave out the start's work,
which migrates (webcall/cli_start.py). The newer release's other commands after a downgrade (`users`,
`demos`) take the schema forward again, as its start does.
"""

from __future__ import annotations

import click
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from . import schema
from .cli_params import TEXT
from .cli_start import keeps_schema
from .db import migrate_schema
from .services import services
from .settings import SettingsError

db = keeps_schema(AppGroup("db", help="The database's schema: its revision, upgrade, downgrade."))


def _previous() -> str:
    """The revisions this release's heads were made on: the previous release's newest, usually."""
    scripts = ScriptDirectory.from_config(schema.config())
    before: set[str] = set()
    for head in schema.heads():
        down = scripts.get_revision(head).down_revision  # one revision, several (a merge) or none
        before.update([down] if isinstance(down, str) else down or ())
    return schema.names(before)


@db.command("current")
def current_command() -> None:
    """Print the database's revision and this release's newest."""
    with services().calllog.engine.connect() as connection:
        at = schema.current(connection)
    click.echo(f"database: {schema.names(at)}")
    click.echo(f"this release: {schema.names(schema.heads())} (the one before: {_previous()})")


@db.command("upgrade")
def upgrade_command() -> None:
    """Migrate the schema to this release's newest revision (every start does it too)."""
    engine = services().calllog.engine
    try:
        migrate_schema(engine)
    except SettingsError as error:
        raise click.ClickException(str(error)) from None
    with engine.connect() as connection:
        click.echo(f"database: {schema.names(schema.current(connection))}")


@db.command("downgrade")
@click.argument("revision", type=TEXT)
def downgrade_command(revision: str) -> None:
    """Take the schema back to REVISION, dropping what the later migrations added."""
    engine = services().calllog.engine
    with engine.connect() as connection:
        unknown = schema.current(connection) - schema.known()
    if unknown:
        raise click.ClickException(
            f"the database is at {schema.names(unknown)}, which this release does not know: run the "
            "downgrade with the release that migrated it"
        )
    if revision not in schema.known():
        raise click.ClickException(f"no revision {revision!r} in this release (`db current` names them)")
    try:
        before, after = schema.downgrade(engine, revision)
    except (CommandError, SQLAlchemyError) as error:
        raise click.ClickException(
            f"the downgrade failed, nothing changed: {str(error).splitlines()[0]}"
        ) from None
    if before == after:
        click.echo(f"database: {schema.names(after)} (nothing to take back)")
        return
    click.echo(f"database: {schema.names(before)} -> {schema.names(after)}")
    click.echo(
        "start the release whose newest revision that is; this release's start migrates it forward again"
    )
