"""A new demo under the slug of a deleted one (docs/sales.md, "Delete").

The deleted demo's calls and share links stay on record keyed by the slug alone, so a new demo made
under it showed them as its own: another prospect's calls, counts and ended links on its card, in the
calls filter and on its call pages. The studio refuses such a slug, naming when it was last used;
`flask demos import` (backups coming back) imports it with a warning.
"""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from webcall.link_rows import links

from .conftest import link_for
from .demo_editor_helpers import VALID, field_error, input_value, page_token, post_form

pytestmark = pytest.mark.unit


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def tables(client) -> dict:
    return client.application.extensions["webcall"].demos.tables()


def delete(client, slug: str) -> None:
    r = client.post(f"/demos/{slug}/delete", data={"csrf": page_token(client, f"/demos/{slug}/delete")})
    assert r.status_code == 302 and slug not in tables(client)


def test_a_new_demo_under_a_deleted_demos_slug_with_calls_and_links_is_refused(rep, svc):
    assert post_form(rep, fields={**VALID, "slug": "acme", "title": "Acme Corp"}).status_code == 302
    link = link_for(svc, "acme")
    svc.calllog.add_link(link, "Jim at Acme", created_by="web", owner="ann@example.com")
    svc.calllog.record(demo="acme", mode="voice", outcome="created", call_id="c-1", link_id=link.link_id)
    svc.calllog.record(demo="acme", mode="voice", outcome="created", call_id="c-2")
    delete(rep, "acme")
    deleted_at = svc.calllog.links("acme")[0].revoked_at  # the delete ended the link: its last use

    typed = {**VALID, "slug": "acme", "title": "Acme Logistics", "description": "Dispatch by phone."}
    r = post_form(rep, fields=typed)
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "acme" not in tables(rep)
    said = field_error(page, "slug")
    stamp = deleted_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    assert said is not None and said.startswith("acme was used by a deleted demo until <time"), said
    assert f"{stamp} UTC</time>" in said and "choose another slug" in said
    # Everything typed is kept, as with a slug that is taken.
    assert input_value(page, "slug") == "acme" and input_value(page, "title") == "Acme Logistics"
    assert input_value(page, "description") == "Dispatch by phone."
    # Another slug is made, and its card shows none of the old demo's calls or links.
    assert post_form(rep, fields={**typed, "slug": "acme-logistics"}).status_code == 302
    card = re.search(r'id="demo-acme-logistics".*?</section>', rep.get("/demos").get_data(as_text=True), re.S)
    assert card and "Jim at Acme" not in card.group(0) and "No links or calls yet." in card.group(0)


def test_a_deleted_demos_calls_alone_refuse_its_slug_and_a_slug_never_used_is_free(rep, svc):
    post_form(rep, fields={**VALID, "slug": "quiet"})
    post_form(rep, fields={**VALID, "slug": "called"})
    svc.calllog.record(demo="called", mode="text", outcome="failed:upstream")  # an attempt is on record too
    delete(rep, "quiet")
    delete(rep, "called")
    assert post_form(rep, fields={**VALID, "slug": "quiet"}).status_code == 302  # nothing kept under it
    r = post_form(rep, fields={**VALID, "slug": "called"})
    assert r.status_code == 400 and "called was used by a deleted demo" in field_error(
        r.get_data(as_text=True), "slug"
    )


def test_the_last_use_is_the_latest_of_calls_links_and_their_ends(svc):
    link = link_for(svc, "northwind")
    svc.calllog.add_link(link, "Old", created_by="web", owner="ann@example.com")
    svc.calllog.record(demo="northwind", mode="voice", outcome="created", call_id="c-nw")
    assert svc.demos.deleted_demo_used("northwind") is None  # a demo is stored under it: not deleted
    assert svc.demos.delete("northwind", by="bob@example.com")
    ended = svc.calllog.links("northwind")[0].revoked_at
    assert svc.demos.deleted_demo_used("northwind") == ended
    later = ended + timedelta(days=3)  # a revoke after a call, say: the latest time counts
    with svc.calllog.engine.begin() as db:
        db.execute(update(links).values(revoked_at=later))
    assert svc.demos.deleted_demo_used("northwind") == later
    assert svc.demos.deleted_demo_used("never-made") is None


def test_import_of_a_deleted_demos_slug_warns_and_imports(app, svc, tmp_path: Path):
    # A backup brings the same demo back (`flask demos export`, then import): refusing it would leave
    # no way to restore one. The warning says what the studio would have refused.
    svc.calllog.record(demo="northwind", mode="voice", outcome="created", call_id="c-nw")
    assert svc.demos.delete("northwind", by="bob@example.com")
    backup = tmp_path / "backup.toml"
    backup.write_text('[demos.northwind]\ntitle = "Northwind"\n[demos.fresh]\ntitle = "Fresh"\n')
    result = app.test_cli_runner().invoke(args=["demos", "import", str(backup)])
    assert result.exit_code == 0, result.output
    assert "added: fresh, northwind" in result.output
    [warning] = [line for line in result.output.splitlines() if "warning" in line]
    assert warning.startswith(f"{backup}: warning: demo 'northwind' takes the slug of a deleted demo")
    made = svc.calllog.calls("northwind")[0].created_at.astimezone(UTC)
    assert f"last used {made:%Y-%m-%d %H:%M} UTC" in warning
    assert "its calls and ended links on record show under this one" in warning
    assert svc.demos.get("northwind").title == "Northwind"
