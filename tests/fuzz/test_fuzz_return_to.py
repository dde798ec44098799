"""Property-based fuzzing of where the sign-in page leads back to (`?next=`, webcall/return_to.py):
whatever a crafted link carries, a signed-in rep is only ever sent to a page of this same site, and
the sign-in page never fails on it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from webcall.return_to import studio_page

from .rig import sign_in, studio_app

pytestmark = pytest.mark.fuzz

SITE = "https://app.example"
FUZZ = settings(
    max_examples=600,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text shaped like the tricks: starts a studio path, then anything, including what browsers read as
# another host (slashes, backslashes, tabs and newlines they drop, percent escapes, userinfo).
tricky = st.text(alphabet=st.sampled_from(list("/\\@:.%2e5cCfF\t\n\r ?#&=evil")), max_size=30)
nexts = st.one_of(
    st.text(max_size=60),
    st.builds(lambda tail: "/demos" + tail, tricky),
    st.builds(
        lambda head, tail: head + tail,
        st.sampled_from(["//", "/\\", "https:", "javascript:", "/demos/"]),
        tricky,
    ),
)


@pytest.fixture(scope="module")
def studio(standin_server) -> Iterator[dict[str, Any]]:
    app = studio_app(standin_server)
    client, _ = sign_in(app)
    yield {"app": app, "client": client}


def same_site(location: str) -> bool:
    """Whether a browser on SITE following `location` stays on SITE. Read as browsers read it (the URL
    Standard): tabs and newlines dropped, outer spaces and controls trimmed, a backslash a slash."""
    read = re.sub(r"[\t\n\r]", "", location).strip("".join(map(chr, range(0x21)))).replace("\\", "/")
    resolved = urlsplit(urljoin(f"{SITE}/demos/login", read))
    return resolved.scheme == "https" and resolved.netloc == "app.example"


@FUZZ
@given(raw=nexts)
@example(raw="/demos\\@evil.example")
@example(raw="/demos/%2e%2e/%2e%2e//evil.example")
@example(raw="/demos\t//evil.example")
@example(raw="/demos/calls?q=a b&x=ü")
def test_any_next_leads_a_signed_in_rep_only_to_this_site(studio, raw):
    with studio["app"].test_request_context():
        kept = studio_page(raw)
    assert kept is None or (kept.startswith("/demos") and same_site(kept)), kept
    answer = studio["client"].get("/demos/login", query_string={"next": raw})
    assert answer.status_code == 302  # signed in already: on to the page, or the index
    assert same_site(answer.headers["Location"]), answer.headers["Location"]
    if kept is None:
        assert answer.headers["Location"] == "/demos"


@FUZZ
@given(raw=nexts)
def test_the_sign_in_page_takes_any_next(studio, raw):
    client = studio["app"].test_client()
    page = client.get("/demos/login", query_string={"next": raw})
    assert page.status_code == 200
    refused = client.post("/demos/login", query_string={"next": raw}, data={"email": "x", "password": "y"})
    assert refused.status_code in (400, 401, 429)  # no token here: 400; never a 5xx
