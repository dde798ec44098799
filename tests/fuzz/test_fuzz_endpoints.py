"""Property-based fuzzing of every JSON and form endpoint (Hypothesis): well over 10,000
generated requests in all, with the stand-in behind the app over real HTTP. No answer may be a
5xx, and every JSON error must have the documented shape. The JSON endpoints' body rules are fuzzed
too: other content types are 415, bodies over the limit 413, deep nesting 400 (never a 500)."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .rig import sign_in, studio_app

pytestmark = pytest.mark.fuzz

EXAMPLES = 1700  # per endpoint
LINK_FORM_EXAMPLES = 400  # each one also renders /demos, which is slower
TOTAL = 6 * EXAMPLES + LINK_FORM_EXAMPLES  # 10,600 requests at least (the body-rule fuzzers add more)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
REQUESTS = {"count": 0}

# Valid JSON that st.text never makes: a lone surrogate ("\ud800", escaped by json.dumps), which no UTF-8
# encoder takes. In a page variable's value it once reached the itellico client and gave a 500.
surrogates = st.tuples(st.text(max_size=6), st.characters(categories=["Cs"]), st.text(max_size=6)).map(
    "".join
)


def texts(max_size: int) -> st.SearchStrategy[str]:
    return st.text(max_size=max_size) | surrogates


json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
known_keys = st.sampled_from(["demo", "mode", "initial_text", "variables", "link", "agent_id", "overrides"])
create_bodies = st.one_of(
    json_values,
    st.dictionaries(known_keys, json_values, max_size=5),
    st.fixed_dictionaries(
        {},
        optional={
            "demo": st.sampled_from(["default", "northwind", "alpenblick", "nope", ""])
            | st.text(max_size=70),
            "mode": st.sampled_from(["voice", "text", "video"]),
            "initial_text": st.text(max_size=2100),
            "variables": st.dictionaries(st.text(max_size=70), texts(300), max_size=4),
            "link": st.text(max_size=300),
        },
    ),
)


@pytest.fixture(scope="module")
def fuzz_app(standin_server):
    app = studio_app(standin_server, rate_limit_per_ip="1000000/minute", rate_limit_per_demo="1000000/minute")
    yield app
    assert REQUESTS["count"] >= TOTAL >= 10_000  # the promised volume was really sent


def check(response) -> None:
    REQUESTS["count"] += 1
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    if response.mimetype == "application/json" and response.status_code >= 400:
        body = response.get_json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "request_id"}, body
        assert re.fullmatch(r"[a-z_]+", body["error"]["code"])
        assert body["error"]["request_id"] == response.headers["X-Request-ID"]


@FUZZ
@given(body=create_bodies)
def test_create_call_json(fuzz_app, body):
    check(fuzz_app.test_client().post("/api/calls", json=body))


VARIABLE_EXAMPLES = 300


@settings(FUZZ, max_examples=VARIABLE_EXAMPLES)
@given(
    variables=st.dictionaries(
        st.sampled_from(["name", "company"]) | texts(70), texts(80) | json_scalars, max_size=3
    ),
    mode=st.sampled_from(["voice", "text"]),
)
def test_create_call_page_variables(fuzz_app, variables, mode):
    # A demo that allows a page variable (northwind: `name`, 60 characters), so values that pass the
    # rule go upstream: whatever the values hold, a create is 201 or a documented 4xx, never a 500.
    body = {"demo": "northwind", "mode": mode, "variables": variables}
    response = fuzz_app.test_client().post("/api/calls", json=body)
    check(response)
    assert response.status_code in (201, 400), response.get_data(as_text=True)[:300]


@FUZZ
@given(
    raw=st.binary(max_size=300),
    content_type=st.sampled_from(["application/json", "text/plain", "", "application/x-www-form-urlencoded"]),
)
def test_create_call_raw_bytes(fuzz_app, raw, content_type):
    check(fuzz_app.test_client().post("/api/calls", data=raw, content_type=content_type))


BODY_RULES_EXAMPLES = 300  # per rule below; each body is built to hit one rule
JSON_TYPES = ["application/json", "application/json; charset=utf-8", "Application/JSON"]
OTHER_TYPES = [
    "text/plain",
    "text/plain;charset=UTF-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/merge-patch+json",
    "",
]
API_POSTS = ["/api/calls", "/api/demos/northwind/link", "/api/demos/alpenblick/link"]
# The link check has a fixed per-IP limit (30/minute): each of these requests comes from a new address.
_ADDRESSES = itertools.count(1)


def new_ip() -> dict[str, dict[str, str]]:
    n = next(_ADDRESSES)
    return {"environ_base": {"REMOTE_ADDR": f"10.{n // 62500 % 250}.{n // 250 % 250}.{n % 250}"}}


@settings(FUZZ, max_examples=BODY_RULES_EXAMPLES)
@given(path=st.sampled_from(API_POSTS), content_type=st.sampled_from(OTHER_TYPES), body=json_values)
def test_json_api_refuses_other_content_types(fuzz_app, path, content_type, body):
    # Even a body that is valid JSON: only application/json opens the API (a text/plain POST needs no
    # CORS preflight, so a foreign site could send it).
    import json

    response = fuzz_app.test_client().post(path, data=json.dumps(body), content_type=content_type, **new_ip())
    check(response)
    assert response.status_code == 415, (content_type, response.status_code)


@settings(FUZZ, max_examples=BODY_RULES_EXAMPLES)
@given(
    path=st.sampled_from(API_POSTS),
    content_type=st.sampled_from(JSON_TYPES),
    extra=st.integers(min_value=1, max_value=400_000),
)
def test_json_api_refuses_bodies_over_the_limit(fuzz_app, path, content_type, extra):
    from webcall.bodies import MAX_BODY_BYTES

    raw = b'{"initial_text": "' + b"x" * (MAX_BODY_BYTES + extra) + b'"}'
    response = fuzz_app.test_client().post(path, data=raw, content_type=content_type, **new_ip())
    check(response)
    assert response.status_code == 413


@settings(FUZZ, max_examples=BODY_RULES_EXAMPLES)
@given(
    path=st.sampled_from(API_POSTS),
    depth=st.integers(min_value=500, max_value=30_000),
    opener=st.sampled_from(["[", '{"a":', '{"demo":[', '{"variables":{"x":']),
)
def test_json_api_refuses_deep_nesting_with_a_400(fuzz_app, path, depth, opener):
    closer = {"[": "]", '{"a":': "}", '{"demo":[': "]}", '{"variables":{"x":': "}}"}[opener]
    raw = opener * depth + "1" + closer * depth
    response = fuzz_app.test_client().post(path, data=raw, content_type="application/json", **new_ip())
    check(response)
    # Within the parser's depth it is JSON (then refused by the schema); beyond it, not JSON; a 413
    # when it no longer fits the body limit. Never a 500 from RecursionError.
    assert response.status_code in (400, 403, 404, 413, 429), response.status_code


@settings(FUZZ, max_examples=BODY_RULES_EXAMPLES)
@given(
    slug=st.sampled_from(["northwind", "alpenblick", "default", "nope"]) | st.text(min_size=1, max_size=20),
    body=json_values | st.fixed_dictionaries({"link": st.text(max_size=300) | json_values}),
)
def test_link_check(fuzz_app, slug, body):
    slug = slug.replace("/", "-").replace("?", "-").replace("#", "-")
    response = fuzz_app.test_client().post(f"/api/demos/{slug}/link", json=body, **new_ip())
    check(response)
    assert response.status_code in (400, 403, 404, 410, 415, 429), response.status_code


@FUZZ
@given(
    call_id=st.text(min_size=1, max_size=60).filter(lambda s: "/" not in s and "?" not in s and "#" not in s),
    handle=st.none() | st.text(max_size=120).filter(lambda s: "\n" not in s and "\r" not in s),
)
def test_call_summary(fuzz_app, call_id, handle):
    headers = (
        {} if handle is None else {"X-Call-Handle": handle.encode("latin-1", "ignore").decode("latin-1")}
    )
    check(fuzz_app.test_client().get(f"/api/calls/{call_id}", headers=headers))


@FUZZ
@given(
    origin=st.text(max_size=80)
    .filter(lambda s: "\n" not in s and "\r" not in s)
    .map(lambda s: s.encode("latin-1", "ignore").decode("latin-1")),
    method=st.sampled_from(["OPTIONS", "POST", "GET"]),
)
def test_cross_origin_requests(fuzz_app, origin, method):
    check(fuzz_app.test_client().open("/api/calls", method=method, headers={"Origin": origin}, json={}))


@FUZZ
@given(
    slug=st.text(min_size=1, max_size=40).filter(lambda s: "/" not in s and "?" not in s and "#" not in s),
    link=st.none() | st.text(max_size=200),
)
def test_demo_and_embed_pages(fuzz_app, slug, link):
    client = fuzz_app.test_client()
    query = {} if link is None else {"link": link}
    check(client.get(f"/demo/{slug}", query_string=query))
    REQUESTS["count"] -= 1  # two requests, one example
    check(client.get(f"/embed/{slug}"))


@FUZZ
@given(
    form=st.dictionaries(
        st.sampled_from(["email", "password", "csrf", "next"]), st.text(max_size=80), max_size=4
    )
)
def test_sales_login_form(fuzz_app, form):
    # From one address, so the sign-in limit's 429 answers are fuzzed too; the signed_in fixture
    # below comes from another.
    check(
        fuzz_app.test_client().post("/demos/login", data=form, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    )


@pytest.fixture(scope="module")
def signed_in(fuzz_app):
    return sign_in(fuzz_app)


@settings(FUZZ, max_examples=LINK_FORM_EXAMPLES)
@given(
    slug=st.sampled_from(["northwind", "alpenblick", "default", "nope"]),
    form=st.dictionaries(
        st.sampled_from(["expires", "label", "var_name", "var_company", "var_prospect", "csrf"]),
        st.text(max_size=120),
        max_size=5,
    ),
    keep_csrf=st.booleans(),
)
def test_share_link_form(fuzz_app, signed_in, slug, form, keep_csrf):
    client, token = signed_in
    if keep_csrf:
        form = {**form, "csrf": token}
    # Like a browser: follow the redirect to /demos, which shows (and so clears) the flashed result.
    check(client.post(f"/demos/{slug}/links", data=form, follow_redirects=True))
