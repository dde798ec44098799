"""Click parameter types shared by the operator commands (`flask demos …`, `flask users …`).

A terminal in another encoding (Latin-1, say) hands Python arguments it cannot decode as UTF-8; they
arrive with lone surrogates ("\\udcff"), which no database or hash can take. They are refused here
with the usual one-line usage error, before any command runs.
"""

from __future__ import annotations

from typing import Any

import click

from .setting_checks import check_public_url
from .settings import SettingsError


def not_utf8(what: str) -> click.ClickException:
    return click.ClickException(f"{what} is not UTF-8 text: set the terminal to UTF-8")


def check_text(value: str, what: str) -> str:
    """`value` if it is text that can be stored (UTF-8, no NUL); else a ClickException naming `what`."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise not_utf8(what) from None
    if "\x00" in value:
        raise click.ClickException(f"{what} contains a NUL character")
    return value


class Text(click.ParamType):
    """A string argument or option that must be storable text (see the module docstring)."""

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return check_text(str(value), "it")
        except click.ClickException as error:
            self.fail(error.message, param, ctx)


class PublicUrl(click.ParamType):
    """An http(s) address like WEBCALL_PUBLIC_URL, with the same rule (setting_checks.check_public_url)."""

    name = "url"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return check_public_url("--base-url", check_text(str(value), "it")) or ""
        except SettingsError as error:
            self.fail(error.problem, param, ctx)
        except click.ClickException as error:
            self.fail(error.message, param, ctx)


TEXT = Text()
PUBLIC_URL = PublicUrl()
