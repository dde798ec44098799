"""Property-based fuzzing of the studio's links and calls (Hypothesis): the calls list's filters, the
CSV export, call detail ids, and the revoke and extend forms, signed in, with the stand-in behind the
app over real HTTP. No answer may be a 5xx; every CSV cell that could be a formula is defused."""

from __future__ import annotations

import csv
import io
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .rig import sign_in, studio_app

pytestmark = pytest.mark.fuzz

FUZZ = settings(
    max_examples=250,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FILTER_KEYS = st.sampled_from(["demo", "link", "rep", "from", "to", "x"])
dates = st.dates().map(lambda d: d.isoformat())
filter_values = st.one_of(st.text(max_size=300), dates, st.sampled_from(["northwind", "alpenblick", ""]))


@pytest.fixture(scope="module")
def studio(standin_server, tmp_path_factory):
    db = tmp_path_factory.mktemp("fuzz-studio") / "calls.sqlite3"
    app = studio_app(
        standin_server,
        database_url=f"sqlite:///{db}",
        rate_limit_per_ip="1000000/minute",
        rate_limit_per_demo="1000000/minute",
    )
    svc = app.extensions["webcall"]
    # Labels and owners that look like formulas and markup, and calls on them.
    for label in ("=1+1", "<script>x</script>", "+cmd", "plain"):
        link = svc.links.issue(svc.demos.get("alpenblick"), {"name": label[:60]}, int(time.time()) + 3600)
        svc.calllog.add_link(link, label, created_by="web", owner="@" + label)
        created = app.test_client().post("/api/calls", json={"demo": "alpenblick", "link": link.token})
        assert created.status_code == 201, created.get_json()
    client, token = sign_in(app)
    return client, token, [link.link_id for link in svc.calllog.links()]


@FUZZ
@given(query=st.dictionaries(FILTER_KEYS, filter_values, max_size=5))
def test_calls_list_filters(studio, query):
    client, _, _ = studio
    r = client.get("/demos/calls", query_string=query)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert "<script>x</script>" not in r.get_data(as_text=True)


@FUZZ
@given(query=st.dictionaries(FILTER_KEYS, filter_values, max_size=5))
def test_calls_csv(studio, query):
    client, _, _ = studio
    r = client.get("/demos/calls.csv", query_string=query)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    for row in list(csv.reader(io.StringIO(r.get_data(as_text=True))))[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), row


@FUZZ
@given(call_id=st.text(min_size=1, max_size=200).filter(lambda s: "/" not in s and s not in (".", "..")))
def test_call_detail_ids(studio, call_id):
    client, _, _ = studio
    r = client.get(f"/demos/calls/{call_id}")
    assert r.status_code in (200, 404), r.get_data(as_text=True)[:300]


@FUZZ
@given(
    action=st.sampled_from(["extend", "revoke"]),
    which=st.integers(min_value=0, max_value=4),
    form=st.dictionaries(st.sampled_from(["expires", "csrf", "x"]), st.text(max_size=80), max_size=3),
    keep_csrf=st.booleans(),
)
def test_revoke_and_extend_forms(studio, action, which, form, keep_csrf):
    client, token, link_ids = studio
    link_id = link_ids[which] if which < len(link_ids) else "no-such-link"
    if keep_csrf:
        form = {**form, "csrf": token}
    r = client.post(f"/demos/links/{link_id}/{action}", data=form, follow_redirects=True)
    assert r.status_code < 500, r.get_data(as_text=True)[:300]
