"""Property-based fuzzing of the demo editor (Hypothesis): any text in any field, any rows, any
upload (bytes, name, declared type) on create, edit and preview, signed in as an admin, never gives a
5xx, never stores a demo the rules refuse, and never echoes markup unescaped; the upload and SVG
checks refuse anything with a reason and never raise anything else."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webcall.demo_schema import validate_tables
from webcall.logos import LogoRefused, check_upload
from webcall.svg_check import SvgRefused, check_svg

from .rig import sign_in, studio_app

pytestmark = pytest.mark.fuzz

FUZZ = settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FIELDS = [
    "slug", "title", "description", "agent_id", "agent_id_text", "display_name", "language", "default_mode",
    "initial_text", "skip_greeting_on_initial_text", "brand.company", "brand.logo", "brand.accent",
    "brand.theme", "suggestions", "consent_text", "max_call_minutes", "allowed_origins", "access",
    "overrides", "widget.label", "widget.position", "logo_remove",
]  # fmt: skip
MARKUP = "<script>alert(1)</script>"
values = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        ["", "en", "de", "text", "voice", "#fff", "#0f766e", "42", "-1", "{}", '{"a": 1}', MARKUP]
    ),
)
rows = st.lists(st.tuples(st.text(max_size=70), st.text(max_size=20)), max_size=4)
uploads = st.one_of(
    st.none(),
    st.tuples(
        st.one_of(
            st.binary(max_size=600), st.sampled_from([b"\x89PNG\r\n\x1a\n", b"<svg xmlns='x'/>", b"RIFF"])
        ),
        st.text(max_size=30).map(lambda s: s + ".png"),
        st.sampled_from(["image/png", "image/svg+xml", "text/html", "", "application/octet-stream"]),
    ),
)


@pytest.fixture(scope="module")
def editor(standin_server, tmp_path_factory):
    db = tmp_path_factory.mktemp("fuzz-editor") / "studio.sqlite3"
    return sign_in(studio_app(standin_server, database_url=f"sqlite:///{db}"), page="/demos/new")


@FUZZ
@given(
    url=st.sampled_from(["/demos/new", "/demos/northwind/edit", "/demos/preview"]),
    form=st.dictionaries(st.sampled_from(FIELDS), values, max_size=len(FIELDS)),
    variables=rows,
    test_variables=rows,
    upload=uploads,
)
def test_editor_forms(editor, url, form, variables, test_variables, upload):
    client, token = editor
    data: dict = {**form, "csrf": token}
    data["var_name"], data["var_max"] = [r[0] for r in variables], [r[1] for r in variables]
    data["tv_name"], data["tv_value"] = [r[0] for r in test_variables], [r[1] for r in test_variables]
    if upload is not None:
        content, name, declared = upload
        data["logo_file"] = (io.BytesIO(content), name, declared)
    r = client.post(url, data=data, content_type="multipart/form-data")
    body = r.get_data(as_text=True)
    assert r.status_code in ((200,) if url == "/demos/preview" else (302, 400)), body[:300]
    assert MARKUP not in body
    stored = client.application.extensions["webcall"].demos.tables()
    validate_tables(stored, [], "the database")  # whatever was saved passes the rules


@FUZZ
@given(content=st.binary(max_size=2000), name=st.text(max_size=40), declared=st.text(max_size=40))
def test_upload_check_refuses_with_a_reason(content, name, declared):
    try:
        kind = check_upload(content, name, declared)
    except LogoRefused as refused:
        assert str(refused) and refused.code.startswith("logo_")
        return
    assert kind in ("image/png", "image/jpeg", "image/webp", "image/svg+xml")


@FUZZ
@given(
    text=st.one_of(
        st.text(max_size=400),
        st.builds(
            lambda inner: f'<svg xmlns="http://www.w3.org/2000/svg">{inner}</svg>',
            st.text(
                alphabet=st.sampled_from(list("<>/=\"' abcdefghijklmnopqrstuvwxyz#:()&;!-?")), max_size=200
            ),
        ),
    )
)
def test_svg_check_refuses_with_a_reason(text):
    try:
        check_svg(text.encode("utf-8", "surrogatepass"))
    except SvgRefused as refused:
        assert str(refused)
