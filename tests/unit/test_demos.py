"""Demo profiles: the TOML file, validated at start, one line per mistake."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from sandbox.stack import DEFAULT_AGENT_ID
from webcall import ROOT, create_app
from webcall.demo_registry import DemoRegistry
from webcall.demo_schema import DemoConfigError, parse_profiles
from webcall.demos import DEFAULT_SLUG
from webcall.settings import Settings, SettingsError

pytestmark = pytest.mark.unit

AVA = "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41"
LENA = "7d2e9a40-5b1c-4f3e-8c6d-2b9f0e1a7c53"
ENV_AGENT = "11111111-2222-4333-8444-555555555555"

GOOD = f"""
[demos.acme]
title = "Acme demo"
agent_id = "{AVA}"
language = "de"
access = "link-only"
max_call_minutes = 3
suggestions = ["Hallo?"]
allowed_origins = ["https://www.acme.example/"]
test_variables = {{ company = "Acme" }}
variables = {{ name = 40 }}
overrides = {{ agent = {{ initial_message = {{ mode = "user_first" }} }} }}
brand = {{ company = "Acme GmbH", logo = "/static/demos/acme.svg", accent = "#aabbcc", theme = "dark" }}
"""


def make_settings(**changes):
    return Settings(api_key="k", agent_id=ENV_AGENT, **changes)


def problems(text: str) -> list[str]:
    with pytest.raises(DemoConfigError) as caught:
        parse_profiles(text, "demos.toml", ENV_AGENT)
    return caught.value.problems


def test_a_good_profile_is_read_completely():
    demo = parse_profiles(GOOD, "demos.toml", ENV_AGENT)["acme"]
    assert demo.agent_id == AVA and demo.language == "de" and demo.link_only
    assert demo.max_call_seconds == 180
    assert demo.test_variables == {"company": "Acme"} and demo.allowed_variables == {"name": 40}
    assert demo.overrides == {"agent": {"initial_message": {"mode": "user_first"}}}
    assert demo.brand is not None and demo.brand.accent == "#aabbcc" and demo.brand.theme == "dark"
    assert demo.allowed_origins == ("https://www.acme.example",)
    assert demo.suggestions == ("Hallo?",)


def test_without_a_file_there_is_the_single_default_demo():
    registry = DemoRegistry.load(None, make_settings(max_call_seconds=60))
    assert [d.slug for d in registry] == [DEFAULT_SLUG]
    assert registry.get(None).agent_id == ENV_AGENT and registry.get(None).max_call_seconds == 60


def test_a_file_without_default_keeps_the_slash_page(tmp_path: Path):
    path = tmp_path / "demos.toml"
    path.write_text(GOOD)
    registry = DemoRegistry.load(path, make_settings())
    assert registry.get(None).agent_id == ENV_AGENT
    assert registry.get("acme").agent_id == AVA
    assert registry.get("nope") is None


def test_agent_id_may_come_from_the_environment():
    demo = parse_profiles('[demos.default]\ntitle = "Hi"\n', "f", ENV_AGENT)["default"]
    assert demo.agent_id == ENV_AGENT


def test_every_mistake_is_one_line_naming_demo_and_field():
    text = f"""
