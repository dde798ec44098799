"""Demo profiles: which agent a page may call, how the page looks, and what a page or link may pass
(the page-variable rule).

The browser names a demo by slug; everything sent upstream (agent, fixed variables, overrides)
comes from here, never from the browser. A profile is made from a checked TOML table: the file's
schema and its mistakes are webcall/demo_schema.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

DEFAULT_SLUG = "default"
SLUG_MAX_LENGTH = 63  # a DNS label's: a slug may become a subdomain
SLUG_PATTERN = rf"^[a-z0-9][a-z0-9-]{{0,{SLUG_MAX_LENGTH - 1}}}$"
VARIABLE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
MAX_VARIABLE_LENGTH = 500
# A brand's accent: a hex colour, the only thing that reaches a stylesheet (demo pages, the preview).
ACCENT_PATTERN = r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$"
DEFAULT_ACCENT = "#2563eb"

Mode = Literal["voice", "text"]
Language = Literal["en", "de"]
Access = Literal["public", "link-only"]
Theme = Literal["light", "dark", "auto"]
Position = Literal["bottom-right", "bottom-left"]


@dataclass(frozen=True)
class Brand:
    company: str
    logo: str | None = None  # a path under /static/ or an https URL
    accent: str = DEFAULT_ACCENT
    theme: Theme = "auto"


@dataclass(frozen=True)
class WidgetDefaults:
    """The floating launcher's defaults (static/widget.js); a host page's data-* attributes win."""

    label: str | None = None  # None: "Talk to us" in the demo's language
    position: Position = "bottom-right"


@dataclass(frozen=True)
class DemoProfile:
    slug: str
    agent_id: str
    title: str = "Talk to our AI agent"
    default_mode: Mode = "voice"
    initial_text: str | None = None
    skip_greeting_on_initial_text: bool | None = None
    test_variables: Mapping[str, str] = field(default_factory=dict)
    # name -> maximum length: the only variables a page or a share link may set
    allowed_variables: Mapping[str, int] = field(default_factory=dict)
    overrides: Mapping[str, Any] = field(default_factory=dict)
    max_call_seconds: int | None = None
    description: str = ""
    display_name: str | None = None
    language: Language = "en"
    brand: Brand | None = None
    suggestions: tuple[str, ...] = ()
    consent_text: str | None = None
    allowed_origins: tuple[str, ...] = ()
    access: Access = "public"
    widget: WidgetDefaults = field(default_factory=WidgetDefaults)

    @property
    def link_only(self) -> bool:
        return self.access == "link-only"


def page_variable_problems(demo: DemoProfile, variables: Mapping[str, object]) -> dict[str, str]:
    """The page-variable rule, the one place the server states it: a page or a share link may set
    only the variables the demo lists, each as text of at most its length in characters (code
    points). Returns name -> why it is refused; empty when all pass. The browser's copy is
    static/js/page-variables.js (and the widget loader's inline one); tests/unit/test_page_variables.py
    holds them to the same cases."""
    problems: dict[str, str] = {}
    for name, value in variables.items():
        limit = demo.allowed_variables.get(name)
        if limit is None:
            problems[name] = "not allowed for this demo"
        elif not isinstance(value, str):
            problems[name] = "not text"
        elif len(value) > limit:
            problems[name] = f"longer than {limit} characters"
    return problems
