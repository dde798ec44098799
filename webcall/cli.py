"""`flask --app app demos …`: the sales rep's commands.

flask --app app demos link SLUG --expires 7d --var prospect=Acme   prints a signed share link
flask --app app demos list                                         the demos the app serves
flask --app app demos check [--file F] [--agents]                  validates a demos.toml file
flask --app app demos import FILE [--replace] | export [FILE]      demos.toml into and out of the database
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from .cli_params import PUBLIC_URL, TEXT
from .demo_registry import DemoRegistry
from .demo_schema import DemoConfigError
from .itellico_errors import UpstreamError
from .links import DEFAULT_EXPIRY, EXPIRY_EXAMPLES, LinkError, parse_expiry
from .services import services
from .serving import port_from_env
from .setting_values import SettingsError
from .studio_demos import studio_named

demos = AppGroup("demos", help="Sales demos: share links, demos.toml in and out of the database.")


def _variable(raw: str) -> tuple[str, str]:
    name, sep, value = raw.partition("=")
    if not sep or not name.strip():
        raise click.BadParameter(f"{raw!r}: use NAME=VALUE", param_hint="--var")
    return name.strip(), value.strip()


@demos.command("link")
@click.argument("slug", type=TEXT)
@click.option("--expires", type=TEXT, default=DEFAULT_EXPIRY, show_default=True, help=EXPIRY_EXAMPLES)
@click.option(
    "--var", "variables", type=TEXT, multiple=True, metavar="NAME=VALUE", help="a variable the link sets"
)
@click.option(
    "--label", type=TEXT, default=None, help="how the call log names this link (default: the values)"
)
@click.option(
    "--base-url", type=PUBLIC_URL, default=None, help="the app's public URL (default: WEBCALL_PUBLIC_URL)"
)
def link_command(
    slug: str, expires: str, variables: tuple[str, ...], label: str | None, base_url: str | None
) -> None:
    """Print a signed share link to demo SLUG."""
    svc = services()
    if svc.settings.secret_key_generated:
        raise click.ClickException(
            "WEBCALL_SECRET_KEY is not set: a link signed with a random key stops working as soon as "
            "this command ends. Set it (the same value the app uses) and try again."
        )
    given = base_url or svc.settings.public_url
    local = None if given else _this_machine()  # before the link is made: a bad PORT makes none
    demo = svc.demos.get(slug)
    if demo is None or demo.slug != slug:
        known = ", ".join(d.slug for d in svc.demos)
        raise click.ClickException(f"no demo {slug!r} (known: {known})")
    pairs: dict[str, str] = {}
    for name, value in map(_variable, variables):
        if name in pairs:  # the last would silently win
            raise click.BadParameter(f"variable {name!r} is given twice", param_hint="--var")
        pairs[name] = value
    try:
        link = svc.links.issue(demo, pairs, parse_expiry(expires))
    except LinkError as error:
        raise click.ClickException(str(error)) from None
    from .studio_links import default_label

    try:
        svc.calllog.add_link(link, label or default_label(pairs), created_by="cli")
    except SQLAlchemyError as error:  # unrecorded, it could never open or be revoked: not printed
        raise click.ClickException(
            f"the link was not made: the database could not record it ({type(error).__name__}); try again"
        ) from None
    base = (given or local or "").rstrip("/")
    click.echo(f"{base}{link.path()}")
    click.echo(f"link {link.link_id} for demo {slug}, expires {link.expires_at:%Y-%m-%d %H:%M} UTC", err=True)
    if local:
        # Still printed (it opens on this machine, e.g. beside a bare `flask run`), but a rep on a server
        # would otherwise send a prospect a link to the prospect's own computer.
        click.echo(
            f"warning: this link points at {local}, this machine: a prospect cannot open it. Set "
            "WEBCALL_PUBLIC_URL (the address visitors use, as the app has it) or pass --base-url",
            err=True,
        )


def _this_machine() -> str:
    """The address `make run` and gunicorn serve on here, PORT read as they read it (webcall/serving.py)."""
    try:
        return f"http://127.0.0.1:{port_from_env(os.environ)}"
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


@demos.command("list")
def list_command() -> None:
    """The demos the app serves."""
    svc = services()
    click.echo(f"{'slug':<20} {'access':<10} {'lang':<4} {'agent':<36}  title")
    for demo in svc.demos:
        click.echo(f"{demo.slug:<20} {demo.access:<10} {demo.language:<4} {demo.agent_id:<36}  {demo.title}")
        if demo.allowed_variables:
            allowed = ", ".join(f"{n} (≤ {m})" for n, m in demo.allowed_variables.items())
            click.echo(f"{'':<20} link/page variables: {allowed}")
    for slug, problems in svc.demos.refused().items():  # webcall/demo_store.py
        click.echo(f"{slug:<20} refused by this release, mend it: {'; '.join(problems)}", err=True)
    seed = f", seeded from {svc.demos.source}" if svc.demos.source else ""
    click.echo(f"from the database{seed}", err=True)


@demos.command("check")
@click.option("--file", "path", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--agents", is_flag=True, help="also ask itellico whether each demo's agent exists")
def check_command(path: Path | None, agents: bool) -> None:
    """Validate a profile file (default: the configured one): one line per mistake."""
    svc = services()
    source = path or (Path(svc.demos.source) if svc.demos.source else None)
    if source is None:
        click.echo("no profile file is configured (WEBCALL_DEMOS_FILE); the / page uses ITELLICOAI_AGENT_ID")
        return
    try:
        registry = DemoRegistry.load(source, svc.settings)
    except DemoConfigError as error:
        for problem in error.problems:
            click.echo(f"{source}: {problem}", err=True)
        raise SystemExit(1) from None
    problems: list[str] = []
    if agents:
        try:
            known = {agent.id for agent in svc.itellico.list_agents()}
        except UpstreamError as error:
            raise click.ClickException(f"cannot list the agents: {error}") from None
        problems = [
            f"{source}: demo {demo.slug!r}: agent_id: {demo.agent_id} is not an agent of this account"
            for demo in registry
            if demo.agent_id not in known
        ]
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    for warning in studio_named(demo.slug for demo in registry):
        click.echo(f"{source}: warning: {warning}", err=True)
    click.echo(f"{source}: {len(registry)} demos, no mistakes")
