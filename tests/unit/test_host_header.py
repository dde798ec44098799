"""A Host header the client made up never becomes an address the app sends back.

Werkzeug's routing redirects (a doubled slash merged, a missing trailing slash added) are absolute
URLs built from the request's Host, and a 308 is cacheable by default: `GET /demo//northwind` with
`Host: evil.example` answered `Location: http://evil.example/demo/northwind` (an audit, 2026-12-05).
The shipped nginx config also drops requests for names it does not serve (tests/e2e/test_tls_proxy.py).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from webcall import create_app

pytestmark = pytest.mark.unit

PATHS = ["/demo//northwind", "/static//css/page.css", "/demos//calls", "/embed//northwind", "/api//calls"]


@pytest.mark.parametrize("environment", ["production", "development"])
def test_no_routing_redirect_carries_the_requests_host(settings, environment):
    app = create_app(
        {"settings": replace(settings, environment=environment, public_url="https://demo.example.com")}
    )
    client = app.test_client()
    for path in PATHS:
        answer = client.get(path, headers={"Host": "evil.example"})
        assert "evil.example" not in answer.headers.get("Location", ""), (path, answer.status_code)
        assert answer.status_code == 404, (path, answer.status_code)
    # No rule ends in a slash (but "/"), so Werkzeug never adds one by a redirect either.
    assert [r.rule for r in app.url_map.iter_rules() if r.rule.endswith("/") and r.rule != "/"] == []


# Hosts Werkzeug cannot read (a DNS label over 63 letters, an empty label): it raises BadHost before the
# app binds its URLs. The shipped nginx passes such a Host on a request in absolute form
# (`GET http://<server name>/ HTTP/1.1`: the server is chosen from the URI, the Host header forwarded).
BAD_HOSTS = ["a" * 64 + ".example", "demo..example.com"]


@pytest.mark.parametrize("host", BAD_HOSTS)
def test_a_host_that_cannot_be_read_is_refused_with_the_sites_notice_not_a_crash(settings, host, caplog):
    """It was a 500 with Werkzeug's bare page and a 70-line traceback per request: the notice page's
    own `url_for` failed, there being no URLs bound (an audit, 2026-12-06)."""
    app = create_app(
        {"settings": replace(settings, environment="production", public_url="https://demo.example.com")}
    )
    client = app.test_client()
    for path in ["/", "/demo/northwind", "/embed/northwind", "/healthz", "/widget.js", "/nope"]:
        answer = client.get(path, headers={"Host": host})
        page = answer.get_data(as_text=True)
        assert answer.status_code == 400, (path, answer.status_code, page[:200])
        assert "This request could not be served" in page, (path, page[:200])
        assert "host.invalid" not in page and host not in page  # its links are paths
    refused = client.post("/api/calls", json={}, headers={"Host": host})
    assert refused.status_code == 400 and refused.json["error"]["code"] == "invalid_request"
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []
