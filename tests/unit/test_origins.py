"""Same-origin behind a TLS proxy: production judges it by WEBCALL_PUBLIC_URL, never the Host header;
`make run` keeps working on http://127.0.0.1:PORT and http://localhost:PORT."""

from __future__ import annotations

import runpy
from dataclasses import replace

import pytest

from webcall import create_app
from webcall.settings import Settings, SettingsError

pytestmark = pytest.mark.unit

PUBLIC = "https://demo.example.com"
KEY = {"ITELLICOAI_API_KEY": "k", "ITELLICOAI_AGENT_ID": "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41"}


def production(settings, **changes):
    changes = {"environment": "production", "public_url": PUBLIC, "trusted_proxy_hops": 1, **changes}
    return create_app({"settings": replace(settings, **changes)}).test_client()


def test_own_page_behind_a_tls_proxy_may_call(settings, standin):
    client = production(settings)
    # nginx sent no X-Forwarded-Proto (or the hop count is off): Flask sees http://, the browser https://.
    response = client.post("/api/calls", json={}, headers={"Origin": PUBLIC})
    assert response.status_code == 201, response.get_json()
    summary = client.get(
        f"/api/calls/{response.get_json()['call_id']}",
        headers={"Origin": PUBLIC, "X-Call-Handle": response.get_json()["handle"]},
    )
    assert summary.status_code == 200


def test_production_ignores_the_host_header_for_same_origin(settings, standin):
    # DNS rebinding: the attacker's name points at us, so Origin and Host agree, but neither is ours.
    client = production(settings)
    evil = "http://evil.example"
    response = client.post("/api/calls", json={}, headers={"Origin": evil}, base_url=evil)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "origin_not_allowed"
    preflight = client.options("/api/calls", headers={"Origin": evil}, base_url=evil)
    assert preflight.status_code == 403
    assert standin.creates() == []


@pytest.mark.parametrize("origin", ["http://127.0.0.1:5000", "http://localhost:5000"])
def test_development_works_on_loopback_names(settings, standin, origin):
    client = create_app({"settings": settings}).test_client()
    response = client.post("/api/calls", json={}, headers={"Origin": origin}, base_url=origin)
    assert response.status_code == 201, response.get_json()


def test_development_refuses_a_rebound_name(settings, standin):
    client = create_app({"settings": settings}).test_client()
    evil = "http://evil.example:5000"
    assert client.post("/api/calls", json={}, headers={"Origin": evil}, base_url=evil).status_code == 403


BASE_ENV = {
    "ITELLICOAI_API_KEY": "k",
    "ITELLICOAI_AGENT_ID": "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41",
    "WEBCALL_SECRET_KEY": "s" * 32,
    "WEBCALL_ENV": "production",
}


def test_production_with_an_https_public_url_needs_trusted_hops():
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({**BASE_ENV, "WEBCALL_PUBLIC_URL": PUBLIC})
    message = str(raised.value)
    assert "\n" not in message and "WEBCALL_TRUSTED_PROXY_HOPS" in message and PUBLIC in message
    ok = Settings.from_env({**BASE_ENV, "WEBCALL_PUBLIC_URL": PUBLIC, "WEBCALL_TRUSTED_PROXY_HOPS": "1"})
    assert ok.trusted_proxy_hops == 1
    # Development, or a plain-http public URL, has no proxy to trust.
    Settings.from_env({**BASE_ENV, "WEBCALL_ENV": "development", "WEBCALL_PUBLIC_URL": PUBLIC})
    Settings.from_env({**BASE_ENV, "WEBCALL_PUBLIC_URL": "http://10.0.0.5:5000"})
    # A scheme is case-insensitive (RFC 3986): `HTTPS://` is https too (it started without a word).
    for shouted in ("HTTPS://demo.example.com", "Https://demo.example.com"):
        with pytest.raises(SettingsError, match="WEBCALL_TRUSTED_PROXY_HOPS"):
            Settings.from_env({**BASE_ENV, "WEBCALL_PUBLIC_URL": shouted})


def test_gunicorn_binds_loopback_unless_told_otherwise(monkeypatch, tmp_path):
    # With trusted hops, X-Forwarded-* from anyone who can reach the port would be believed.
    monkeypatch.delenv("HOST", raising=False)
    # Or the config makes (and this process keeps) a metrics folder of its own in /tmp.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.setenv("WEBCALL_TRUSTED_PROXY_HOPS", "1")
    monkeypatch.setenv("WEBCALL_ENV", "production")
    assert runpy.run_path("gunicorn.conf.py")["bind"].startswith("127.0.0.1:")


