"""The sandbox agents (agents.toml): loading, validation, template rendering and the keyword script.

Pure standard library, so the stand-in API can import it without the speech stack or the framework.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(__file__).resolve().parent / "agents.toml"
LANGUAGES = ("en", "de")
AGENT_FIELDS = ("id", "name", "language", "voice", "first_message", "fallback", "script")
_VOICE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_+\-/]*$")


def normalize(text: str) -> str:
    """Lowercase words separated by single spaces, punctuation dropped (umlauts kept).

    Both what was heard and the keywords go through this, so "Opening-Hours?" matches "opening hours".
    """
    text = unicodedata.normalize("NFC", str(text)).casefold()
    text = re.sub(r"[^\w']+|_", " ", text)
    return " ".join(word.strip("'") for word in text.split() if word.strip("'"))


@dataclass(frozen=True)
class ScriptLine:
    keywords: tuple[str, ...]
    reply: str

    def matches(self, normalized_text: str) -> bool:
        """True when any keyword occurs in the text as whole words ("hi" does not match "this")."""
        padded = f" {normalized_text} "
        return any(f" {kw} " in padded for kw in (normalize(k) for k in self.keywords) if kw)


@dataclass(frozen=True)
class SandboxAgent:
    id: str
    name: str
    language: str
    voice: str
    first_message: str
    fallback: str
    script: tuple[ScriptLine, ...]

    @property
    def dispatch_name(self) -> str:
        """The agent name its worker registers under and the stand-in dispatches to."""
        return f"sandbox-{self.id}"

    def reply_to(self, heard: str) -> str:
        """The reply of the first script line with a keyword in `heard`, else the fallback."""
        text = normalize(heard)
        for line in self.script:
            if line.matches(text):
                return line.reply
        said = " ".join(str(heard).split()).rstrip(".!?…,;: ")
        return self.fallback.replace("{heard}", said)


# -- loading -----------------------------------------------------------------------------------


def load_agents(path: Path | None = None) -> dict[str, SandboxAgent]:
    """Read and validate agents.toml; returns {agent id: agent} in file order.

    Raises ValueError with a one-line message naming the agent and the field on bad input.
    """
    path = Path(path) if path is not None else DEFAULT_PATH
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path.name}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path.name}: not UTF-8 text") from None
    unknown = sorted(set(data) - {"agent"})
    if unknown:
        raise ValueError(f"{path.name}: unknown top-level key {unknown[0]!r} (expected [[agent]] tables)")
    tables = data.get("agent")
    if not isinstance(tables, list) or not tables:
        raise ValueError(f"{path.name}: no [[agent]] tables")
    agents: dict[str, SandboxAgent] = {}
    for number, table in enumerate(tables, start=1):
        label = _label(path.name, number, table)
        agent = _agent_from_table(table, label)
        if agent.id in agents:
            raise ValueError(f"{label}: field 'id': duplicate id {agent.id} (also {agents[agent.id].name!r})")
        agents[agent.id] = agent
    return agents


def _label(file_name: str, number: int, table: Any) -> str:
    name = table.get("name") if isinstance(table, dict) else None
    return f"{file_name}: agent #{number}" + (f" ({name!r})" if isinstance(name, str) and name else "")


def _text(table: Mapping[str, Any], field: str, label: str) -> str:
    if field not in table:
        raise ValueError(f"{label}: field {field!r} is missing")
    value = table[field]
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{label}: field {field!r} must be a non-empty string")
    return value


def _agent_from_table(table: Any, label: str) -> SandboxAgent:
    if not isinstance(table, dict):
        raise ValueError(f"{label}: must be a table")
    extra = sorted(set(table) - set(AGENT_FIELDS))
    if extra:
        raise ValueError(f"{label}: field {extra[0]!r} is not known (known: {', '.join(AGENT_FIELDS)})")
    agent_id = _text(table, "id", label).strip()
    try:
        parsed = uuid.UUID(agent_id)
    except ValueError:
        raise ValueError(f"{label}: field 'id': {agent_id!r} is not a valid UUID") from None
    if str(parsed) != agent_id.lower() or parsed.version != 4:
        raise ValueError(f"{label}: field 'id': {agent_id!r} is not a canonical UUID4 (xxxxxxxx-xxxx-4xxx-…)")
    language = _text(table, "language", label)
    if language not in LANGUAGES:
        raise ValueError(f"{label}: field 'language': unknown language {language!r} (use one of {LANGUAGES})")
    voice = _text(table, "voice", label)
    if not _VOICE_RE.match(voice):
        raise ValueError(f"{label}: field 'voice': {voice!r} is not an espeak-ng voice name")
    script_raw = table.get("script")
    if script_raw is None:
        raise ValueError(f"{label}: field 'script' is missing")
    if not isinstance(script_raw, list) or not script_raw:
        raise ValueError(f"{label}: field 'script' must be a non-empty list of [[agent.script]] tables")
    script = tuple(
        _script_line(item, f"{label}: field 'script' #{i}") for i, item in enumerate(script_raw, 1)
    )
    return SandboxAgent(
        id=str(parsed),
        name=_text(table, "name", label).strip(),
        language=language,
        voice=voice,
        first_message=_text(table, "first_message", label),
        fallback=_text(table, "fallback", label),
        script=script,
    )


def _script_line(item: Any, label: str) -> ScriptLine:
    if not isinstance(item, dict):
        raise ValueError(f"{label}: must be a table with 'keywords' and 'reply'")
    extra = sorted(set(item) - {"keywords", "reply"})
    if extra:
        raise ValueError(f"{label}: key {extra[0]!r} is not known (known: keywords, reply)")
    keywords = item.get("keywords")
    if (
        not isinstance(keywords, list)
        or not keywords
        or not all(isinstance(k, str) and normalize(k) for k in keywords)
    ):
        raise ValueError(f"{label}: 'keywords' must be a non-empty list of non-empty strings")
    reply = item.get("reply")
    if not isinstance(reply, str) or not reply.strip():
        raise ValueError(f"{label}: 'reply' must be a non-empty string")
    return ScriptLine(keywords=tuple(keywords), reply=reply)


# -- templates ---------------------------------------------------------------------------------

_TEMPLATE_RE = re.compile(
    r"\{\{\s*(?P<var>[A-Za-z_][A-Za-z0-9_]*)\s*"
    r"(?:\|\s*default\s*\(\s*(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)')\s*\)\s*)?"
    r"\}\}"
)


def render(template: str, variables: Mapping[str, str]) -> str:
    """Fill `{{ var }}` and `{{ var | default("x") }}` placeholders.

    A missing variable renders as its default, or as "" without one; so does a variable whose value
    is empty or only whitespace (so "Hello {{ name | default("there") }}" never greets nobody).
    Anything that is not a well-formed placeholder is left as it is. Never raises.
    """
    try:
        text = "" if template is None else str(template)
        values = variables if isinstance(variables, Mapping) else {}

        def fill(match: re.Match[str]) -> str:
            value = values.get(match.group("var"))
            value = "" if value is None else str(value)
            if value.strip():
                return value
            default = match.group("dq") if match.group("dq") is not None else match.group("sq")
            return default or ""

        return _TEMPLATE_RE.sub(fill, text)
    except Exception:
        return template if isinstance(template, str) else ""
