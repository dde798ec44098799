"""Metric labels stay bounded whatever visitors and itellico send (Hypothesis): any create body
(demo names included), any X-Request-ID and Origin, any upstream status. Afterwards every label
value of every webcall_* series is one of a fixed set, never a call id, an IP or text from a
request, and each response's request id is the proxy's sane one or a fresh one."""

from __future__ import annotations

import re

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from webcall import metrics
from webcall.errors import ErrorCode
from webcall.itellico_errors import UpstreamErrorKind

from .rig import fuzz_app
from .test_fuzz_endpoints import create_bodies

pytestmark = pytest.mark.fuzz

TOKEN = "fuzz-metrics-token-0123456789"
SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")
FRESH = re.compile(r"[0-9a-f]{32}")


class Upstream:
    def __init__(self) -> None:
        self.status = 201

    def answer(self, request: httpx.Request) -> httpx.Response:
        join = {"token": "a.b.c", "livekit_url": "wss://lk.example"}
        call = {"id": f"call-{request.headers.get('X-Request-ID')}", "status": "in_progress", "join": join}
        return httpx.Response(self.status, json=call if self.status < 300 else {"code": "x"})


@pytest.fixture(scope="module")
def rig():
    upstream = Upstream()
    app = fuzz_app(
        upstream.answer,
        demos_file="demos.toml",
        trusted_proxy_hops=1,
        metrics_token=TOKEN,
        # Low enough that the fuzzing reaches the limits too.
        rate_limit_per_ip="40/minute",
        rate_limit_per_demo="30/minute",
    )
    # The registry is the process's: series other tests' apps made (their own demos) are theirs.
    return app, upstream, series(scrape(app))


def scrape(app) -> str:
    return (
        app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).get_data(as_text=True)
    )


def series(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        if family.name.startswith("webcall_")
        for sample in family.samples
    }


request_ids = st.one_of(
    st.none(),
    st.text(max_size=80),
    st.from_regex(SANE, fullmatch=True),
    st.text(alphabet="ab12._-", min_size=60, max_size=70),  # around the length limit
)
origins = st.one_of(st.none(), st.sampled_from(["https://evil.example", "http://127.0.0.1", "null"]))
addresses = st.ip_addresses(v=4).map(str)


@settings(
    max_examples=400,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=create_bodies,
    request_id=request_ids,
    origin=origins,
    address=addresses,
    status=st.sampled_from([201, 400, 401, 404, 422, 429, 500, 503]),
)
def test_labels_stay_bounded_and_request_ids_sane(rig, body, request_id, origin, address, status):
    app, upstream, _before = rig
    upstream.status = status
    headers = {"X-Forwarded-For": address}
    if request_id is not None:
        headers["X-Request-ID"] = request_id
    if origin is not None:
        headers["Origin"] = origin
    try:
        response = app.test_client().post("/api/calls", json=body, headers=headers)
    except ValueError:  # the test client refuses to send a header with a newline; so would HTTP
        return
    answered = response.headers["X-Request-ID"]
    if request_id is not None and SANE.fullmatch(request_id):
        assert answered == request_id
    else:
        assert FRESH.fullmatch(answered), answered


def test_after_the_fuzzing_every_label_value_is_from_a_fixed_set(rig):
    """Scrapes the app's own /metrics after the fuzzer above (file order), and after a few requests
    of its own, so it also stands alone: a create, an unknown demo, a bad body, a demo over its limit."""
    app, upstream, before = rig
    upstream.status = 201
    client = app.test_client()
    for index, body in enumerate(
        [{}, {"demo": "nope-" + "x" * 50}, {"mode": "video"}] + [{"demo": "default"}] * 31
    ):
        client.post("/api/calls", json=body, headers={"X-Forwarded-For": f"198.51.100.{index}"})
    demos = {demo.slug for demo in app.extensions["webcall"].demos} | {metrics.UNKNOWN}
    kinds = {kind.value for kind in UpstreamErrorKind}
    allowed = {
        "demo": demos,
        "outcome": {"created", "ok", "other", *(code.value for code in ErrorCode), *kinds},
        "result": {"created", "failed"},
        "operation": {*metrics.UPSTREAM_OPERATIONS, "other"},
        "reason": {*kinds, "other"},
        "scope": {*metrics.RATE_LIMIT_SCOPES, "other"},
        "operation_calllog": {*metrics.CALLLOG_OPERATIONS, "other"},
        "le": {*(str(float(b)) for b in metrics.LATENCY_BUCKETS), "+Inf"},
    }
    # Every series this module's requests made or moved.
    moved = [key for key, value in series(scrape(app)).items() if before.get(key) != value]
    seen: dict[str, set[str]] = {}
    for name, labels in moved:
        if name == "webcall_build_info":
            continue
        for label, value in labels:
            key = "operation_calllog" if name.startswith("webcall_calllog") else label
            assert value in allowed[key], (name, label, value)
            seen.setdefault(key, set()).add(value)
    # The checks saw the interesting cases: several outcomes, a limit, an unknown demo.
    assert {"created", "unknown_demo", "invalid_request"} <= seen["outcome"]
    assert "create-demo" in seen["scope"]
    assert {"default", metrics.UNKNOWN} <= seen["demo"]
