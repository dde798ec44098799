"""Demo pages, share links through the browser API, the call log and the sales index, with the
stand-in API behind the app over real HTTP."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.share_links import recorded
from tests.tokens import tampered
from webcall import ROOT, create_app
from webcall.api import UPSTREAM_LIMIT_SLACK_SECONDS

from .conftest import REP_EMAIL, SALES_PASSWORD, csrf, link_for, ready_account, sign_in

pytestmark = pytest.mark.unit

AVA = "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41"
LENA = "7d2e9a40-5b1c-4f3e-8c6d-2b9f0e1a7c53"
PASSWORD = SALES_PASSWORD


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


# -- demo pages ----------------------------------------------------------------------------


def test_a_public_demo_page_shows_its_brand_language_and_element(client):
    r = client.get("/demo/northwind")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert 'data-brand="company">Northwind Dental<' in html and "/static/demos/northwind.svg" in html
    assert 'lang="en"' in html and "What are your opening hours?" in html
    tag = r'<itellico-call\s+demo="northwind"\s+mode="voice"\s+lang="en"\s+agent-lang="en"\s+theme="light"'
    assert re.search(tag, html)
    assert 'max-call-seconds="300"' in html and "link=" not in html
    assert "<script>" not in html and "style=" not in html  # a strict CSP needs neither
    assert r.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(("slug", "language"), [("northwind", "en"), ("alpenblick", "de")])
def test_a_demo_page_preloads_its_languages_catalogue(client, slug, language):
    # The element fetches only its language's catalogue, English included (static/js/i18n.js): asked
    # for from the HTML, it loads alongside the element's code instead of one round trip after it.
    html = client.get(f"/demo/{slug}").get_data(as_text=True)
    assert f'<link rel="modulepreload" href="/static/js/i18n/{language}.js">' in html


def metas(html: str) -> dict[str, str]:
    found = re.findall(r'<meta (?:name|property)="([^"]+)" content="([^"]*)">', html)
    return {key: value for key, value in found if key != "robots" and key != "viewport"}


def test_a_shared_public_demo_link_unfurls_with_its_title_and_brand(client, svc):
    # Slack, Teams, LinkedIn and mail clients show a pasted link from these (Open Graph).
    demo = svc.demos.get("northwind")
    assert metas(client.get("/demo/northwind").get_data(as_text=True)) == {
        "color-scheme": "light dark",
        "description": demo.description,
        "og:type": "website",
        "og:title": demo.title,
        "og:description": demo.description,
        "og:site_name": "Northwind Dental",
        "og:url": "http://localhost/demo/northwind",  # an SVG logo is no preview image: none
    }
    table = {"title": "Acme", "brand": {"company": "Acme", "logo": "https://cdn.example.com/acme.png"}}
    svc.demos.save("acme", table, "test")
    assert (
        metas(client.get("/demo/acme").get_data(as_text=True))["og:image"]
        == "https://cdn.example.com/acme.png"
    )
    svc.demos.save("acme", {**table, "brand": {"company": "Acme", "logo": "/static/demos/acme.png"}}, "test")
    found = metas(client.get("/demo/acme").get_data(as_text=True))
    assert found["og:image"] == "http://localhost/static/demos/acme.png" and "description" not in found
    # A link-only demo's page names nothing, in a preview neither.
    assert metas(client.get("/demo/alpenblick").get_data(as_text=True)) == {"color-scheme": "light dark"}
    # The click-to-talk page unfurls as its demo, the default.
    found = metas(client.get("/").get_data(as_text=True))
    assert found["og:title"] == svc.demos.get(None).title and found["og:url"] == "http://localhost/"


def test_brand_css_carries_the_accent(client):
    r = client.get("/demo/northwind/brand.css")
    assert r.status_code == 200 and r.mimetype == "text/css"
    assert "--itellico-accent: #0f766e;" in r.get_data(as_text=True)


def test_unknown_demo_is_a_friendly_404(client, standin):
    r = client.get("/demo/nope")
    assert r.status_code == 404 and 'data-reason="unknown"' in r.get_data(as_text=True)
    assert client.get("/demo/nope/brand.css").status_code == 404


def test_link_only_demo_page_is_a_neutral_shell_with_its_notices(client, standin):
    # The server cannot see the link (it is in the fragment): the page's script checks it and shows
    # the content, or one of these notices (tests/e2e/test_sales_demos.py drives that in Chromium).
    r = client.get("/demo/alpenblick")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'data-access="link-only"' in html and 'lang="de"' in html
    assert "Alpenblick" not in html and "Fragen Sie zum Beispiel" in html  # the page's own words only
    assert re.search(r"<itellico-call[^>]* hidden", html)
    for reason in ("link_only", "tampered", "expired"):
        assert (
            f'<template data-unavailable="{reason}"><main class="page unavailable" data-reason="{reason}"'
            ' lang="de">' in html  # in the demo's language (tests/unit/test_demo_link_notices.py)
        )
    assert "/static/js/pages/demo.js" in html


# -- creating calls with links -------------------------------------------------------------


def test_a_call_from_a_link_sends_the_demo_agent_and_fixed_plus_link_variables(client, svc, standin):
    link = recorded(svc, name="Maria")
    r = client.post("/api/calls", json={"demo": "alpenblick", "link": link.token})
    assert r.status_code == 201, r.get_json()
    (sent,) = standin.creates()
    assert sent["agent_id"] == LENA
    assert sent["test_variables"] == {"company": "Alpenblick Hotels", "name": "Maria"}
    # No admin overrides: only the demo's longest call (5 minutes; itellico's end a little later).
    assert sent["overrides"] == {"agent": {"max_duration_seconds": 300 + 15 + UPSTREAM_LIMIT_SLACK_SECONDS}}
    record = svc.calllog.call(r.get_json()["call_id"])
    assert record.demo == "alpenblick" and record.link_id == link.link_id and record.mode == "voice"
    assert record.outcome == "created"


def test_page_variables_cannot_override_the_link(client, svc, standin):
    link = recorded(svc, slug="northwind", name="Maria")
    r = client.post(
        "/api/calls", json={"demo": "northwind", "link": link.token, "variables": {"name": "Evil"}}
    )
    assert r.status_code == 201
    assert standin.creates()[0]["test_variables"] == {"company": "Northwind Dental", "name": "Maria"}


def test_page_variables_only_through_the_allowlist(client, standin):
    r = client.post("/api/calls", json={"demo": "northwind", "variables": {"company": "Evil"}})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid_request"
    r = client.post("/api/calls", json={"demo": "northwind", "variables": {"name": "x" * 61}})
    assert r.status_code == 400
    assert standin.creates() == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"demo": "alpenblick"}, 403, "link_required"),
        ({"demo": "alpenblick", "link": "garbage.token"}, 403, "link_invalid"),
    ],
)
def test_link_only_demo_refuses_creates_without_a_valid_link(client, standin, body, status, code):
    r = client.post("/api/calls", json=body)
    assert r.status_code == status and r.get_json()["error"]["code"] == code
    assert standin.creates() == []


def test_tampered_and_expired_links_create_nothing(client, svc, standin):
    token = recorded(svc, name="Maria").token
    r = client.post("/api/calls", json={"demo": "alpenblick", "link": tampered(token)})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "link_invalid"
    r = client.post("/api/calls", json={"demo": "alpenblick", "link": recorded(svc, exp_in=-1).token})
    assert r.status_code == 410 and r.get_json()["error"]["code"] == "link_expired"
    r = client.post("/api/calls", json={"demo": "northwind", "link": token})  # another demo's link
    assert r.status_code == 403
    assert standin.creates() == []
    assert svc.calllog.calls() == []


def test_a_failed_create_is_logged_with_its_outcome(client, svc, standin):
    standin.fault(mode="server_error", status=500)
    r = client.post("/api/calls", json={"demo": "northwind"})
    assert r.status_code == 502
    (record,) = svc.calllog.calls()
    assert record.outcome == "failed:upstream_unavailable" and record.call_id is None


def test_the_summary_completes_the_log(client, svc, standin):
    created = client.post("/api/calls", json={"demo": "northwind"}).get_json()
    r = client.get(f"/api/calls/{created['call_id']}", headers={"X-Call-Handle": created["handle"]})
    assert r.status_code == 200
    record = svc.calllog.call(created["call_id"])
    assert record.status == r.get_json()["status"] and record.status is not None


# -- the sales index -----------------------------------------------------------------------


def test_the_index_is_off_without_an_account(settings, tmp_path):
    app = create_app({"settings": replace(settings, demos_file=str(ROOT / "demos.toml")), "TESTING": True})
    client = app.test_client()
    for path in ("/demos", "/demos/login"):
        r = client.get(path)
        assert r.status_code == 404 and 'data-reason="sales_off"' in r.get_data(as_text=True)
    assert client.post("/demos/login", data={"password": "x"}).status_code == 404


def test_the_index_refuses_without_the_password(client, app):
    ready_account(app)
    r = client.get("/demos")
    assert r.status_code == 302 and r.headers["Location"].partition("?")[0] == "/demos/login"
    token = csrf(client.get("/demos/login").get_data(as_text=True))
    r = client.post("/demos/login", data={"email": REP_EMAIL, "password": "wrong password!", "csrf": token})
    assert r.status_code == 401 and "do not match" in r.get_data(as_text=True)
    assert client.get("/demos").status_code == 302


def test_login_needs_the_csrf_token(client, app):
    ready_account(app)
    client.get("/demos/login")
    signed = {"email": REP_EMAIL, "password": PASSWORD}
    assert client.post("/demos/login", data=signed).status_code == 400
    assert client.post("/demos/login", data={**signed, "csrf": "forged"}).status_code == 400
    assert client.get("/demos").status_code == 302


def test_the_session_cookie_is_httponly_lax_and_secure_over_https(client, app):
    ready_account(app)
    token = csrf(client.get("/demos/login").get_data(as_text=True))
    r = client.post("/demos/login", data={"email": REP_EMAIL, "password": PASSWORD, "csrf": token})
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = app.test_client()
    token = csrf(secure.get("/demos/login", base_url="https://demo.example").get_data(as_text=True))
    r = secure.post(
        "/demos/login",
        data={"email": REP_EMAIL, "password": PASSWORD, "csrf": token},
        base_url="https://demo.example",
    )
    assert r.status_code == 302 and "Secure" in r.headers["Set-Cookie"]


def test_signed_in_index_lists_demos_and_logs_calls_per_link(client, svc, standin):
    link = link_for(svc, name="Maria")
    svc.calllog.add_link(link, "Maria at Alpenblick", created_by="cli")
    created = client.post("/api/calls", json={"demo": "alpenblick", "link": link.token}).get_json()
    standin.app.extensions["standin"]["store"].update(created["call_id"], {"event": "participant_joined"})
    standin.app.extensions["standin"]["store"].update(
        created["call_id"], {"event": "ended", "reason": "participant_left"}
    )
    sign_in(client)
    r = client.get("/demos")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    for slug in ("default", "northwind", "alpenblick"):
        assert f'id="demo-{slug}"' in html
    row = re.search(rf'<tr id="link-{link.link_id}".*?</tr>', html, re.S).group(0)
    assert "Maria at Alpenblick" in row and re.search(r'data-col="calls"><a href="[^"]+">1</a></td>', row)
    assert link.token in row
    # The visit asked itellico nothing; the worker's fallback (or a webhook) completes the open call.
    assert svc.calllog.call(created["call_id"]).status == "in_progress"
    from webcall.refresh import refresh_open_calls

    refresh_open_calls(client.application)
    record = svc.calllog.call(created["call_id"])
    assert record.status == "completed" and record.duration_seconds is not None
    assert f'data-call-id="{created["call_id"]}"' in html


def test_the_link_form_makes_a_working_link(client, svc, standin):
    sign_in(client)
    html = client.get("/demos").get_data(as_text=True)
    r = client.post(
        "/demos/alpenblick/links",
        data={"csrf": csrf(html), "label": "Acme meeting", "var_name": "Jonas", "expires": "2d"},
    )
    assert r.status_code == 302
    (stored,) = svc.calllog.links("alpenblick")
    assert stored.label == "Acme meeting" and stored.variables == {"name": "Jonas"}
    assert r.headers["Location"] == f"/demos#link-{stored.link_id}"
    html = client.get("/demos").get_data(as_text=True)
    row = re.search(rf'<tr id="link-{stored.link_id}"[^>]*>', html).group(0)
    assert 'class="is-new"' in row
    assert svc.links.check(stored.token, "alpenblick").link.vars == {"name": "Jonas"}
    assert client.post("/api/demos/alpenblick/link", json={"link": stored.token}).status_code == 200


def test_a_link_made_to_a_date_ends_with_that_day_in_the_reps_zone(client, svc):
    # The page sends the browser's zone with the form (static/js/pages/studio.js).
    sign_in(client)
    html = client.get("/demos").get_data(as_text=True)
    assert html.count('name="tz"') >= 2  # the make-link form and each link's extend form
    day = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    form = {"csrf": csrf(html), "label": "Vienna", "var_name": "Jonas", "expires": day, "tz": "Europe/Vienna"}
    assert client.post("/demos/alpenblick/links", data=form).status_code == 302
    (stored,) = svc.calllog.links("alpenblick")
    ends = stored.expires_at.astimezone(ZoneInfo("Europe/Vienna"))
    assert ends.strftime("%Y-%m-%d %H:%M:%S") == f"{day} 23:59:59"
    later = (datetime.now(UTC) + timedelta(days=40)).date().isoformat()
    extend = {"csrf": csrf(html), "expires": later, "tz": "America/New_York"}
    assert client.post(f"/demos/links/{stored.link_id}/extend", data=extend).status_code in (302, 303)
    (stored,) = svc.calllog.links("alpenblick")
    ends = stored.expires_at.astimezone(ZoneInfo("America/New_York"))
    assert ends.strftime("%Y-%m-%d %H:%M:%S") == f"{later} 23:59:59"


def test_the_link_form_refuses_without_csrf_and_reports_bad_expiry(client, svc):
    sign_in(client)
    assert client.post("/demos/alpenblick/links", data={"var_name": "X"}).status_code == 400
    html = client.get("/demos").get_data(as_text=True)
    form = {"csrf": csrf(html), "label": "Acme, 12 May", "var_name": "Jonas", "expires": "soon"}
    r = client.post("/demos/alpenblick/links", data=form)
    assert r.status_code == 400
    # Said beside the form it is about, with what the rep typed still in it (it was a redirect that
    # emptied the form).
    card = re.search(
        r'<section class="demo-card" id="demo-alpenblick".*?</form>', r.get_data(as_text=True), re.S
    )
    assert "use e.g. 30m" in card.group(0) and 'role="alert"' in card.group(0)
    for value in ("Acme, 12 May", "Jonas", "soon"):
        assert f'value="{value}"' in card.group(0), value
    assert svc.calllog.links() == []
    assert "use e.g. 30m" not in client.get("/demos").get_data(as_text=True)  # said once


def test_link_form_is_not_open_without_signing_in(client, svc):
    r = client.post("/demos/alpenblick/links", data={"var_name": "X"})
    assert r.status_code == 302 and r.headers["Location"].partition("?")[0] == "/demos/login"
    assert svc.calllog.links() == []


def test_logout(client):
    sign_in(client)
    html = client.get("/demos").get_data(as_text=True)
    out = client.post("/demos/logout", data={"csrf": csrf(html)})
    assert out.status_code == 302
    # The sign-in page says the sign-out happened (it showed a bare form, as if nothing was done), once.
    said = client.get(out.headers["Location"]).get_data(as_text=True)
    assert "You are signed out." in said
    assert "You are signed out." not in client.get("/demos/login").get_data(as_text=True)
    assert client.get("/demos").status_code == 302


def test_a_page_sent_to_sign_in_says_so_and_leaves_the_sign_out_notice_to_its_own_page(client):
    """Another tab's page (a save, a link) that lands on the sign-in page just after a sign-out says
    where the rep will go on; "You are signed out." stays for the tab that signed out."""
    sign_in(client)
    html = client.get("/demos").get_data(as_text=True)
    out = client.post("/demos/logout", data={"csrf": csrf(html)})
    elsewhere = client.get("/demos/login?next=/demos/new").get_data(as_text=True)
    assert "Sign in to go on where you were." in elsewhere and "You are signed out." not in elsewhere
    assert "You are signed out." in client.get(out.headers["Location"]).get_data(as_text=True)


def test_formatting():
    from datetime import UTC, datetime, timedelta

    from webcall.formatting import ago, duration

    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert ago(now - timedelta(hours=3, minutes=5), now) == "3 h ago"
    assert ago(now - timedelta(seconds=20), now) == "just now"
    assert ago(None) == "never"
    # No duration is the en dash every studio table shows for "none" (a hyphen stood beside them).
    assert [duration(s) for s in (None, 45, 240, 245, 3900)] == [
        "\N{EN DASH}",
        "45 s",
        "4 min",
        "4 min 5 s",
        "1 h 5 min",
    ]


@pytest.mark.parametrize(
    ("status", "outcome", "shown"),
    [
        ("in_progress", "created", "In progress"),
        ("completed", "created", "Completed"),
        ("no_answer", "created", "No answer"),  # a status itellico adds later still reads as words
        (None, "created", "Started"),
        (None, "failed:upstream_timeout", "Did not start: itellico did not answer in time"),
        (None, "failed:something_new", "Did not start: something new"),
    ],
)
def test_a_call_status_in_words(status, outcome, shown):
    from webcall.formatting import call_status

    assert call_status(status, outcome) == shown


def test_a_call_still_open_after_the_refresh_window_says_no_report_came():
    # Nothing asks itellico about a call after 24 h (CallLog.refresh_open): "In progress" three days
    # later was never true (itellico forgot the call, or no webhook came).
    from webcall.formatting import call_status

    now = datetime(2026, 3, 5, 12, tzinfo=UTC)
    assert call_status("in_progress", "created", now - timedelta(hours=23), now) == "In progress"
    assert call_status("in_progress", "created", now - timedelta(hours=25), now) == "No report from itellico"
    assert call_status(None, "created", now - timedelta(days=3), now) == "No report from itellico"
    assert call_status("completed", "created", now - timedelta(days=3), now) == "Completed"
    assert call_status(None, "failed:upstream_timeout", now - timedelta(days=3), now).startswith(
        "Did not start"
    )
