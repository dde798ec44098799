"""Demo profiles: which agent a page may call, and what a page may pass to it.

The browser names a demo by slug; everything sent upstream (agent, fixed variables, overrides)
comes from here, never from the browser. Without a profile file there is one demo, `default`,
whose agent is `ITELLICOAI_AGENT_ID`: the `/` page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

DEFAULT_SLUG = "default"

Mode = Literal["voice", "text"]


@dataclass(frozen=True)
class DemoProfile:
    slug: str
    agent_id: str
    title: str = "Talk to our AI agent"
    default_mode: Mode = "voice"
    initial_text: str | None = None
    skip_greeting_on_initial_text: bool | None = None
    test_variables: Mapping[str, str] = field(default_factory=dict)
    # name -> maximum length: the only variables a page may set
    allowed_variables: Mapping[str, int] = field(default_factory=dict)
    overrides: Mapping[str, Any] = field(default_factory=dict)
    max_call_seconds: int | None = None


class DemoRegistry:
    def __init__(self, profiles: Mapping[str, DemoProfile]) -> None:
        self._profiles = dict(profiles)

    @classmethod
    def single(cls, agent_id: str, max_call_seconds: int | None = None) -> DemoRegistry:
        return cls({DEFAULT_SLUG: DemoProfile(DEFAULT_SLUG, agent_id, max_call_seconds=max_call_seconds)})

    def get(self, slug: str | None) -> DemoProfile | None:
        return self._profiles.get(slug or DEFAULT_SLUG)
