"""`flask demos import FILE` and `flask demos export [FILE]`: demos.toml in and out of the database
(webcall/demo_store.py), for backups, reviews and moving demos between installs.

import adds or replaces the file's demos (one transaction; a file with any mistake changes nothing);
with --replace, demos that are not in the file are removed. export writes every stored demo. A demo
added under the slug of a deleted one that has calls or links on record is imported with a warning
(the studio's "New demo" refuses it: webcall/studio_demos.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import with_appcontext

from .demo_schema import DemoConfigError
from .services import services
from .studio_demos import studio_named


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", "replace_all", is_flag=True, help="also remove the demos that are not in the file")
@with_appcontext
def import_command(path: Path, replace_all: bool) -> None:
    """Load the demos of a demos.toml file into the database."""
    store = services().demos
    try:
        tables = store.read_file(path)
    except DemoConfigError as error:
        for problem in error.problems:
            click.echo(f"{path}: {problem}", err=True)
        raise SystemExit(1) from None
    before = set(store.tables())
    # Asked before the write, which stores the slug. Imported all the same: a backup brings the deleted
    # demo itself back, and refusing it would leave no way to restore one.
    reused = {slug: used for slug in sorted(set(tables) - before) if (used := store.deleted_demo_used(slug))}
    store.write(tables, f"import:{path.name}", replace_all=replace_all)
    added, replaced = sorted(set(tables) - before), sorted(set(tables) & before)
    removed = sorted(before - set(tables)) if replace_all else []
    for word, slugs in (("added", added), ("replaced", replaced), ("removed", removed)):
        if slugs:
            click.echo(f"{word}: {', '.join(slugs)}")
    for warning in studio_named(tables):
        click.echo(f"{path}: warning: {warning}", err=True)
    for slug, used in reused.items():
        click.echo(
            f"{path}: warning: demo {slug!r} takes the slug of a deleted demo, last used"
            f" {used:%Y-%m-%d %H:%M} UTC: its calls and ended links on record show under this one"
            " (the studio refuses such a slug for a new demo)",
            err=True,
        )


@click.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=False)
@with_appcontext
def export_command(path: Path | None) -> None:
    """Write every stored demo as a demos.toml file (to PATH, or to standard output)."""
    text = services().demos.export_toml()
    if path is None:
        click.echo(text, nl=False)
        return
    # Written beside the target and renamed over it: an export that fails half-way (a full disk) leaves
    # the previous file (often the last backup) whole, not a truncated TOML.
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise click.ClickException(f"cannot write {path}: {error.strerror or error}") from None
    click.echo(f"{path}: {len(services().demos.tables())} demos", err=True)
