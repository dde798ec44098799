"""Fixtures shared by the unit tests of the sales side: the app with the shipped demos, a first
admin (ADMIN_EMAIL / SALES_PASSWORD) and a call log of its own; signing in as a ready rep."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask

from webcall import ROOT, accounts, create_app
from webcall.settings import Settings

SALES_PASSWORD = "correct horse battery staple"
ADMIN_EMAIL = "admin@example.com"
REP_EMAIL = "rep@example.com"


def cheap_hasher() -> PasswordHasher:
    # argon2id all the same, with the smallest cost: the real one takes ~0.5 s per hash on CI.
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every test here is a unit test (`make unit` runs `-m unit`): five files without the mark were left
    # out of it (153 tests), as tests/e2e/conftest.py marks its own.
    for item in items:
        if "/unit/" in str(item.fspath):
            item.add_marker(pytest.mark.unit)


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "make_hasher", cheap_hasher)


@pytest.fixture
def make_sales_app(settings: Settings, tmp_path) -> Callable[..., Flask]:
    """The app with demos.toml, the sales index on and its own SQLite call log; `changes` override."""

    def make(**changes: Any) -> Flask:
        defaults: dict[str, Any] = dict(
            demos_file=str(ROOT / "demos.toml"),
            sales_password=SALES_PASSWORD,
            sales_admin_email=ADMIN_EMAIL,
            database_url=f"sqlite:///{tmp_path}/calls.sqlite3",
        )
        changed = replace(settings, **(defaults | changes))
        return create_app({"settings": changed, "TESTING": True})

    return make


@pytest.fixture
def svc(app: Flask) -> Any:
    """The app's services (its `app` fixture: the module's own, e.g. `make_sales_app()`)."""
    return app.extensions["webcall"]


@pytest.fixture
def rep(app: Flask) -> Any:
    """A test client of the module's `app`, signed in to the studio as a ready rep."""
    client = app.test_client()
    sign_in(client)
    return client


@pytest.fixture
def admin(app: Flask) -> Any:
    """A test client of the module's `app`, signed in to the studio as its admin."""
    client = app.test_client()
    sign_in(client, ADMIN_EMAIL, role="admin")
    return client


def link_for(svc: Any, slug: str = "alpenblick", exp_in: int = 3600, **variables: str) -> Any:
    """A share link for `slug` signed by the app's own key, valid for `exp_in` seconds."""
    return svc.links.issue(svc.demos.get(slug), variables, int(time.time()) + exp_in)


def csrf(page_html: str) -> str:
    """The CSRF token a studio form carries."""
    return re.search(r'name="csrf" value="([^"]+)"', page_html).group(1)


def ready_account(app: Flask, email: str = REP_EMAIL, role: str = "rep") -> Any:
    """The account `email` (password SALES_PASSWORD) in the app's database, made if missing."""
    store = app.extensions["webcall"].accounts
    return store.by_email(email) or store.add(email, SALES_PASSWORD, role=role)


def sign_in(client: Any, email: str = REP_EMAIL, role: str = "rep", password: str = SALES_PASSWORD) -> Any:
    """Sign the Flask test client in to the studio as `email` (a ready rep unless told otherwise)."""
    account = ready_account(client.application, email, role)
    token = csrf(client.get("/demos/login").get_data(as_text=True))
    r = client.post("/demos/login", data={"email": email, "password": password, "csrf": token})
    assert r.status_code == 302 and r.headers["Location"] == "/demos", r.get_data(as_text=True)
    return account
