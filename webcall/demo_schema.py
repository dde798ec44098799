"""The demo file's schema: the `[demos.<slug>]` TOML tables (demos.toml, `WEBCALL_DEMOS_FILE`, see
`demos.example.toml`; the studio's saves are held to the same rules) checked into profiles
(webcall/demos.py). Every mistake is one line naming the demo and the field, and an unknown setting is
a mistake. Without a file there is one demo, `default`, whose agent is `ITELLICOAI_AGENT_ID`: the `/`
page. A file without a `default` demo gets that one too (webcall/demo_registry.py).
"""

from __future__ import annotations

import re
import tomllib
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from .demos import (
    ACCENT_PATTERN,
    DEFAULT_ACCENT,
    MAX_VARIABLE_LENGTH,
    SLUG_PATTERN,
    VARIABLE_PATTERN,
    Access,
    Brand,
    DemoProfile,
    Language,
    Mode,
    Position,
    Theme,
    WidgetDefaults,
)
from .itellico_types import MAX_DURATION_SECONDS, is_call_length
from .setting_values import ORIGIN_EXAMPLE, web_origin
from .settings import SettingsError


class DemoConfigError(SettingsError):
    """The profile file has mistakes; `str()` is a header line, then one line per mistake."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {problem}" for problem in problems)
        count = f"{len(problems)} mistake{'s' if len(problems) != 1 else ''}"
        super().__init__("WEBCALL_DEMOS_FILE", f"{path} has {count}:\n{lines}")


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
VariableName = Annotated[str, StringConstraints(pattern=VARIABLE_PATTERN)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class BrandModel(_Strict):
    company: Text
    logo: str | None = None
    accent: Annotated[str, StringConstraints(pattern=ACCENT_PATTERN)] = DEFAULT_ACCENT
    theme: Theme = "auto"

    @field_validator("logo")
    @classmethod
    def _logo(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if value.startswith("/static/") and ".." not in value and not parts.scheme and not parts.netloc:
            return value
        if parts.scheme == "https" and parts.netloc:
            return value
        # A logo uploaded in the studio, served by the app (webcall/logos.py: /logos/<sha256>.<ext>).
        if re.fullmatch(r"/logos/[0-9a-f]{64}\.(?:png|jpg|webp|svg)", value):
            return value
        raise ValueError("must be a path under /static/ or an https:// URL")


class WidgetModel(_Strict):
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None = None
    position: Position = "bottom-right"


class DemoModel(_Strict):
    title: Text
    description: LongText = ""
    agent_id: str | None = None
    display_name: Text | None = None
    language: Language = "en"
    default_mode: Mode = "voice"
    initial_text: Annotated[str, StringConstraints(min_length=1, max_length=2000)] | None = None
    skip_greeting_on_initial_text: bool | None = None
    test_variables: dict[VariableName, Annotated[str, StringConstraints(max_length=MAX_VARIABLE_LENGTH)]] = (
        Field(default_factory=dict)
    )
    # The variables a share link or the page may set, each with its maximum length.
    variables: dict[VariableName, Annotated[int, Field(ge=1, le=MAX_VARIABLE_LENGTH)]] = Field(
        default_factory=dict
    )
    brand: BrandModel | None = None
    suggestions: list[Text] = Field(default_factory=list, max_length=8)
    consent_text: LongText | None = None
    max_call_minutes: Annotated[int, Field(ge=1, le=120)] | None = None
    allowed_origins: list[str] = Field(default_factory=list)
    access: Access = "public"
    overrides: dict[str, Any] = Field(default_factory=dict)
    widget: WidgetModel | None = None

    @field_validator("agent_id")
    @classmethod
    def _agent_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise ValueError("must be an agent UUID") from None

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, values: list[str]) -> list[str]:
        origins = []
        for item in values:
            origin = web_origin(item)
            if origin is None:
                raise ValueError(f"{item!r} is not {ORIGIN_EXAMPLE}")
            origins.append(origin)
        return origins

    @field_validator("overrides")
    @classmethod
    def _overrides(cls, value: dict[str, Any]) -> dict[str, Any]:
        """The one part of an admin's overrides the app reads (itellico_types.with_max_duration): a
        longest call itellico would refuse made every call of the demo fail upstream, visitor by visitor."""
        agent = value.get("agent")
        if agent is None:
            return value
        if not isinstance(agent, dict):
            raise ValueError("agent must be a table (the shape of itellico's Agent PATCH)")
        longest = agent.get("max_duration_seconds")
        if longest is not None and not is_call_length(longest):
            raise ValueError(f"agent.max_duration_seconds: {longest!r} is not 1..{MAX_DURATION_SECONDS}")
        return value

    def profile(self, slug: str, default_agent_id: str, default_max_seconds: int | None) -> DemoProfile:
        brand = self.brand
        return DemoProfile(
            slug=slug,
            agent_id=self.agent_id or default_agent_id,
            title=self.title,
            description=self.description,
            display_name=self.display_name,
            language=self.language,
            default_mode=self.default_mode,
            initial_text=self.initial_text,
            skip_greeting_on_initial_text=self.skip_greeting_on_initial_text,
            test_variables=dict(self.test_variables),
            allowed_variables=dict(self.variables),
            overrides=dict(self.overrides),
            max_call_seconds=self.max_call_minutes * 60 if self.max_call_minutes else default_max_seconds,
            brand=Brand(brand.company, brand.logo, brand.accent, brand.theme) if brand else None,
            suggestions=tuple(self.suggestions),
            consent_text=self.consent_text,
            allowed_origins=tuple(self.allowed_origins),
            access=self.access,
            widget=WidgetDefaults(self.widget.label, self.widget.position)
            if self.widget
            else WidgetDefaults(),
        )


def _problem(slug: str, error: Mapping[str, Any]) -> str:
    where = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        return f"demo {slug!r}: {where}: unknown setting"
    if error["type"] == "missing":
        return f"demo {slug!r}: {where}: is required"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"demo {slug!r}: {where or '(table)'}: {message}"


def parse_profiles(
    text: str, source: str, default_agent_id: str, default_max_seconds: int | None = None
) -> dict[str, DemoProfile]:
    """Validate a profile file's text; raises DemoConfigError listing every mistake."""
    models = validate_tables(*load_tables(text, source), source)
    return {
        slug: model.profile(slug, default_agent_id, default_max_seconds) for slug, model in models.items()
    }


