"""The checks of the settings of itellico's webhooks and the work they start (webcall/settings.py
`Settings.from_env`): the webhooks' signing secret and header names, the task queue and its GET-call
fallback, rep notifications out (SMTP, signing secret, timeout, private targets). Each returns the value
to keep or raises `SettingsError` with one line naming the setting, as webcall/setting_checks.py does.
"""

from __future__ import annotations

import re

from .setting_values import (
    Getter,
    SettingsError,
    flag,
    header_name,
    header_secret,
    is_digits,
    mask_password,
    number,
    optional_int,
    url_parts,
)

DEFAULT_TASK_QUEUE_URL = "sqlite:///instance/tasks.sqlite3"


def webhook_secret(name: str, raw: str | None) -> str | None:
    raw = header_secret(name, raw)
    if raw is not None and len(raw) < 16:
        raise SettingsError(name, "must be at least 16 characters (copy the signing secret from itellico)")
    return raw


def webhook_headers(get: Getter) -> dict[str, str]:
    signature = header_name("WEBCALL_WEBHOOK_SIGNATURE_HEADER", get, "X-Itellico-Signature")
    timestamp = header_name("WEBCALL_WEBHOOK_TIMESTAMP_HEADER", get, "X-Itellico-Timestamp")
    if signature.lower() == timestamp.lower():  # HTTP header names ignore case
        raise SettingsError(
            "WEBCALL_WEBHOOK_TIMESTAMP_HEADER", f"is the signature's header too ({signature}): name another"
        )
    return {"webhook_signature_header": signature, "webhook_timestamp_header": timestamp}


def task_queue_url(get: Getter) -> str:
    """WEBCALL_TASK_QUEUE_URL, checked; the worker (webcall/worker.py) reads it through here too."""
    name = "WEBCALL_TASK_QUEUE_URL"
    raw = get(name) or DEFAULT_TASK_QUEUE_URL
    what = "sqlite:///<file> (relative to the project, or sqlite:////<absolute path>), redis://… or memory://"
    parts = url_parts(name, raw, what)
    if raw == "memory://":
        return raw
    # Exactly the spellings webcall.tasks.make_huey serves: anything else fell back to an in-process
    # queue the worker never sees (sqlite://file, SQLITE:///…), or put a query into the file name.
    if raw.startswith("sqlite:///"):
        ok = bool(parts.path.strip("/")) and not parts.query and not parts.fragment and "?" not in raw
    else:
        ok = raw.startswith(("redis://", "rediss://")) and bool(parts.hostname)
    if not ok:
        raise SettingsError(name, f"{mask_password(raw)!r} is not {what}")
    return raw


# The GET-call fallback is Huey's crontab(minute="*/N") (webcall/tasks.py): evenly spaced in every hour
# only for a divisor of 60; 60 itself is minute 0 of each hour, hourly.
REFRESH_MINUTES = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)


def refresh_minutes(get: Getter) -> int:
    raw = get("WEBCALL_REFRESH_MINUTES")
    if raw is None:
        return 5
    if not is_digits(raw) or (int(raw) and int(raw) not in REFRESH_MINUTES):
        allowed = ", ".join(map(str, REFRESH_MINUTES[:-1])) + f" or {REFRESH_MINUTES[-1]}"
        raise SettingsError(
            "WEBCALL_REFRESH_MINUTES", f"{raw!r} is not 0 (off) or a divisor of 60 minutes ({allowed})"
        )
    return int(raw)


def notify_settings(get: Getter, environment: str) -> dict[str, object]:
    """Rep notifications: SMTP for the emails, the outgoing webhooks' secret, timeout and SSRF guard."""
    host = get("WEBCALL_SMTP_HOST")
    sender = get("WEBCALL_SMTP_FROM")
    if host is not None and sender is None:
        raise SettingsError(
            "WEBCALL_SMTP_FROM", "is not set; emails need a From address (WEBCALL_SMTP_HOST is)"
        )
    if sender is not None and not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", sender):
        raise SettingsError("WEBCALL_SMTP_FROM", f"{sender!r} is not an email address")
    user, password = get("WEBCALL_SMTP_USER"), get("WEBCALL_SMTP_PASSWORD")
    if (user is None) != (password is None):
        raise SettingsError("WEBCALL_SMTP_PASSWORD", "and WEBCALL_SMTP_USER go together: set both or neither")
    secret = header_secret("WEBCALL_NOTIFY_SIGNING_SECRET", get("WEBCALL_NOTIFY_SIGNING_SECRET"))
    if secret is not None and len(secret) < 16:
        raise SettingsError("WEBCALL_NOTIFY_SIGNING_SECRET", "must be at least 16 characters")
    private = get("WEBCALL_NOTIFY_ALLOW_PRIVATE_TARGETS")
    return {
        "smtp_host": host,
        "smtp_port": optional_int("WEBCALL_SMTP_PORT", get, 1, 65535) or 587,
        "smtp_from": sender,
        "smtp_user": user,
        "smtp_password": password,
        "smtp_starttls": flag("WEBCALL_SMTP_STARTTLS", lambda n: get(n) or "true"),
        "notify_signing_secret": secret,
        "notify_timeout_seconds": number("WEBCALL_NOTIFY_TIMEOUT_SECONDS", get, 10.0, 1, 60),
        # Development (`make run`: the sandbox, receivers on 127.0.0.1) allows them unless told otherwise.
        "notify_allow_private_targets": flag("WEBCALL_NOTIFY_ALLOW_PRIVATE_TARGETS", get)
        if private is not None
        else environment == "development",
    }
