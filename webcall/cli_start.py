"""`flask --app app COMMAND`: the start's work in the database (migrating the schema, seeding the demos,
the first admin) waits until the command is known, and is not done at all for the commands that must
find the database as it is: `backup` and `db` (`current` says where it stands; `upgrade` and `downgrade`
move it themselves).

`flask` builds the app (app.py) to find the app's commands before it knows which one runs, and every
start migrated: a backup taken "first" with the new release on disk upgraded the live database before
copying it, so the backup meant to undo the upgrade had the new schema, and the instances still on the
old release met it (an operator's audit). gunicorn, the task worker, `make run`, `flask run` and
`flask shell` (which build the app inside their own command) and tests start at once, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup

from .setting_values import SettingsError, cannot_start

KEEPS_SCHEMA = "webcall_keeps_schema"  # an attribute of a command that runs without the start

C = TypeVar("C", bound=click.Command)


def keeps_schema(command: C) -> C:
    """Mark a command (or a group, for all of its commands) that runs on the database as it is."""
    setattr(command, KEEPS_SCHEMA, True)
    return command


def _command_to_come() -> bool:
    """Whether `flask` is building the app to look up one of its commands: the context current is
    `flask`'s own, and no command has been chosen in it yet."""
    ctx = click.get_current_context(silent=True)
    return ctx is not None and isinstance(ctx.command, FlaskGroup) and ctx.invoked_subcommand is None


class Commands(AppGroup):
    """The app's commands (`app.cli`): looking one up runs the start first, unless it keeps the schema."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.pending: Callable[[], None] | None = None

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None and self.pending is not None and not getattr(command, KEEPS_SCHEMA, False):
            start, self.pending = self.pending, None
            try:
                start()
            except SettingsError as error:  # as app.py says it: one line, exit code 2
                click.echo(cannot_start(error), err=True)
                ctx.exit(2)
        return command


def start(app: Flask, work: Callable[[], None]) -> None:
    """Do the start's `work` now, or, while `flask` looks up a command, once it knows which."""
    if isinstance(app.cli, Commands) and _command_to_come():
        app.cli.pending = work
    else:
        work()
