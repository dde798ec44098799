"""Settings from the environment (and `.env`), validated once at start.

Every name the app reads is declared here, and `.env.example` documents each one. A bad value
raises `SettingsError` naming the variable, which `app.py` prints as one line before exiting.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_BASE_URL = "https://api.itellico.ai"

Getter = Callable[[str], str | None]


class SettingsError(ValueError):
    """A setting is missing or invalid; `str()` is one line that names it."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"setting {name}: {problem}")
        self.name = name


@dataclass(frozen=True)
class Settings:
    api_key: str = field(repr=False)
    agent_id: str
    base_url: str = DEFAULT_BASE_URL
    account_id: str | None = None
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)
    secret_key_generated: bool = False
    connect_timeout_seconds: float = 5.0
    create_timeout_seconds: float = 15.0
    agent_join_timeout_seconds: float = 15.0
    max_call_seconds: int | None = None
    # Sandbox only: the browser ignores the SFU's STUN list, which is unreachable offline.
    rtc_no_ice_servers: bool = False
    allowed_origins: tuple[str, ...] = ()
    node_modules_dir: str = "node_modules"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        api_key = get("ITELLICOAI_API_KEY")
        if api_key is None:
            raise SettingsError(
                "ITELLICOAI_API_KEY", "is not set (run `make run` without it to use the local sandbox)"
            )
        agent_id = get("ITELLICOAI_AGENT_ID")
        if agent_id is None:
            raise SettingsError("ITELLICOAI_AGENT_ID", "is not set; it names the agent of the / page")
        secret_key = get("WEBCALL_SECRET_KEY")
        if secret_key is not None and len(secret_key) < 16:
            raise SettingsError("WEBCALL_SECRET_KEY", "must be at least 16 characters")
        extra = {} if secret_key is None else {"secret_key": secret_key}
        return cls(
            api_key=api_key,
            agent_id=_uuid("ITELLICOAI_AGENT_ID", agent_id),
            base_url=_base_url("ITELLICOAI_BASE_URL", get("ITELLICOAI_BASE_URL") or DEFAULT_BASE_URL),
            account_id=_uuid("ITELLICOAI_ACCOUNT_ID", get("ITELLICOAI_ACCOUNT_ID")),
            secret_key_generated=secret_key is None,
            connect_timeout_seconds=_number("ITELLICOAI_CONNECT_TIMEOUT_SECONDS", get, 5.0, 0.1, 60),
            create_timeout_seconds=_number("ITELLICOAI_TIMEOUT_SECONDS", get, 15.0, 1, 120),
            agent_join_timeout_seconds=_number("WEBCALL_AGENT_JOIN_TIMEOUT_SECONDS", get, 15.0, 1, 300),
            max_call_seconds=_optional_int("WEBCALL_MAX_CALL_SECONDS", get, 10, 7200),
            rtc_no_ice_servers=_flag("WEBCALL_RTC_NO_ICE_SERVERS", get),
            allowed_origins=_origins("WEBCALL_ALLOWED_ORIGINS", get("WEBCALL_ALLOWED_ORIGINS")),
            node_modules_dir=get("WEBCALL_NODE_MODULES_DIR") or "node_modules",
            **extra,
        )


def _uuid(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise SettingsError(name, f"{value!r} is not a UUID") from None


def _base_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(name, f"{value!r} is not an http(s) URL")
    if parts.query or parts.fragment:
        raise SettingsError(name, "must not carry a query or fragment")
    return value.rstrip("/")


def _number(name: str, get: Getter, default: float, low: float, high: float) -> float:
    raw = get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(name, f"{raw!r} is not a number") from None
    if not low <= value <= high:
        raise SettingsError(name, f"{raw} is outside {low:g}..{high:g}")
    return value


def _optional_int(name: str, get: Getter, low: int, high: int) -> int | None:
    raw = get(name)
    if raw is None:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise SettingsError(name, f"{raw!r} is not a whole number in {low}..{high}")
    return int(raw)


def _flag(name: str, get: Getter) -> bool:
    raw = (get(name) or "false").lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(name, f"{raw!r} is not true/false")


def _origins(name: str, raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    origins = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        parts = urlsplit(item)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
            raise SettingsError(name, f"{item!r} is not an origin like https://www.example.com")
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return tuple(origins)
