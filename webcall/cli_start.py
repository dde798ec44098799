"""`flask --app app COMMAND`: the start's work in the database (migrating the schema, seeding the demos,
the first admin) waits until a command runs, and is not done at all for the commands that must find the
database as it is: `backup` and `db` (`current` says where it stands; `upgrade` and `downgrade` move it
themselves).

`flask` builds the app (app.py) to find the app's commands before it knows which one runs, and every
start migrated: a backup taken "first" with the new release on disk upgraded the live database before
copying it, so the backup meant to undo the upgrade had the new schema, and the instances still on the
old release met it (an operator's audit). The start then ran when a command was looked up, and click looks
up every command to write the help: `flask --app app --help`, `users --help` or a bare `demos` migrated
too (a later operator's audit). So it runs when a command is invoked, after its arguments are parsed:
help and usage errors never migrate. gunicorn, the task worker, `make run`, `flask run` and `flask shell`
(which build the app inside their own command) and tests start at once, as before.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, TypeVar

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


def _starting(command: click.Command, start: Callable[[click.Context], None]) -> click.Command:
    """`command` as one that calls `start` when it is invoked (a group: each of its commands, as it is
    resolved). A copy: the commands themselves (webcall/users_cli.py's `users`, webcall/cli.py's `demos`)
    are module-level, shared by every app a process builds."""
    if getattr(command, KEEPS_SCHEMA, False):
        return command
    started = copy.copy(command)
    if isinstance(command, click.Group):

        def get_command(ctx: click.Context, cmd_name: str) -> click.Command | None:
            found = command.get_command(ctx, cmd_name)
            return None if found is None else _starting(found, start)

        # A group's own callback runs before its command is even parsed; none of ours has one.
        started.get_command = get_command  # type: ignore[method-assign]
    else:

        def invoke(ctx: click.Context) -> Any:
            start(ctx)
            return command.invoke(ctx)

        started.invoke = invoke  # type: ignore[method-assign]
    return started


class Commands(AppGroup):
    """The app's commands (`app.cli`): running one runs the start first, unless it keeps the schema."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.pending: Callable[[], None] | None = None

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None or self.pending is None:
            return command
        return _starting(command, self._start)

    def _start(self, ctx: click.Context) -> None:
        """The pending start, once (a process invokes one command; a chain would start at its first)."""
        if self.pending is None:
            return
        start, self.pending = self.pending, None
        try:
            start()
        except SettingsError as error:  # as app.py says it: one line, exit code 2
            click.echo(cannot_start(error), err=True)
            ctx.exit(2)


def start(app: Flask, work: Callable[[], None]) -> None:
    """Do the start's `work` now, or, while `flask` looks up a command, once one is invoked."""
    if isinstance(app.cli, Commands) and _command_to_come():
        app.cli.pending = work
    else:
        work()
