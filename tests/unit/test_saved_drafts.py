"""Which editor drafts were saved (webcall/saved_drafts.py): a save names the draft it came from in a
cookie, every editor page names the saved drafts, and nothing but ids of the editor's shape gets in."""

from __future__ import annotations

import re
from typing import Any

import pytest

from webcall import saved_drafts

from .demo_editor_helpers import VALID, post_form

DRAFT = "0123456789abcdef01234567"  # the editor's visit ids: 12 bytes in hex


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def named_on_the_page(client: Any, path: str = "/demos/new") -> list[str]:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'<form id="demo-form"[^>]*\sdata-saved-drafts="([^"]*)"', page)
    assert found, "the editor's form names the saved drafts"
    return found.group(1).split()


def cookie(client: Any) -> str | None:
    kept = client.get_cookie(saved_drafts.COOKIE, path="/demos")
    return kept.value if kept else None


def test_a_save_names_its_draft_and_every_editor_page_then_does(rep):
    assert named_on_the_page(rep) == []
    r = post_form(rep, fields={**VALID, "slug": "acme", "draft": DRAFT})
    assert r.status_code == 302
    assert DRAFT in r.headers["Set-Cookie"] and "HttpOnly" in r.headers["Set-Cookie"]
    assert "Path=/demos;" in r.headers["Set-Cookie"] and "SameSite=Lax" in r.headers["Set-Cookie"]
    assert named_on_the_page(rep) == [DRAFT]
    assert named_on_the_page(rep, "/demos/acme/edit") == [DRAFT]

    later = "f" * 24
    post_form(rep, "/demos/acme/edit", {**VALID, "slug": "acme", "title": "Changed", "draft": later})
    assert named_on_the_page(rep, "/demos/acme/edit") == [later, DRAFT]  # newest first


def test_a_save_that_does_not_go_through_names_nothing(rep):
    r = post_form(rep, fields={**VALID, "slug": "acme", "title": "", "draft": DRAFT})
    assert r.status_code == 400
    assert cookie(rep) is None and named_on_the_page(rep) == []


@pytest.mark.parametrize(
    "posted",
    ["", "not-an-id", DRAFT.upper(), DRAFT + "0", '"><script>', "a" * 4000],
)
def test_a_posted_id_not_of_the_editors_shape_is_not_kept(rep, posted):
    r = post_form(rep, fields={**VALID, "slug": "acme", "draft": posted})
    assert r.status_code == 302  # the save itself goes through
    assert cookie(rep) is None


def test_the_cookie_keeps_the_newest_ids_once_and_ignores_what_is_not_an_id(app, rep):
    ids = [f"{n:024x}" for n in range(1, 12)]
    rep.set_cookie(saved_drafts.COOKIE, ".".join([*ids[:3], ids[0], '"><b>', *ids[3:]]), path="/demos")
    assert named_on_the_page(rep) == ids[: saved_drafts.KEPT]
    post_form(rep, fields={**VALID, "slug": "acme", "draft": DRAFT})
    assert named_on_the_page(rep) == [DRAFT, *ids[: saved_drafts.KEPT - 1]]
