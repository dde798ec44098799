"""Another site's page cannot spend the budgets of the visitors it is shown to (an audit, in Chromium too).

Any page can make its visitor's browser send requests that need no CORS preflight: a form post,
`fetch(url, {method: 'POST', mode: 'no-cors', body: 'x'})`, an `<img src=…/api/calls/x>`. The app refused
them (`origin_not_allowed`; no handle), but the per-IP limits had counted each first: ten such posts a
minute and the visitor's own call was refused 429, thirty and a link-only demo would not open, sixty
image loads and the summary read after the hang-up was refused (and with it the open-call place it
gives back). Refusals for the Origin, and reads without the call's handle, now count nothing; a client's
own bad requests still spend its own budget.
"""

from __future__ import annotations

import pytest

from tests.share_links import recorded
from webcall.embed import LINK_CHECK_LIMIT
from webcall.ratelimit import per_ip_summary_limit

from .test_rate_budgets import amount

pytestmark = pytest.mark.unit

VISITOR = {"environ_base": {"REMOTE_ADDR": "192.0.2.50"}}
FOREIGN = {"Origin": "https://evil.example"}


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def refused_for_origin(response) -> bool:
    return response.status_code == 403 and response.get_json()["error"]["code"] == "origin_not_allowed"


def test_another_sites_posts_leave_the_visitors_create_budget_alone(client, settings):
    for _ in range(amount(settings.rate_limit_per_ip) + 2):
        post = client.post("/api/calls", data="x", content_type="text/plain", headers=FOREIGN, **VISITOR)
        assert refused_for_origin(post)
    assert client.post("/api/calls", json={"demo": "northwind", "mode": "text"}, **VISITOR).status_code == 201


def test_a_clients_own_bad_creates_still_spend_its_budget(client, settings):
    answers = [
        client.post("/api/calls", json={"demo": "northwind", "mode": "fax"}, **VISITOR).status_code
        for _ in range(amount(settings.rate_limit_per_ip) + 1)
    ]
    assert set(answers[:-1]) == {400} and answers[-1] == 429


def test_another_sites_posts_leave_the_prospects_link_check_alone(client, svc):
    link = recorded(svc, name="Maria")
    for _ in range(amount(LINK_CHECK_LIMIT) + 2):
        post = client.post("/api/demos/alpenblick/link", data=link.token, headers=FOREIGN, **VISITOR)
        assert refused_for_origin(post)
    assert client.post("/api/demos/alpenblick/link", json={"link": link.token}, **VISITOR).status_code == 200


def test_reads_without_the_calls_handle_leave_the_visitors_summary_budget_alone(app, client, standin):
    call = client.post("/api/calls", json={"demo": "northwind", "mode": "text"}, **VISITOR).get_json()
    with app.app_context():
        budget = amount(per_ip_summary_limit())
    for _ in range(budget + 2):  # an <img> on another site: no Origin, no handle
        assert client.get(f"/api/calls/{call['call_id']}", **VISITOR).status_code == 403
    read = client.get(f"/api/calls/{call['call_id']}", headers={"X-Call-Handle": call["handle"]}, **VISITOR)
    assert read.status_code == 200
