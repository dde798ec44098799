"""The demos one process serves: looked up by slug (none: `default`), listed default first, and
the origins they may be embedded on. Made from a demos.toml file (`flask demos check`, tests) or as
the snapshot of the demos in the database (webcall/demo_store.py); each demo's settings and their
rules are webcall/demo_schema.py's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from .demo_schema import DemoConfigError, parse_profiles
from .demos import DEFAULT_SLUG, DemoProfile
from .settings import Settings


class DemoRegistry:
    def __init__(
        self,
        profiles: Mapping[str, DemoProfile],
        source: str | None = None,
        refused: Mapping[str, list[str]] | None = None,
        kept: Iterable[str] = (),
    ) -> None:
        self._profiles = dict(profiles)
        self.source = source
        # Stored demos this release's rules refuse (webcall/demo_store.py), with their mistakes: the
        # studio lists them to be mended. Those in `kept` are served as this process last accepted
        # them; `default` otherwise as the settings' agent; any other not at all.
        self.refused = dict(refused or {})
        self.kept = frozenset(kept)

    @classmethod
    def single(cls, agent_id: str, max_call_seconds: int | None = None) -> DemoRegistry:
        return cls({DEFAULT_SLUG: DemoProfile(DEFAULT_SLUG, agent_id, max_call_seconds=max_call_seconds)})

    @classmethod
    def load(cls, path: Path | str | None, settings: Settings) -> DemoRegistry:
        """Profiles from `path`; with no path, the single default demo. Raises DemoConfigError."""
        agent_id, max_call_seconds = settings.agent_id, settings.max_call_seconds
        if path is None:
            return cls.single(agent_id, max_call_seconds)
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise DemoConfigError(path, [f"cannot be read: {error}"]) from None
        profiles = parse_profiles(text, str(path), agent_id, max_call_seconds)
        default = DemoProfile(DEFAULT_SLUG, agent_id, max_call_seconds=max_call_seconds)
        profiles.setdefault(DEFAULT_SLUG, default)
        return cls(profiles, source=str(path))

    def get(self, slug: str | None) -> DemoProfile | None:
        return self._profiles.get(slug or DEFAULT_SLUG)

    def __iter__(self) -> Iterator[DemoProfile]:
        return iter(sorted(self._profiles.values(), key=lambda d: (d.slug != DEFAULT_SLUG, d.slug)))

    def __len__(self) -> int:
        return len(self._profiles)

    def all_origins(self) -> tuple[str, ...]:
        """Every origin some demo allows (the widget may embed those demos there)."""
        return tuple(sorted({origin for demo in self._profiles.values() for origin in demo.allowed_origins}))
