"""Fuzz POST /webhooks/itellico: any body (signed or not), any header values. Never a 5xx; an
unsigned or wrongly signed body is 401 and stores nothing; a signed one is stored only when it is an
envelope of a known event, at most once per event_id; applying what was stored never raises."""

from __future__ import annotations

import itertools
import json
import time

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from webcall.tasks import run_pending, task_queue
from webcall.webhook_store import events
from webcall.webhook_work import KNOWN_EVENTS, STARTED
from webcall.webhooks import signature

from .rig import fuzz_app

pytestmark = pytest.mark.fuzz

SECRET = "fuzz-webhook-secret-0123456789"

# Valid JSON that st.text and json.dumps never make, and that once gave a 500: lone surrogates
# ("\ud800", which no UTF-8 column takes) and integers over Python's 4,300-digit parsing limit
# (HUGE_INT is replaced by one in the dumped text).
HUGE_INT = "<huge-int>"
surrogates = st.tuples(st.text(max_size=6), st.characters(categories=["Cs"]), st.text(max_size=6)).map(
    "".join
)


def texts(max_size: int) -> st.SearchStrategy[str]:
    return st.text(max_size=max_size) | surrogates


def dumps(value: object) -> bytes:
    return json.dumps(value).replace(f'"{HUGE_INT}"', "9" * 4301).encode()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts(40) | st.just(HUGE_INT),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
envelopes = st.fixed_dictionaries(
    {
        "event_id": st.one_of(texts(140), st.integers(), st.none()),
        "event_type": st.one_of(st.sampled_from(sorted(KNOWN_EVENTS)), texts(70)),
        "data": st.one_of(
            st.fixed_dictionaries(
                {
                    "conversation_uuid": st.one_of(texts(70), st.integers(), st.none(), st.just(HUGE_INT)),
                    "status": json_values,
                    "duration_seconds": json_values,
                    "room_sid": json_values,
                }
            ),
            json_values,
        ),
    }
)
bodies = st.one_of(envelopes.map(dumps), json_values.map(dumps), st.binary(max_size=300))


@pytest.fixture(scope="module")
def app():
    return fuzz_app(lambda _request: httpx.Response(404), webhook_secret=SECRET)


# Refusals are limited per client IP (webcall/webhooks.py REFUSALS_PER_IP): each example comes from an
# address of its own, so every refusal here is the 401 it is (tests/unit/test_webhook_refusal_limit.py
# tests the limit).
_ADDRESSES = itertools.count(1)


def _new_address() -> dict[str, str]:
    n = next(_ADDRESSES)
    return {"REMOTE_ADDR": f"10.{n // 62500 % 250}.{n // 250 % 250}.{n % 250}"}


def _count(app) -> int:
    with app.extensions["webcall"].calllog.engine.connect() as db:
        return db.execute(select(func.count()).select_from(events)).scalar()


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    body=bodies,
    signed=st.booleans(),
    skew=st.integers(-1000, 1000),
    junk=st.text(st.characters(blacklist_characters="\r\n", codec="latin-1"), max_size=80),
)
@example(body=b"", signed=True, skew=-300, junk="")  # found by hypothesis: the edge of the tolerance
# Each was a 500; kept here, as few random bodies are both fresh and an event:
@example(body=dumps({"event_id": "\ud800", "event_type": STARTED, "data": {}}), signed=True, skew=0, junk="")
@example(
    body=dumps({"event_id": "e", "event_type": STARTED, "data": {"x": HUGE_INT}}),
    signed=True,
    skew=0,
    junk="",
)
def test_any_body_and_headers(app, body, signed, skew, junk):
    stamp = str(int(time.time()) + skew)
    sent = signature(SECRET, body, stamp) if signed else junk
    headers = {"X-Itellico-Signature": sent, "X-Itellico-Timestamp": stamp if signed else junk}
    before = _count(app)
    answer = app.test_client().post(
        "/webhooks/itellico", data=body, headers=headers, environ_base=_new_address()
    )
    assert answer.status_code < 500
    after = _count(app)
    # A stamp a whole number of seconds away is older by a fraction more when the app reads the clock:
    # one at the edge of the 300 s tolerance may fall on either side of it.
    at_edge = signed and 299 <= abs(skew) <= 301 and answer.status_code == 401
    if not signed or abs(skew) > 301 or at_edge:
        assert answer.status_code == 401 and after == before
    elif answer.status_code == 202:
        assert after == before + 1
    else:
        assert answer.status_code in (200, 400) and after == before
    run_pending(task_queue(app).huey)  # whatever was stored applies without raising
