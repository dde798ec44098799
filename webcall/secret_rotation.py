"""The secrets a rotation keeps accepting for a while (docs/operations.md, "Rotating secrets").

Share links, call handles and the studio's session cookie are signed with WEBCALL_SECRET_KEY, and a
changed key used to turn every one of them away at the restart (403 link_invalid for every link already
sent). WEBCALL_SECRET_KEY_FALLBACKS lists the keys used before: what they signed still verifies, nothing
new is signed with them. ITELLICOAI_WEBHOOK_SECRET_PREVIOUS is the same for itellico's webhook secret,
so deliveries still signed with the old one are not refused while itellico's dashboard changes over.
"""

from __future__ import annotations

from collections.abc import Sequence

from .setting_values import SettingsError

# The webhook's secrets: only the web process verifies signatures, so the task worker drops both
# (webcall/worker.py, webcall/devserver.py).
WEBHOOK_SECRET_NAMES = ("ITELLICOAI_WEBHOOK_SECRET", "ITELLICOAI_WEBHOOK_SECRET_PREVIOUS")
MIN_KEY_LENGTH = 16  # as WEBCALL_SECRET_KEY's own check (webcall/settings.py)


def secret_key_fallbacks(name: str, raw: str | None) -> tuple[str, ...]:
    """The earlier keys, separated by commas (any order; spaces around each and empty items dropped).
    A key too short is named by its place in the list, never shown."""
    keys = tuple(key.strip() for key in (raw or "").split(",") if key.strip())
    for place, key in enumerate(keys, 1):
        if len(key) < MIN_KEY_LENGTH:
            short = f"key {place} of {len(keys)} is shorter than {MIN_KEY_LENGTH} characters"
            raise SettingsError(name, f"{short} (commas separate the keys)")
    return keys


def signing_keys(current: str, fallbacks: Sequence[str]) -> list[str]:
    """The keys in itsdangerous's order: it signs with the last and verifies with each (as Flask does
    with SECRET_KEY_FALLBACKS for its session cookie)."""
    return [*(key for key in fallbacks if key != current), current]
