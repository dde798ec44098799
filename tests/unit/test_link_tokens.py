"""A share link's token reveals nothing about the prospect: the links the studio and the CLI hand out
name their link only, their variables and expiry come from the link's row (webcall/links.py). Old
tokens, which carry everything, keep opening. Each check reads the link's row once."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import event

from tests.share_links import decoded, old_token
from tests.tokens import tampered
from webcall.link_store import LinkStore
from webcall.settings import Settings

from .conftest import csrf, link_for, sign_in

pytestmark = pytest.mark.unit

PROSPECT = "Quaxwell"  # found in nothing else a token could hold


@pytest.fixture
def app(make_sales_app):
    return make_sales_app(public_url="https://demo.example.com")


def check(client, token: str, slug: str = "alpenblick"):
    return client.post(f"/api/demos/{slug}/link", json={"link": token})


def create(client, token: str, slug: str = "alpenblick"):
    return client.post("/api/calls", json={"demo": slug, "link": token})


def assert_reveals_nothing(token: str) -> None:
    assert PROSPECT not in decoded(token) and PROSPECT not in token
    # A typical link (alpenblick, one name) was 144 characters; its token is now about 70.
    assert len(token) <= 72, token


def test_a_link_from_the_studio_form_reveals_no_prospect_detail(client, svc, standin):
    sign_in(client)
    html = client.get("/demos").get_data(as_text=True)
    form = {"csrf": csrf(html), "label": "Q", "var_name": PROSPECT, "expires": "2d"}
    assert client.post("/demos/alpenblick/links", data=form).status_code == 302
    (stored,) = svc.calllog.links("alpenblick")
    assert stored.variables == {"name": PROSPECT}
    html = client.get("/demos").get_data(as_text=True)
    (token,) = set(re.findall(r"#link=([A-Za-z0-9_.-]+)", html))  # the URL the rep copies
    assert token == stored.token
    assert_reveals_nothing(token)
    # The prospect's name still reaches the call: from the link's row.
    assert check(client, token).status_code == 200
    assert create(client, token).status_code == 201
    assert standin.creates()[0]["test_variables"]["name"] == PROSPECT


def test_a_link_from_the_cli_reveals_no_prospect_detail(app, svc):
    result = app.test_cli_runner().invoke(
        args=["demos", "link", "alpenblick", "--expires", "7d", "--var", f"name={PROSPECT}"]
    )
    assert result.exit_code == 0, result.output
    token = parse_qs(urlsplit(result.stdout.strip()).fragment)["link"][0]
    assert_reveals_nothing(token)
    assert svc.links.check(token, "alpenblick").link.vars == {"name": PROSPECT}


def test_a_signed_token_without_a_row_is_refused_like_a_forged_one(client, svc, standin):
    unrecorded = link_for(svc, name=PROSPECT).token  # signed with the app's key, row never written
    for token in (unrecorded, tampered(unrecorded)):
        r = check(client, token)
        assert r.status_code == 403 and r.json["error"]["code"] == "link_invalid" and "contact" not in r.json
        r = create(client, token)
        assert r.status_code == 403 and r.json["error"]["code"] == "link_invalid"
    assert standin.creates() == []


def test_an_old_token_still_opens_and_calls_with_its_variables(client, svc, settings: Settings, standin):
    token = old_token(settings.secret_key, "alpenblick", {"name": "Maria"}, int(time.time()) + 3600)
    assert "Maria" in decoded(token)  # what this change is about: old links show it
    assert check(client, token).status_code == 200
    r = create(client, token)
    assert r.status_code == 201, r.json
    assert standin.creates()[0]["test_variables"] == {"company": "Alpenblick Hotels", "name": "Maria"}
    expired = old_token(settings.secret_key, "alpenblick", {"name": "Maria"}, int(time.time()) - 60)
    assert check(client, expired).json["error"]["code"] == "link_expired"
    assert create(client, tampered(token)).json["error"]["code"] == "link_invalid"


@pytest.mark.parametrize("form", ["new", "old"])
def test_revoke_and_extend_work_for_both_forms(client, svc, settings: Settings, standin, form):
    now = int(time.time())
    if form == "new":
        link = link_for(svc, exp_in=60, name="Maria")
        token = link.token
    else:  # an old link the database knows (links made since revision 0002 have rows)
        link = link_for(svc, exp_in=60, name="Maria")
        token = old_token(settings.secret_key, "alpenblick", {"name": "Maria"}, now + 60, link.link_id)
    svc.calllog.add_link(link, "Maria", created_by="web", owner="rep@example.com")
    store = LinkStore(svc.calllog.engine)
    store.extend(link.link_id, now - 5)  # shortened: ended
    assert check(client, token).json["error"]["code"] == "link_expired"
    store.extend(link.link_id, now + 7 * 86400)  # extended past what an old token says
    assert check(client, token).status_code == 200
    assert svc.links.check(token, "alpenblick", now=now + 3600).valid
    assert create(client, token).status_code == 201
    assert standin.creates()[0]["test_variables"]["name"] == "Maria"
    store.revoke(link.link_id, by="rep@example.com")
    assert check(client, token).json["error"]["code"] == "link_revoked"
    assert create(client, token).json["error"]["code"] == "link_revoked"
    assert len(standin.creates()) == 1


class LinkReads:
    """The statements that read the links' table, on the app's database."""

    def __init__(self, engine) -> None:
        self.statements: list[str] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement: str, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM webcall_links" in statement:
            self.statements.append(statement)


def test_a_link_check_and_a_create_read_the_links_row_once(client, svc, standin):
    svc.accounts.add("rep@example.com", "a long rep password", name="Anna Berger")
    link = link_for(svc, name="Maria")
    svc.calllog.add_link(link, "Maria", created_by="web", owner="rep@example.com")
    reads = LinkReads(svc.calllog.engine)
    r = check(client, link.token)
    assert r.status_code == 200 and r.json["contact"]["name"] == "Anna Berger"  # the owner, same read
    assert len(reads.statements) == 1, reads.statements
    reads.statements.clear()
    assert create(client, link.token).status_code == 201
    assert len(reads.statements) == 1, reads.statements
