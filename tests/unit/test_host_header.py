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
