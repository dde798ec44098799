"""The widget's server side: its public config, the framed /embed page, the loader URL, shared assets."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from webcall import create_app
from webcall.demo_schema import DemoConfigError, parse_profiles

pytestmark = pytest.mark.unit

SITE = "https://www.customer.example"
OTHER = "https://shop.customer.example"
EVIL = "https://evil.example"
AGENT = "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41"

DEMOS = f"""
[demos.dentist]
title = "Dental receptionist"
agent_id = "{AGENT}"
display_name = "Ava"
language = "de"
default_mode = "text"
consent_text = "Processed by an AI agent."
max_call_minutes = 3
allowed_origins = ["{SITE}", "{OTHER}"]
[demos.dentist.variables]
name = 40
[demos.dentist.test_variables]
company = "Northwind"
[demos.dentist.brand]
company = "Northwind Dental"
accent = "#0f766e"
theme = "dark"
[demos.dentist.widget]
label = "Ask Ava"
position = "bottom-left"

[demos.closed]
title = "Not embeddable"
"""


@pytest.fixture
def client(settings, tmp_path):
    path = tmp_path / "demos.toml"
    path.write_text(DEMOS)
    return create_app({"settings": replace(settings, demos_file=str(path))}).test_client()


def test_widget_config_for_an_allowed_origin_carries_the_profile_defaults(client, standin):
    response = client.get("/api/demos/dentist/widget", headers={"Origin": SITE})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    assert "Origin" in response.headers["Vary"]
    assert response.get_json() == {
        "demo": "dentist",
        "title": "Ava",
        "agent_name": "Ava",
        "language": "de",
        "mode": "text",
        "theme": "dark",
        "accent": "#0f766e",
        "company": "Northwind Dental",
        "label": "Ask Ava",
        "position": "bottom-left",
        "consent_text": "Processed by an AI agent.",
        "max_call_seconds": 180,
        "link_only": False,
        "variables": {"name": 40},
    }
    assert standin.creates() == []  # reading the config never creates a call


def test_widget_config_tells_any_other_origin_why_and_nothing_else(client, standin):
    response = client.get("/api/demos/dentist/widget", headers={"Origin": EVIL})
    assert response.status_code == 403
    assert response.get_json() == {
        "error": {
            "code": "origin_not_allowed",
            "message": "Calls are not allowed from this website.",
            "request_id": response.headers["X-Request-ID"],  # nothing else: the reference to quote
        }
    }
    assert response.headers["Access-Control-Allow-Origin"] == "*"  # readable, so the widget can say so
    unknown = client.get("/api/demos/nope/widget", headers={"Origin": SITE})
    assert unknown.status_code == 404 and unknown.get_json()["error"]["code"] == "unknown_demo"
    # Same-origin pages (the /embed frame) need no listing.
    assert client.get("/api/demos/closed/widget").status_code == 200
    assert client.get("/api/demos/closed/widget", headers={"Origin": SITE}).status_code == 403
    assert standin.creates() == []


def test_embed_page_may_be_framed_only_by_the_demos_origins(client):
    response = client.get("/embed/dentist")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert re.search(r"frame-ancestors ([^;]+)", csp).group(1) == f"{SITE} {OTHER}"
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = response.get_data(as_text=True)
    assert "<style" not in html and re.search(r"<script(?![^>]*\bsrc=)", html) is None  # no inline code
    assert 'src="/static/js/embed-frame.js"' in html
    assert 'mode="text"' in html and 'lang="de"' in html and 'theme="dark"' in html
    assert (
        "data-parent-origins='[&#34;https://www.customer.example&#34;, &#34;https://shop.customer.example&#34;]'"
        in html
    )


def test_every_page_names_its_icon(client):
    # Without one the browser asks for /favicon.ico, a 404 and a red console line on the embed page
    # opened on its own (the other pages have theirs from base.html).
    for path in ("/embed/dentist", "/embed/no-such-demo", "/"):
        html = client.get(path).get_data(as_text=True)
        icon = re.search(r'<link rel="icon" href="([^"]+)"', html)
        assert icon, path
        assert client.get(icon.group(1)).status_code == 200, path


def test_embed_page_honours_mode_and_refuses_framing_without_origins(client, settings, tmp_path):
    assert 'mode="voice"' in client.get("/embed/dentist?mode=voice").get_data(as_text=True)
    assert 'mode="text"' in client.get("/embed/dentist?mode=bogus").get_data(as_text=True)
    closed = client.get("/embed/closed")
    assert "frame-ancestors 'none'" in closed.headers["Content-Security-Policy"]
    # An unknown slug says so inside the owner's frame (nothing on it to click: below).
    missing = client.get("/embed/nope")
    assert missing.status_code == 404 and "frame-ancestors *" in missing.headers["Content-Security-Policy"]
    # Origins allowed for every demo (WEBCALL_ALLOWED_ORIGINS) may frame every demo.
    path = tmp_path / "demos2.toml"
    path.write_text(DEMOS)
    app = create_app({"settings": replace(settings, demos_file=str(path), allowed_origins=(EVIL,))})
    csp = app.test_client().get("/embed/closed").headers["Content-Security-Policy"]
    assert f"frame-ancestors {EVIL};" in csp or csp.endswith(f"frame-ancestors {EVIL}")


def test_loader_and_modules_are_loadable_from_other_origins(client):
    loader = client.get("/widget.js")
    assert loader.status_code == 200 and loader.mimetype == "text/javascript"
    assert loader.get_data() == client.get("/static/widget.js").get_data()
    assert "max-age=300" in loader.headers["Cache-Control"]
    for path in (
        "/widget.js",
        "/static/js/widget-panel.js",
        "/static/js/itellico-call.js",
        "/static/css/widget.css",
    ):
        assert client.get(path).headers["Access-Control-Allow-Origin"] == "*", path
    # Not the API, not pages: those keep their per-origin answers.
    assert "Access-Control-Allow-Origin" not in client.get("/embed/dentist").headers
    assert "Access-Control-Allow-Origin" not in client.get("/", headers={"Origin": EVIL}).headers


def test_widget_defaults_are_validated_like_every_other_setting():
    with pytest.raises(DemoConfigError) as error:
        parse_profiles(
            '[demos.x]\ntitle = "X"\n[demos.x.widget]\nposition = "top-middle"\ncolour = "red"\n',
            "demos.toml",
            AGENT,
        )
    problems = "\n".join(error.value.problems)
    assert "demo 'x': widget.position:" in problems
    assert "demo 'x': widget.colour: unknown setting" in problems
    profile = parse_profiles('[demos.x]\ntitle = "X"\n', "demos.toml", AGENT)["x"]
    assert profile.widget.label is None and profile.widget.position == "bottom-right"


def frame_ancestors(response) -> str:
    return re.search(r"frame-ancestors ([^;]+)", response.headers["Content-Security-Policy"]).group(1)


def test_a_slug_that_names_no_demo_may_be_framed_anywhere_and_offers_nothing_to_click(client):
    # A typo in an iframe's slug was answered with `frame-ancestors 'none'`: the frame showed "refused to
    # connect", which the docs explain as a demo without origins. Framing it anywhere is safe only while
    # it stays a page of words: nothing to click, nothing about any demo.
    missing = client.get("/embed/dentist-typo")
    assert missing.status_code == 404
    assert frame_ancestors(missing) == "*"
    html = missing.get_data(as_text=True)
    assert "There is no such demo." in html
    assert not re.search(r"<(script|a|form|button|input|iframe|itellico-call)\b", html), html
    assert "Dental receptionist" not in html and "dentist" not in html.replace("dentist-typo", "")
    # As every embed URL (it may carry a share link): no Referer leaves it, no cache keeps it.
    assert missing.headers["Referrer-Policy"] == "no-referrer"
    assert missing.headers["Cache-Control"] == "no-store"


def test_real_demos_keep_their_own_frame_ancestors(client):
    assert frame_ancestors(client.get("/embed/dentist")) == f"{SITE} {OTHER}"
    assert frame_ancestors(client.get("/embed/closed")) == "'none'"  # a demo without origins
    assert frame_ancestors(client.get("/")) == "'none'"  # our other pages
