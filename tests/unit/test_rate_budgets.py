"""What one client can make the app ask itellico is bounded, and anonymous traffic cannot shut out a
rep's prospect.

- Summary reads per client IP: handles pile up (one per create, each with its own per-call limit), so
  per call alone one address reached hundreds of itellico GETs a minute.
- Creates through a valid share link have a budget per link, apart from the demo's anonymous pool:
  a handful of addresses used the pool up and every visitor, prospects included, got 429.

The upstream requests are counted where they leave the app: an httpx transport in front of the real
one, talking to the stand-in over real HTTP.
"""

from __future__ import annotations

import re
import threading
from dataclasses import replace

import httpx
import limits
import pytest
from prometheus_client import REGISTRY

from tests.share_links import recorded
from webcall import create_app
from webcall.ratelimit import SUMMARY_LIMIT, SUMMARY_READS_PER_CALL, per_ip_summary_limit

pytestmark = pytest.mark.unit

CALL_PATH = re.compile(r"^/v1/accounts/[^/]+/calls(/[^/]+)?$")


class CountingTransport(httpx.BaseTransport):
    """The real transport, counting each call read and create that goes through it."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append((request.method, request.url.path))
        return self.inner.handle_request(request)

    def call_reads(self) -> int:
        return sum(1 for method, path in self.requests if method == "GET" and _call_read(path))

    def creates(self) -> int:
        return sum(1 for method, path in self.requests if method == "POST" and CALL_PATH.match(path))


def _call_read(path: str) -> bool:
    match = CALL_PATH.match(path)
    return bool(match and match.group(1))


def amount(limit: str) -> int:
    return limits.parse(limit).amount


def from_ip(address: str) -> dict[str, dict[str, str]]:
    return {"environ_base": {"REMOTE_ADDR": address}}


def app_with(settings, transport=None, **changes):
    config = {"settings": replace(settings, **changes)}
    if transport is not None:
        config["itellico_transport"] = transport
    return create_app(config)


# --- summary reads -----------------------------------------------------------------------------------


def test_one_client_cannot_make_unbounded_summary_reads_upstream(settings, standin):
    # As the audit did: one address makes the calls its per-IP budget allows, then reads every call's
    # summary round after round. Each read stays within its call's own limit, so before, every one of
    # them was an itellico GET (and one address had ~350 answered within 2 s).
    transport = CountingTransport()
    client = app_with(settings, transport).test_client()
    attacker = from_ip("192.0.2.10")
    creates = amount(settings.rate_limit_per_ip)
    calls = [client.post("/api/calls", json={}, **attacker).get_json() for _ in range(creates)]
    per_call = amount(SUMMARY_LIMIT) - 1
    codes = [
        client.get(
            f"/api/calls/{c['call_id']}", headers={"X-Call-Handle": c["handle"]}, **attacker
        ).status_code
        for _ in range(per_call)
        for c in calls
    ]
    bound = creates * SUMMARY_READS_PER_CALL
    assert len(codes) > 2 * bound
    assert transport.call_reads() <= bound
    assert codes.count(200) == bound and set(codes) == {200, 429}
    # Another visitor's page still reads its own call.
    visitor = from_ip("192.0.2.11")
    mine = client.post("/api/calls", json={}, **visitor).get_json()
    read = client.get(f"/api/calls/{mine['call_id']}", headers={"X-Call-Handle": mine["handle"]}, **visitor)
    assert read.status_code == 200


def test_the_per_client_summary_limit_leaves_room_for_an_office_of_pages(settings, standin):
    # Behind one office NAT: as many calls as the address may create in a minute, each hung up and
    # polled the way the page polls (api-client.js pollCall: at once, then after 0.5, 1, 2 and 4 s
    # while the call still says in_progress: five reads at most).
    client = app_with(settings).test_client()
    office = from_ip("198.51.100.7")
    creates = amount(settings.rate_limit_per_ip)
    calls = [client.post("/api/calls", json={}, **office).get_json() for _ in range(creates)]
    codes = [
        client.get(f"/api/calls/{c['call_id']}", headers={"X-Call-Handle": c["handle"]}, **office).status_code
        for c in calls
        for _poll in range(5)
    ]
    assert codes == [200] * len(codes)


def test_the_per_client_summary_limit_follows_the_per_ip_create_limit(settings, standin):
    # An operator who raises WEBCALL_RATE_LIMIT_PER_IP for a big office raises its summary reads too.
    app = app_with(settings, rate_limit_per_ip="3/minute;50/hour")
    with app.test_request_context("/api/calls/x"):
        assert per_ip_summary_limit() == "18 per 1 minute;300 per 1 hour"


def test_a_refused_summary_read_says_when_to_come_back_and_costs_no_upstream_read(settings, standin):
    transport = CountingTransport()
    client = app_with(settings, transport, rate_limit_per_ip="2/minute").test_client()
    me = from_ip("192.0.2.20")
    calls = [client.post("/api/calls", json={}, **me).get_json() for _ in range(2)]
    bound = 2 * SUMMARY_READS_PER_CALL
    before = REGISTRY.get_sample_value("webcall_rate_limited_requests_total", {"scope": "summary-ip"}) or 0.0
    answers = [
        client.get(f"/api/calls/{c['call_id']}", headers={"X-Call-Handle": c["handle"]}, **me)
        for c in (calls * bound)[: bound + 3]
    ]
    reads = transport.call_reads()
    refused = answers[-1]
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert reads == bound
    after = REGISTRY.get_sample_value("webcall_rate_limited_requests_total", {"scope": "summary-ip"}) or 0.0
    assert after - before == 3


# --- creates through share links -----------------------------------------------------------------


def link_token(app, slug: str = "northwind", exp_in: int = 3600) -> str:
    return recorded(app.extensions["webcall"], slug, exp_in).token  # signed and recorded, as reps' are


def test_anonymous_creates_cannot_shut_a_prospects_link_out(settings, standin):
    # Each address within its own budget, together they use up the public demo's pool; a prospect
    # with a rep's link still gets a call.
    transport = CountingTransport()
    app = app_with(settings, transport, demos_file="demos.toml", rate_limit_per_demo="3/minute")
    client = app.test_client()
    anonymous = [
        client.post("/api/calls", json={"demo": "northwind"}, **from_ip(f"192.0.2.{i}")) for i in range(5)
    ]
    assert [r.status_code for r in anonymous] == [201, 201, 201, 429, 429]
    prospect = client.post(
        "/api/calls", json={"demo": "northwind", "link": link_token(app)}, **from_ip("203.0.113.5")
    )
    assert prospect.status_code == 201, prospect.get_json()
    assert transport.creates() == 4


def test_each_link_has_a_bounded_budget_of_its_own(settings, standin):
    transport = CountingTransport()
    app = app_with(settings, transport, demos_file="demos.toml", rate_limit_per_demo="3/minute")
    client = app.test_client()
    first, second = link_token(app), link_token(app)
    per_link = amount(settings.rate_limit_per_ip)  # a link may create as many as one client IP

    def create(token: str, i: int) -> int:
        body = {"demo": "northwind", "link": token}
        return client.post("/api/calls", json=body, **from_ip(f"198.51.100.{i}")).status_code

    # From many addresses (a leaked link): the link's budget, not the per-IP one, stops it.
    refusals = ("webcall_rate_limited_requests_total", {"scope": "create-link"})
    before = REGISTRY.get_sample_value(*refusals) or 0.0
    codes = [create(first, i) for i in range(per_link + 2)]
    assert codes == [201] * per_link + [429, 429]
    assert (REGISTRY.get_sample_value(*refusals) or 0.0) - before == 2  # counted as the link's own
    assert create(second, 99) == 201
    # Link creates did not spend the anonymous pool.
    pool = [
        client.post("/api/calls", json={"demo": "northwind"}, **from_ip(f"192.0.2.{i}")) for i in range(4)
    ]
    assert [r.status_code for r in pool] == [201, 201, 201, 429]
    assert transport.creates() == per_link + 1 + 3


def test_a_link_only_demos_links_do_not_share_one_pool(settings, standin):
    app = app_with(settings, demos_file="demos.toml", rate_limit_per_demo="2/minute")
    client = app.test_client()
    tokens = [link_token(app, "alpenblick") for _ in range(4)]
    codes = [
        client.post(
            "/api/calls", json={"demo": "alpenblick", "link": t}, **from_ip(f"203.0.113.{i}")
        ).status_code
        for i, t in enumerate(tokens)
    ]
    assert codes == [201] * 4


def test_forged_and_foreign_links_meet_the_public_pool(settings, standin):
    # Only a link signed for the demo it is sent with has a budget of its own: anything else an
    # anonymous client sends is refused by the pool (or by the link check) like any anonymous create.
    transport = CountingTransport()
    app = app_with(settings, transport, demos_file="demos.toml", rate_limit_per_demo="1/minute")
    client = app.test_client()
    assert client.post("/api/calls", json={"demo": "northwind"}, **from_ip("192.0.2.1")).status_code == 201
    forged = link_token(app)[:-4] + "AAAA"
    foreign = link_token(app, "alpenblick")  # genuine, for another demo
    for i, token in enumerate([forged, foreign, "x.y.z"]):
        body = {"demo": "northwind", "link": token}
        assert client.post("/api/calls", json=body, **from_ip(f"192.0.2.{10 + i}")).status_code == 429
    assert transport.creates() == 1


def test_an_expired_links_attempts_spend_no_budget(settings, standin):
    # Genuine but expired: refused before anything goes upstream, so neither the link's budget nor
    # the pool is spent by knocking with it.
    app = app_with(settings, demos_file="demos.toml", rate_limit_per_demo="1/minute")
    client = app.test_client()
    expired = link_token(app, exp_in=-10)
    codes = [
        client.post(
            "/api/calls", json={"demo": "northwind", "link": expired}, **from_ip(f"192.0.2.{i}")
        ).status_code
        for i in range(amount(settings.rate_limit_per_ip) + 2)
    ]
    assert set(codes) == {410}
    assert client.post("/api/calls", json={"demo": "northwind"}, **from_ip("192.0.2.99")).status_code == 201
