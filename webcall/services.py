"""The long-lived objects one app instance shares between requests."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from .calllog import CallLog
from .demos import DemoRegistry
from .handles import CallHandles
from .itellico import ItellicoClient
from .links import ShareLinks
from .settings import Settings

EXTENSION = "webcall"


@dataclass(frozen=True)
class Services:
    settings: Settings
    itellico: ItellicoClient
    handles: CallHandles
    demos: DemoRegistry
    links: ShareLinks
    calllog: CallLog


def services() -> Services:
    return current_app.extensions[EXTENSION]
