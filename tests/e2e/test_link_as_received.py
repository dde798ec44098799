"""A share link as a prospect receives it, in Chromium: a mail or chat client glued `).` to its end or
broke it over two lines (`%20`), or a redirector encoded its `#` as `%23`. The genuine link still
opens the link-only demo (it showed "Dieser Link ist ungültig", or an English 404 for `%23`); a changed
one with the same punctuation is still refused."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from tests.share_links import RecordingSigner
from tests.tokens import tampered
from webcall import ROOT
from webcall.demo_registry import DemoRegistry
from webcall.settings import Settings


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('as-received') / 'calls.sqlite3'}"


@pytest.fixture(scope="module")
def demos_url(serve_app, database) -> str:
    return serve_app(demos_file=str(ROOT / "demos.toml"), database_url=database)


@pytest.fixture(scope="module")
def token(base_settings: Settings, database, demos_url) -> str:
    demo = DemoRegistry.load(ROOT / "demos.toml", base_settings).get("alpenblick")
    signer = RecordingSigner(base_settings.secret_key, database)  # demos_url: the database is migrated
    return signer.issue(demo, {"name": "Maria"}, int(time.time()) + 3600).token


@pytest.mark.parametrize(
    "path",
    ["/demo/alpenblick#link={t}).", "/demo/alpenblick#link={a}%20{b}", "/demo/alpenblick%23link={t}."],
)
def test_a_link_with_glued_punctuation_still_opens_the_demo(page: Page, demos_url, token, path):
    url = demos_url + path.format(t=token, a=token[:20], b=token[20:])
    with page.expect_request(lambda r: r.url.endswith("/api/demos/alpenblick/link")) as check:
        page.goto(url)
    assert check.value.post_data_json == {"link": token}
    expect(page.locator('[data-brand="company"]')).to_have_text("Alpenblick Hotels")
    expect(page.locator("[data-reason]")).to_have_count(0)


def test_a_changed_link_with_glued_punctuation_is_still_refused(page: Page, demos_url, token):
    page.goto(f"{demos_url}/demo/alpenblick#link={tampered(token)}).")
    expect(page.locator('[data-reason="tampered"] h1')).to_have_text("Dieser Link ist ungültig")