colour = "red"
[demos.one]
title = "One"
agent_id = "not-a-uuid"
langauge = "en"
[demos.one.brand]
company = "X"
accent = "red"
[demos.two]
agent_id = "{AVA}"
language = "fr"
max_call_minutes = 0
variables = {{ name = 1000 }}
[demos."Bad Slug"]
title = "x"
"""
    found = problems(text)
    assert "colour: unknown setting (demos go in [demos.<slug>] tables)" in found
    assert "demo 'one': agent_id: must be an agent UUID" in found
    assert "demo 'one': langauge: unknown setting" in found
    assert any(p.startswith("demo 'one': brand.accent: ") for p in found)
    assert "demo 'two': title: is required" in found
    assert any(p.startswith("demo 'two': language: ") and "'en' or 'de'" in p for p in found)
    assert any(p.startswith("demo 'two': max_call_minutes: ") for p in found)
    assert any(p.startswith("demo 'two': variables.name: ") for p in found)
    assert any(p.startswith("demo 'Bad Slug': the slug must be") for p in found)
    assert len(found) == 9
    assert all("\n" not in p for p in found)


def test_a_variable_cannot_be_fixed_and_settable():
    found = problems(
        f'[demos.a]\ntitle = "A"\nagent_id = "{AVA}"\ntest_variables = {{ name = "x" }}\n'
        "variables = { name = 10 }\n"
    )
    assert found == ["demo 'a': variables.name: also a fixed test_variable; a fixed one cannot be set"]


def test_logo_must_be_local_static_or_https():
    found = problems('[demos.a]\ntitle = "A"\nbrand = { company = "A", logo = "javascript:alert(1)" }\n')
    assert found == ["demo 'a': brand.logo: must be a path under /static/ or an https:// URL"]


def test_broken_toml_is_one_line():
    found = problems('[demos.a\ntitle = "A"')
    assert len(found) == 1 and found[0].startswith("not valid TOML:")


def test_the_app_stops_with_one_line_per_mistake(tmp_path: Path, settings):
    path = tmp_path / "demos.toml"
    path.write_text('[demos.a]\ntitle = "A"\ncolor = "x"\n[demos.b]\nmode = "x"\n')
    with pytest.raises(SettingsError) as caught:
        create_app({"settings": replace(settings, demos_file=str(path)), "TESTING": True})
    lines = str(caught.value).splitlines()
    assert lines[0] == f"setting WEBCALL_DEMOS_FILE: {path} has 3 mistakes:"
    assert lines[1:] == [
        "  demo 'a': color: unknown setting",
        "  demo 'b': title: is required",
        "  demo 'b': mode: unknown setting",
    ]


@pytest.mark.parametrize("name", ["demos.toml", "demos.example.toml"])
def test_the_shipped_files_are_valid(name: str):
    registry = DemoRegistry.load(ROOT / name, make_settings())
    assert {d.slug for d in registry} == {"default", "northwind", "alpenblick"}
    northwind, alpenblick = registry.get("northwind"), registry.get("alpenblick")
    assert northwind.agent_id == AVA and northwind.language == "en" and not northwind.link_only
    assert alpenblick.agent_id == LENA and alpenblick.language == "de" and alpenblick.link_only
    assert northwind.brand.company != alpenblick.brand.company
    assert registry.get("default").agent_id == ENV_AGENT
    for demo in (northwind, alpenblick):
        assert (ROOT / demo.brand.logo.lstrip("/")).is_file()


def test_settings_default_to_the_shipped_file_and_name_a_missing_one():
    env = {"ITELLICOAI_API_KEY": "k", "ITELLICOAI_AGENT_ID": DEFAULT_AGENT_ID}
    assert Settings.from_env(env).demos_file == str(ROOT / "demos.toml")
    with pytest.raises(SettingsError, match=r"^setting WEBCALL_DEMOS_FILE: 'nope.toml': no such file$"):
        Settings.from_env({**env, "WEBCALL_DEMOS_FILE": "nope.toml"})
    with pytest.raises(SettingsError, match="WEBCALL_SALES_PASSWORD"):
        Settings.from_env({**env, "WEBCALL_SALES_PASSWORD": "short"})
    with pytest.raises(SettingsError, match="WEBCALL_PUBLIC_URL"):
        Settings.from_env({**env, "WEBCALL_PUBLIC_URL": "demo.example.com"})
    assert Settings.from_env(env).database_url == "sqlite:///instance/webcall.sqlite3"


@pytest.mark.parametrize(
    ("overrides", "said"),
    [
        ('agent = "fast"', "overrides: agent must be a table (the shape of itellico's Agent PATCH)"),
        (
            "agent = { max_duration_seconds = 9000 }",
            "overrides: agent.max_duration_seconds: 9000 is not 1..7200",
        ),
        ("agent = { max_duration_seconds = 0 }", "overrides: agent.max_duration_seconds: 0 is not 1..7200"),
        (
            'agent = { max_duration_seconds = "1h" }',
            "overrides: agent.max_duration_seconds: '1h' is not 1..7200",
        ),
    ],
)
def test_an_overrides_longest_call_itellico_would_refuse_is_refused_on_save(overrides, said):
    # Saved as it was, every call of the demo was refused upstream (upstream_rejected), each one a visitor.
    text = f'[demos.one]\ntitle = "One"\n[demos.one.overrides]\n{overrides}\n'
    assert f"demo 'one': {said}" in problems(text)


def test_an_overrides_longest_call_in_range_is_kept():
    text = (
        '[demos.one]\ntitle = "One"\n[demos.one.overrides]\nagent = { max_duration_seconds = 600, x = 1 }\n'
    )
    demo = parse_profiles(text, "demos.toml", ENV_AGENT)["one"]
    assert demo.overrides == {"agent": {"max_duration_seconds": 600, "x": 1}}
