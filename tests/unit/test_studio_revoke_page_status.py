"""The "Revoke…" confirmation page says a link's status as its row on /demos says it (docs/sales.md,
"Links in the studio").

The page printed the row's own status (`active, expires …`), so a link whose key was removed from
WEBCALL_SECRET_KEY_FALLBACKS, shown as stopped on /demos, read as active one click later. The apps
here share one database (make_sales_app's), as a restart of the same deployment does.
"""

from __future__ import annotations

import re
from html import unescape

import pytest

from .conftest import link_for, sign_in
from .test_studio_key_changed_links import NEW_KEY, STOPPED, made_under_old_key, row, status_cell

pytestmark = pytest.mark.unit


def facts(page: str) -> str:
    """The confirmation's line of facts (demo, owner, status), as text."""
    line = re.search(r"<p>Demo <code>.*?</p>", page, re.S)
    assert line, page
    return " ".join(unescape(re.sub(r"<[^>]+>", "", line.group(0))).split())


def confirmation(app, link_id: str) -> str:
    client = app.test_client()
    sign_in(client)
    confirm = client.get(f"/demos/links/{link_id}/revoke")
    assert confirm.status_code == 200
    return confirm.get_data(as_text=True)


def pages(app, link_id: str) -> tuple[str, str]:
    """The link's status cell on /demos and the facts of its Revoke… page, as one rep sees them."""
    client = app.test_client()
    sign_in(client)
    index = status_cell(row(client.get("/demos").get_data(as_text=True), link_id))
    return index, facts(confirmation(app, link_id))


def test_a_link_whose_key_was_removed_reads_stopped_on_its_revoke_page(make_sales_app):
    link = made_under_old_key(make_sales_app)
    index, confirm = pages(make_sales_app(secret_key=NEW_KEY), link.link_id)
    assert index == STOPPED
    assert confirm.endswith(f"· {STOPPED}") and "active" not in confirm, confirm
    # Its holder already meets "not valid" (the signature is checked first), not "withdrawn".
    page = confirmation(make_sales_app(secret_key=NEW_KEY), link.link_id)
    assert "already opens nothing" in page and "sees that it was withdrawn" not in page


@pytest.mark.parametrize("exp_in, word", [(3600, "active until "), (-60, "expired ")])
def test_an_active_or_expired_link_reads_as_its_row_does(make_sales_app, exp_in, word):
    app = make_sales_app()
    svc = app.extensions["webcall"]
    link = link_for(svc, exp_in=exp_in, name="Maria")
    svc.calllog.add_link(link, "Maria", created_by="web", owner="ann@example.com")
    index, confirm = pages(app, link.link_id)
    assert index.startswith(word)
    # The same words and the same time (the row's "when": a <time> in the rep's zone).
    assert confirm.endswith(f"· {index}"), (index, confirm)
