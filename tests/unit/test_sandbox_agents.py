"""sandbox/agents.py + agents.toml, and the call options the stand-in dispatches (no LiveKit server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.agents import SandboxAgent, ScriptLine, load_agents, normalize, render
from sandbox.dispatch import CallOptions

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
AVA_ID = "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41"
LENA_ID = "7d2e9a40-5b1c-4f3e-8c6d-2b9f0e1a7c53"

GOOD = """
[[agent]]
id = "0b6c4f5e-2d1a-4c3b-8a7f-9e8d7c6b5a41"
name = "Test"
language = "en"
voice = "en-us"
first_message = "Hi {{ name }}"
fallback = "I understood: {heard}."

[[agent.script]]
keywords = ["opening hours", "open"]
reply = "We are open."
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agents.toml"
    path.write_text(text, encoding="utf-8")
    return path


def bad(tmp_path: Path, text: str) -> str:
    with pytest.raises(ValueError) as info:
        load_agents(write(tmp_path, text))
    message = str(info.value)
    assert "\n" not in message
    return message


# -- the shipped agents.toml --------------------------------------------------------------------


def test_shipped_agents_load() -> None:
    agents = load_agents()
    assert list(agents)[:2] == [AVA_ID, LENA_ID]
    ava, lena = agents[AVA_ID], agents[LENA_ID]
    assert (ava.name, ava.language, ava.voice) == ("Ava", "en", "en-us")
    assert (lena.name, lena.language, lena.voice) == ("Lena", "de", "de")
    assert render(ava.first_message, {}).startswith("Hello there, this is Ava")
    assert render(ava.first_message, {"name": "Acme"}).startswith("Hello Acme, this is Ava")
    assert "Lena" in render(lena.first_message, {})
    assert "{heard}" in ava.fallback and "{heard}" in lena.fallback


@pytest.mark.parametrize("agent_id", [AVA_ID, LENA_ID])
def test_no_keyword_is_shadowed_by_an_earlier_line(agent_id: str) -> None:
    agent = load_agents()[agent_id]
    for line in agent.script:
        for keyword in line.keywords:
            assert agent.reply_to(keyword) == line.reply, keyword
            assert agent.reply_to(f"well {keyword.upper()}, please!") == line.reply, keyword


def test_ava_topics() -> None:
    ava = load_agents()[AVA_ID]
    replies = {line.keywords[0]: line.reply for line in ava.script}
    assert ava.reply_to("what are your opening hours") == replies["opening hours"]
    # what pocketsphinx made of it in a loopback run still finds the topic
    assert ava.reply_to("what are your opening know is") == replies["opening hours"]
    assert ava.reply_to("where are you open") == replies["opening hours"]
    assert ava.reply_to("how much does it goes") == replies["price"]
    assert ava.reply_to("i would like to book an appointment") == replies["book"]
    assert ava.reply_to("i want to speak to someone") == replies["human"]
    assert ava.reply_to("hello what are your prices") == replies["price"]  # topic beats greeting
    assert ava.reply_to("hello") == replies["hello"]
    assert ava.reply_to("thank you") == replies["thank you"]
    assert ava.reply_to("goodbye") == replies["goodbye"]


def test_lena_understands_german_text_and_english_speech() -> None:
    lena = load_agents()[LENA_ID]
    opening = lena.reply_to("Wann haben Sie geöffnet?")
    assert "geöffnet" in opening
    assert lena.reply_to("WANN HABEN SIE GEÖFFNET") == opening
    assert lena.reply_to("what are your opening hours") == opening
    assert lena.reply_to("Was kostet ein Termin?") == lena.reply_to("how much")
    assert "Euro" in lena.reply_to("Was kostet ein Termin?")
    assert "Termin" in lena.reply_to("Ich möchte einen Termin buchen")
    assert lena.reply_to("Grüß Gott!").startswith("Hallo")
    assert lena.reply_to("something else").startswith("Ich habe verstanden: something else.")


# -- reply_to / normalize -----------------------------------------------------------------------


def make_agent(*lines: tuple[tuple[str, ...], str]) -> SandboxAgent:
    return SandboxAgent(
        id="0b6c4f5e-2d1a-4c3b-8a7f-9e8d7c6b5a41",
        name="T",
        language="en",
        voice="en-us",
        first_message="hi",
        fallback="I understood: {heard}. Ask me something else.",
        script=tuple(ScriptLine(keywords=k, reply=r) for k, r in lines),
    )


def test_reply_to_first_matching_line_whole_words_and_fallback() -> None:
    agent = make_agent((("opening hours", "open"), "OPEN"), (("hi", "hello"), "HI"), (("hours",), "HOURS"))
    assert agent.reply_to("What are your Opening-Hours?") == "OPEN"
    assert agent.reply_to("hi, are you open") == "OPEN"  # script order, not text order
    assert agent.reply_to("hours") == "HOURS"
    assert agent.reply_to("Hi!") == "HI"
    assert agent.reply_to("this is history") == "I understood: this is history. Ask me something else."
    odd = agent.reply_to("  so   {weird}  text?  ")
    assert odd == "I understood: so {weird} text. Ask me something else."
    assert agent.reply_to("") == "I understood: . Ask me something else."


def test_normalize() -> None:
    assert normalize("  Öffnungs-ZEITEN?! it's   OK_now ") == "öffnungs zeiten it's ok now"
    assert normalize("'quoted'") == "quoted"
    assert normalize("...") == ""


# -- load_agents: bad input ---------------------------------------------------------------------


