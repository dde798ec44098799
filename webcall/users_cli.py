"""`flask --app app users …`: the studio's accounts from the command line.

flask --app app users add EMAIL [--role admin|rep] [--name NAME]   asks for the password (twice)
flask --app app users disable EMAIL / enable EMAIL                 disabling ends every session
flask --app app users reset EMAIL                                  new password, ends sessions, lifts a lock
flask --app app users list

The password is asked for without echo, or read from stdin with `--password-stdin` (scripts); it
is never an argument, so it stays out of shell history and `ps`.
"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from .account_fields import ROLES, AccountError
from .accounts import Account
from .cli_params import TEXT, check_text, not_utf8
from .services import services

users = AppGroup("users", help="Studio accounts: add, disable, enable, reset, list.")


def _password(from_stdin: bool) -> str:
    try:
        if from_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    except UnicodeDecodeError:  # stdin decoded strictly (a UTF-8 locale)
        raise not_utf8("the password") from None
    return check_text(password, "the password")


def _account(email: str) -> Account:
    account = services().accounts.by_email(email)
    if account is None:
        raise click.ClickException(f"no account {email!r}")
    return account


def _refuse(error: AccountError) -> click.ClickException:
    where = f"{error.field}: " if error.field else ""
    return click.ClickException(f"{where}{error.message} ({error.code})")


@users.command("add")
@click.argument("email", type=TEXT)
@click.option("--role", type=click.Choice(ROLES), default="rep", show_default=True)
@click.option("--name", type=TEXT, default="", help="how the studio shows the account")
@click.option("--password-stdin", is_flag=True, help="read the password from the first line of stdin")
def add_command(email: str, role: str, name: str, password_stdin: bool) -> None:
    """Add an account (the first admin, or any rep)."""
    try:
        account = services().accounts.add(email, _password(password_stdin), role=role, name=name)
    except AccountError as error:
        raise _refuse(error) from None
    click.echo(f"added {account.email} ({account.role})")


@users.command("disable")
@click.argument("email", type=TEXT)
def disable_command(email: str) -> None:
    """Disable an account: it cannot sign in, and its open sessions end now."""
    svc = services()
    account = _account(email)
    ended = svc.sessions.count(account.id)
    try:
        svc.accounts.set_disabled(account.id, True)
    except AccountError as error:
        raise _refuse(error) from None
    click.echo(f"disabled {account.email}; {ended} open session(s) ended")


@users.command("enable")
@click.argument("email", type=TEXT)
def enable_command(email: str) -> None:
    """Enable a disabled account."""
    account = _account(email)
    services().accounts.set_disabled(account.id, False)
    click.echo(f"enabled {account.email}")


@users.command("reset")
@click.argument("email", type=TEXT)
@click.option("--password-stdin", is_flag=True, help="read the password from the first line of stdin")
def reset_command(email: str, password_stdin: bool) -> None:
    """Set a new password: every open session of the account ends, a lock is lifted."""
    svc = services()
    account = _account(email)
    try:
        svc.accounts.set_password(account.id, _password(password_stdin))
    except AccountError as error:
        raise _refuse(error) from None
    svc.lockout.clear(account.email)
    click.echo(f"new password set for {account.email}; its sessions have ended")


@users.command("list")
def list_command() -> None:
    """Every account with its role and status."""
    accounts = services().accounts.all()
    for account in accounts:
        status = "disabled" if account.disabled else "active"
        click.echo(f"{account.email:<40} {account.role:<6} {status:<9} {account.name}")
    if not accounts:
        click.echo("no accounts: the studio is off until one is added", err=True)
