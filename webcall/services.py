"""The long-lived objects one app instance shares between requests."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from .accounts import Accounts
from .calllog import CallLog
from .demo_store import DemoStore
from .handles import CallHandles
from .itellico import ItellicoClient
from .links import ShareLinks
from .lockout import Lockout
from .sessions import Sessions
from .settings import Settings

EXTENSION = "webcall"


@dataclass(frozen=True)
class Services:
    settings: Settings
    itellico: ItellicoClient
    handles: CallHandles
    demos: DemoStore
    links: ShareLinks
    calllog: CallLog
    accounts: Accounts
    sessions: Sessions
    lockout: Lockout


def services() -> Services:
    return current_app.extensions[EXTENSION]
