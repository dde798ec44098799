"""Signing in to the sales studio in Chromium, shared by the e2e tests that use it.

Apps started with `studio_settings()` get a ready admin (made at start from the settings, as
WEBCALL_SALES_ADMIN_EMAIL + WEBCALL_SALES_PASSWORD do in production) whose email and password are
ADMIN_EMAIL and PASSWORD.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

ADMIN_EMAIL = "admin@example.com"
PASSWORD = "e2e sales password"


def studio_settings(**changes: Any) -> dict[str, Any]:
    """Settings changes that turn the studio on with the ready admin."""
    return {"sales_password": PASSWORD, "sales_admin_email": ADMIN_EMAIL, **changes}


def sign_in(page: Page, base: str, email: str = ADMIN_EMAIL, password: str = PASSWORD) -> None:
    """Open /demos, land on the sign-in page, sign in, arrive at /demos."""
    page.goto(f"{base}/demos")
    expect(page).to_have_url(f"{base}/demos/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/demos")