def load_tables(text: str, source: str) -> tuple[dict[str, Any], list[str]]:
    """The `[demos.<slug>]` tables of a profile file's text and the file's own mistakes (reported
    with the demos' mistakes); raises DemoConfigError for text that is not TOML."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise DemoConfigError(source, [f"not valid TOML: {error}"]) from None
    problems = [
        f"{key}: unknown setting (demos go in [demos.<slug>] tables)" for key in data if key != "demos"
    ]
    tables = data.get("demos", {})
    if not isinstance(tables, dict) or not tables:
        problems.append("demos: no [demos.<slug>] table")
        tables = {}
    return tables, problems


def validate_tables(tables: Mapping[str, Any], problems: list[str], source: str) -> dict[str, DemoModel]:
    """Each demo's settings checked; raises DemoConfigError listing `problems` and every mistake
    of every demo."""
    models, refused = check_tables(tables)
    problems = [*problems, *(line for lines in refused.values() for line in lines)]
    if problems:
        raise DemoConfigError(source, problems)
    return models


def check_tables(tables: Mapping[str, Any]) -> tuple[dict[str, DemoModel], dict[str, list[str]]]:
    """Each demo's settings checked on its own: the models of the valid ones, the mistakes of the
    others by slug (the database's demos are served one by one: webcall/demo_store.py)."""
    models: dict[str, DemoModel] = {}
    refused: dict[str, list[str]] = {}
    for slug, table in tables.items():
        if not re.match(SLUG_PATTERN, slug):
            refused[slug] = [f"demo {slug!r}: the slug must be lowercase letters, digits and dashes (≤ 63)"]
            continue
        if not isinstance(table, dict):
            refused[slug] = [f"demo {slug!r}: must be a table ([demos.{slug}])"]
            continue
        try:
            model = DemoModel.model_validate(table)
        except ValidationError as error:
            refused[slug] = [_problem(slug, e) for e in error.errors()]
            continue
        if shared := sorted(set(model.test_variables) & set(model.variables)):
            refused[slug] = [
                f"demo {slug!r}: variables.{name}: also a fixed test_variable; a fixed one cannot be set"
                for name in shared
            ]
            continue
        models[slug] = model
    return models, refused