def test_forwarded_headers_without_trusted_hops_are_reported_once(settings, standin, caplog):
    # The shape start-up cannot see (no https WEBCALL_PUBLIC_URL): a proxy in front, hops left at 0.
    import logging

    client = create_app({"settings": replace(settings, environment="production")}).test_client()
    proxied = {"X-Forwarded-For": "198.51.100.9", "X-Forwarded-Proto": "https"}
    with caplog.at_level(logging.WARNING, logger="webcall.security"):
        for _ in range(3):
            client.get("/healthz", headers=proxied)
    lines = [r.getMessage() for r in caplog.records if "X-Forwarded" in r.getMessage()]
    assert len(lines) == 1 and lines[0].startswith("OPERATOR:") and "WEBCALL_TRUSTED_PROXY_HOPS" in lines[0]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="webcall.security"):
        trusted = create_app({"settings": replace(settings, trusted_proxy_hops=1)}).test_client()
        trusted.get("/healthz", headers=proxied)
    assert not [r for r in caplog.records if "X-Forwarded" in r.getMessage()]


# -- allowed origins as a browser writes them ----------------------------------------------------

# What a website owner types, and the Origin header their visitors' browsers send for that site.
AS_SENT = [
    ("https://www.acme.example", "https://www.acme.example"),
    ("https://www.acme.example/", "https://www.acme.example"),
    ("HTTPS://WWW.Acme.Example", "https://www.acme.example"),
    ("https://www.acme.example:443", "https://www.acme.example"),
    ("http://localhost:80/", "http://localhost"),
    ("http://localhost:8000", "http://localhost:8000"),
    ("https://münchen.example", "https://xn--mnchen-3ya.example"),
    ("http://[::1]:8080", "http://[::1]:8080"),
    ("  https://shop.acme.example  ", "https://shop.acme.example"),
]
NOT_ORIGINS = [
    "ftp://acme.example",
    "https://acme.example/shop",
    "https://user@acme.example",
    "acme.example",
    "https://acme.example?x=1",
    "https://acme.example:0",
    "https://",
    # A host no browser can have: the Origin header never equals it, so the site is never allowed.
    "https://acme .example",
    "https://acme..example",
    "https://<acme>.example",
]


@pytest.mark.parametrize(("typed", "sent"), AS_SENT)
def test_an_allowed_origin_is_kept_as_a_browser_sends_it(settings, standin, typed, sent):
    # An origin kept as typed ("https://WWW.Acme.Example:443") never equalled the Origin header a
    # browser sends for that site, so the widget there was refused, with nothing saying why.
    from webcall.demo_schema import validate_tables

    model = validate_tables({"acme": {"title": "Acme", "allowed_origins": [typed]}}, [], "test")["acme"]
    assert model.allowed_origins == [sent]
    allowed = Settings.from_env({**KEY, "WEBCALL_ALLOWED_ORIGINS": typed}).allowed_origins
    assert allowed == (sent,)
    client = production(settings, allowed_origins=allowed)  # development takes loopback names as its own
    preflight = client.options(
        "/api/calls", headers={"Origin": sent, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == sent


@pytest.mark.parametrize("typed", NOT_ORIGINS)
def test_what_is_not_an_origin_is_refused_by_both(typed):
    from webcall.demo_schema import DemoConfigError, validate_tables

    with pytest.raises(DemoConfigError, match="is not an origin"):
        validate_tables({"acme": {"title": "Acme", "allowed_origins": [typed]}}, [], "test")
    with pytest.raises(SettingsError, match="WEBCALL_ALLOWED_ORIGINS"):
        Settings.from_env({**KEY, "WEBCALL_ALLOWED_ORIGINS": typed})


def test_the_public_address_counts_as_the_browser_writes_it(settings, standin):
    # WEBCALL_PUBLIC_URL typed with capitals or a default port made every call from our own pages a
    # 403 origin_not_allowed in production: the browser's Origin header never equalled it.
    client = production(settings, public_url="https://Demo.Example.com:443")
    response = client.post("/api/calls", json={}, headers={"Origin": PUBLIC})
    assert response.status_code == 201, response.get_json()
