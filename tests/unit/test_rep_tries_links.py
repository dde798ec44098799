"""A rep who tries a share link in a browser signed in to the studio (before sending it, or after it
ended to see what the prospect sees) is not the link's prospect: such a check is not counted as the
prospect opening the link after it ended (which tells the rep "extend it"), and such a call is the demo's,
not counted on the link (/demos said the prospect had called; with webhooks the rep was told "your
prospect's call ended"). From a studio audit; the rule is webcall/link_opens.py's `from_a_rep`."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from webcall.calllog import calls

from .conftest import link_for, sign_in
from .test_link_refused_opens import check, refusal_rows

pytestmark = pytest.mark.unit


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def stored_link(svc, exp_in: int):
    link = link_for(svc, exp_in=exp_in, name="Maria")
    svc.calllog.add_link(link, "Maria at Alpenblick", created_by="web", owner="ann@example.com")
    return link


def logged_links(svc) -> list[str | None]:
    with svc.calllog.engine.connect() as db:
        return [row.link_id for row in db.execute(select(calls.c.link_id).order_by(calls.c.id))]


def test_a_reps_look_at_an_ended_link_is_not_the_prospect_opening_it(app, svc):
    link = stored_link(svc, exp_in=-3600)
    rep = app.test_client()
    sign_in(rep)
    assert check(rep, link.token).status_code == 410  # the rep sees what the prospect would see
    assert refusal_rows(svc) == []
    prospect = app.test_client()
    assert check(prospect, link.token).status_code == 410
    assert [r["opens"] for r in refusal_rows(svc)] == [1]


def test_a_reps_try_of_a_link_is_the_demos_call_not_the_links(app, svc, standin):
    link = stored_link(svc, exp_in=3600)
    rep = app.test_client()
    sign_in(rep)
    body = {"demo": "alpenblick", "link": link.token}
    tried = rep.post("/api/calls", json=body)
    assert tried.status_code == 201, tried.json
    assert standin.creates()[-1]["test_variables"]["name"] == "Maria"  # the link's call, as the prospect's
    assert logged_links(svc) == [None]
    assert app.test_client().post("/api/calls", json=body).status_code == 201
    assert logged_links(svc) == [None, link.link_id]
