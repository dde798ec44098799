"""Fixtures shared by the unit tests of the sales side: the app with the shipped demos, a sales
password and a call log of its own."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask

from webcall import ROOT, create_app
from webcall.settings import Settings

SALES_PASSWORD = "correct horse battery staple"


@pytest.fixture
def make_sales_app(settings: Settings, tmp_path) -> Callable[..., Flask]:
    """The app with demos.toml, the sales index on and its own SQLite call log; `changes` override."""

    def make(**changes: Any) -> Flask:
        changed = replace(
            settings,
            demos_file=str(ROOT / "demos.toml"),
            sales_password=SALES_PASSWORD,
            database_url=f"sqlite:///{tmp_path}/calls.sqlite3",
            **changes,
        )
        return create_app({"settings": changed, "TESTING": True})

    return make


def link_for(svc: Any, slug: str = "alpenblick", exp_in: int = 3600, **variables: str) -> Any:
    """A share link for `slug` signed by the app's own key, valid for `exp_in` seconds."""
    return svc.links.issue(svc.demos.get(slug), variables, int(time.time()) + exp_in)


def csrf(page_html: str) -> str:
    """The CSRF token a studio form carries."""
    return re.search(r'name="csrf" value="([^"]+)"', page_html).group(1)


def sign_in(client: Any) -> None:
    """Sign the Flask test client in to the studio."""
    token = csrf(client.get("/demos/login").get_data(as_text=True))
    r = client.post("/demos/login", data={"password": SALES_PASSWORD, "csrf": token})
    assert r.status_code == 302 and r.headers["Location"] == "/demos"