def test_good_file_loads(tmp_path: Path) -> None:
    agents = load_agents(write(tmp_path, GOOD))
    (agent,) = agents.values()
    assert agent.script == (ScriptLine(("opening hours", "open"), "We are open."),)


@pytest.mark.parametrize("field", ["id", "name", "language", "voice", "first_message", "fallback", "script"])
def test_missing_field(tmp_path: Path, field: str) -> None:
    lines = GOOD.splitlines()
    if field == "script":
        text = "\n".join(lines[: lines.index("[[agent.script]]")])
    else:
        text = "\n".join(line for line in lines if not line.startswith(f"{field} ="))
    message = bad(tmp_path, text)
    assert f"'{field}'" in message and "missing" in message
    assert "agent #1" in message


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('id = "0b6c4f5e-2d1a-4c3b-8a7f-9e8d7c6b5a41"', 'id = "not-a-uuid"', "id"),
        ('id = "0b6c4f5e-2d1a-4c3b-8a7f-9e8d7c6b5a41"', 'id = "0b6c4f5e-2d1a-1c3b-8a7f-9e8d7c6b5a41"', "id"),
        ('id = "0b6c4f5e-2d1a-4c3b-8a7f-9e8d7c6b5a41"', 'id = "0b6c4f5e2d1a4c3b8a7f9e8d7c6b5a41"', "id"),
        ('language = "en"', 'language = "fr"', "language"),
        ('language = "en"', "language = 1", "language"),
        ('voice = "en-us"', 'voice = "-x en"', "voice"),
        ('name = "Test"', 'name = "  "', "name"),
        ('keywords = ["opening hours", "open"]', "keywords = []", "script"),
        ('keywords = ["opening hours", "open"]', 'keywords = ["", "?"]', "script"),
        ('reply = "We are open."', 'reply = ""', "script"),
        ('voice = "en-us"', 'voice = "en-us"\ncolour = "blue"', "colour"),
    ],
)
def test_bad_field(tmp_path: Path, old: str, new: str, field: str) -> None:
    assert old in GOOD
    message = bad(tmp_path, GOOD.replace(old, new))
    assert f"'{field}'" in message
    assert "agent #1 ('Test')" in message or "agent #1" in message


def test_unknown_language_message(tmp_path: Path) -> None:
    message = bad(tmp_path, GOOD.replace('language = "en"', 'language = "fr"'))
    assert "'fr'" in message and "language" in message and "'Test'" in message


def test_duplicate_id(tmp_path: Path) -> None:
    second = GOOD.replace('name = "Test"', 'name = "Copy"')
    message = bad(tmp_path, GOOD + second)
    assert "agent #2 ('Copy')" in message and "'id'" in message and "duplicate" in message


def test_not_toml_or_no_agents(tmp_path: Path) -> None:
    assert "TOML" in bad(tmp_path, "[[agent]\nid=")
    assert "no [[agent]]" in bad(tmp_path, "")
    assert "top-level" in bad(tmp_path, 'title = "x"\n' + GOOD)


# -- render -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "variables", "expected"),
    [
        ("Hello {{ name }}!", {"name": "Acme"}, "Hello Acme!"),
        ("Hello {{name}}!", {"name": "Acme"}, "Hello Acme!"),
        ("Hello {{   name   }}!", {}, "Hello !"),
        ('Hello {{ name | default("there") }}!', {}, "Hello there!"),
        ('Hello {{name|default("there")}}!', {"name": "Acme"}, "Hello Acme!"),
        ("Hello {{ name | default('there') }}!", {"name": "  "}, "Hello there!"),
        ('Hello {{ name | default( "" ) }}!', {}, "Hello !"),
        ("{{ a }}/{{ b }}/{{ a }}", {"a": "1", "b": "2"}, "1/2/1"),
        ("{{ n }}", {"n": 5}, "5"),  # type: ignore[dict-item]
        ("{{ broken", {"broken": "x"}, "{{ broken"),
        ("{{ 1bad }} {{ x | upper }} {}", {"x": "y"}, "{{ 1bad }} {{ x | upper }} {}"),
        ("{heard} stays", {"heard": "no"}, "{heard} stays"),
        ("", {}, ""),
    ],
)
def test_render(template: str, variables: dict[str, str], expected: str) -> None:
    assert render(template, variables) == expected


def test_render_never_raises_on_odd_input() -> None:
    assert render(None, {}) == ""  # type: ignore[arg-type]
    assert render("{{ x }}", None) == ""  # type: ignore[arg-type]
    assert render("{{ x }}", {"x": None}) == ""  # type: ignore[dict-item]


# -- the call options a dispatch carries ---------------------------------------------------------


def test_call_options_round_trip_through_job_metadata() -> None:
    options = CallOptions(
        call_id="c1",
        initial_text="what are your prices",
        skip_greeting_on_initial_text=True,
        audio_input_enabled=False,
        audio_output_enabled=True,
        test_variables={"name": "Grüß Gott"},
        language="de",
        join_timeout_seconds=30,
    )
    assert CallOptions.from_metadata(options.to_metadata()) == options


def test_call_options_from_odd_metadata() -> None:
    options = CallOptions.from_metadata(
        json.dumps({"call_id": 7, "initial_text": "  ", "test_variables": {"n": 3, "x": None}})
    )
    assert options.call_id == "7" and options.initial_text is None
    assert options.audio_input_enabled and options.audio_output_enabled
    assert options.test_variables == {"n": "3", "x": ""}
    assert not options.skip_greeting_on_initial_text and not options.fail_after_greeting


def test_dispatch_names_are_distinct() -> None:
    names = {agent.dispatch_name for agent in load_agents().values()}
    assert len(names) == len(load_agents())
