"""The checks of the app's own settings (webcall/settings.py `Settings.from_env`): one function per
setting or group, each returning the value to keep or raising `SettingsError` with one line naming
the setting. The value kinds gunicorn and `make run` share are in webcall/setting_values.py; the
settings of itellico's webhooks and the work they start are checked in webcall/webhook_setting_checks.py.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from .account_fields import AccountError, check_email
from .setting_values import (
    ORIGIN_EXAMPLE,
    Getter,
    SettingsError,
    mask_password,
    number,
    url_parts,
    web_origin,
    web_page,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Used when WEBCALL_DEMOS_FILE is not set and this file exists (it ships with two example demos).
DEFAULT_DEMOS_FILE = "demos.toml"
MIN_SALES_PASSWORD = 10
LOG_FORMATS = ("text", "json")


def env_getter(env: Mapping[str, str]) -> Getter:
    """The one way every setting is read from `env` (Settings.from_env, webcall/serving.py, the task
    worker, `make run`, gunicorn.conf.py): surrounding whitespace is dropped, and an empty value is no
    value, i.e. the default (`NAME=` in a systemd EnvironmentFile=, as setting_values.default_environment
    takes it). tests/unit/test_settings_read_one_way.py keeps raw reads out of the other modules."""

    def get(name: str) -> str | None:
        return env.get(name, "").strip() or None

    return get


def log_format_of(get: Getter) -> str:
    """WEBCALL_LOG_FORMAT, for the app and for gunicorn's own lines (webcall/serving.py)."""
    log_format = (get("WEBCALL_LOG_FORMAT") or "text").lower()
    if log_format not in LOG_FORMATS:
        raise SettingsError("WEBCALL_LOG_FORMAT", f"{log_format!r} is not text or json")
    return log_format


LOG_LEVELS = ("debug", "info", "warning", "error", "critical")  # gunicorn's; it ignores any other


def log_level_of(get: Getter) -> str:
    """WEBCALL_LOG_LEVEL: gunicorn's level (webcall/serving.py) and the app's loggers' (webcall/logs.py)."""
    log_level = (get("WEBCALL_LOG_LEVEL") or "info").lower()
    if log_level not in LOG_LEVELS:
        raise SettingsError("WEBCALL_LOG_LEVEL", f"{log_level!r} is not one of {', '.join(LOG_LEVELS)}")
    return log_level


def database_url(name: str, raw: str, environment: str) -> str:
    """Parsed as SQLAlchemy will (webcall/db.py), so that a bad port stops the start with one line and
    the message does not show the URL's password. Production keeps its data: no in-memory SQLite."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    what = (
        "a database URL like sqlite:///instance/webcall.sqlite3 or postgresql+psycopg://user:password@host/db"
    )
    try:
        url = make_url(raw)
        port = url.port
    except (ArgumentError, ValueError):
        raise SettingsError(name, f"{mask_password(raw)!r} is not {what}") from None
    if port is not None and not 0 < port < 65536:
        raise SettingsError(name, f"{mask_password(raw)!r}: port {port} is not in 1..65535")
    if (
        environment == "production"
        and url.get_backend_name() == "sqlite"
        and url.database in (None, "", ":memory:")
    ):
        raise SettingsError(
            name,
            f"{raw!r} is an in-memory database: production would lose every account, demo and call at "
            "each restart, and each gunicorn worker would have its own. Use a file or PostgreSQL",
        )
    return raw


# A create runs while the visitor's request waits for it, and the shipped nginx (deploy/nginx/webcall.conf,
# `proxy_read_timeout 30s`) and gunicorn's graceful timeout (WEBCALL_GRACEFUL_TIMEOUT, 30 s by default:
# webcall/serving.py) give that request 30 s: with up to 120 allowed, a slow create reached the visitor as
# nginx's 504 while itellico still made the call, billed with nobody on it (an operator's audit). 25 leaves
# the rest of the request its time.
MAX_CREATE_TIMEOUT = 25
CREATE_TIMEOUT_WHY = (
    "the shipped nginx and gunicorn give a request 30 s, and a create allowed longer reaches the visitor "
    "as nginx's 504 while itellico still makes the call"
)


def create_timeout(get: Getter) -> float:
    """ITELLICOAI_TIMEOUT_SECONDS: a whole request to itellico (webcall/itellico.py), 1..25 s."""
    return number("ITELLICOAI_TIMEOUT_SECONDS", get, 15.0, 1, MAX_CREATE_TIMEOUT, why=CREATE_TIMEOUT_WHY)


def base_url(name: str, value: str) -> str:
    parts = url_parts(name, value, "an http(s) URL")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(name, f"{mask_password(value)!r} is not an http(s) URL")
    if parts.query or parts.fragment:
        raise SettingsError(name, "must not carry a query or fragment")
    return value.rstrip("/")


def origins(name: str, raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    origins = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        origin = web_origin(item)
        if origin is None:
            raise SettingsError(name, f"{item!r} is not {ORIGIN_EXAMPLE}")
        origins.append(origin)
    return tuple(origins)


def demos_file(name: str, raw: str | None) -> str | None:
    if raw is None:
        default = PROJECT_ROOT / DEFAULT_DEMOS_FILE
        return str(default) if default.is_file() else None
    path = Path(raw)
    if not path.is_absolute():
        path = PROJECT_ROOT / path
    if not path.is_file():
        raise SettingsError(name, f"{raw!r}: no such file")
    return str(path)


def sales_password(name: str, raw: str | None) -> str | None:
    if raw is not None and len(raw) < MIN_SALES_PASSWORD:
        raise SettingsError(name, f"must be at least {MIN_SALES_PASSWORD} characters")
    return raw


def admin_email(password: str | None, raw: str | None) -> str | None:
    """The first admin's email; required with WEBCALL_SALES_PASSWORD, which is that admin's password."""
    name = "WEBCALL_SALES_ADMIN_EMAIL"
    if raw is None:
        if password is not None:
            raise SettingsError(name, "is not set; WEBCALL_SALES_PASSWORD is this first admin's password")
        return None
    try:
        return check_email(raw)
    except AccountError as error:
        raise SettingsError(name, f"{raw!r}: {error.message}") from None


def check_public_url(name: str, raw: str | None) -> str | None:
    """An http(s) address the app is reached at (no query or fragment), without a trailing slash."""
    if raw is None:
        return None
    what = "a URL like https://demo.example.com"
    parts = url_parts(name, raw, what)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise SettingsError(name, f"{mask_password(raw)!r} is not {what}")
    if web_origin(f"{parts.scheme}://{parts.netloc}") is None:
        # A user@ part or a host no browser has: no Origin header would ever equal this address, so
        # production would refuse every call from our own pages (security.own_origins).
        raise SettingsError(name, f"{mask_password(raw)!r} is not {what} (no user@, a plain host name)")
    return raw.rstrip("/")


def page_link(name: str, raw: str | None, environment: str) -> str | None:
    """An address our public pages link to (the imprint, the privacy policy), kept as given: the rule
    of `web_page`. Production links only over https, but to a loopback host, as a visitor's browser
    would otherwise open the deployer's legal pages unencrypted."""
    if raw is None:
        return None
    what = "an absolute https URL like https://www.example.com/imprint"
    url_parts(name, raw, what)  # a malformed host or port: said as for every URL setting
    parts = web_page(raw)
    if parts is None:
        raise SettingsError(name, f"{mask_password(raw)!r} is not {what}")
    host = parts.hostname or ""
    loopback = host == "localhost" or host.endswith(".localhost") or host in ("127.0.0.1", "::1")
    if parts.scheme == "http" and environment == "production" and not loopback:
        raise SettingsError(name, f"{raw!r} is plain http: production links to https only (http: localhost)")
    return raw


def check_tls_proxy(environment: str, public_url: str | None, hops: int) -> None:
    """An https public address served by gunicorn over plain http means a TLS proxy is in front;
    without trusting it every visitor shares the proxy's IP (one rate-limit budget for all), cookies
    lose `Secure` and HSTS is never sent. Refusing to start is visible before any visitor is."""
    https = public_url is not None and urlsplit(public_url).scheme == "https"  # `HTTPS://` too
    if environment == "production" and https and hops == 0:
        raise SettingsError(
            "WEBCALL_TRUSTED_PROXY_HOPS",
            f"is 0, but WEBCALL_PUBLIC_URL is {public_url}: set it to the number of TLS proxies in front of "
            "the app (usually 1), and keep HOST=127.0.0.1 so nobody can reach the app around them",
        )


def rate(name: str, get: Getter, default: str) -> str:
    from limits import parse_many

    raw = get(name) or default
    try:
        parse_many(raw)
    except ValueError:
        raise SettingsError(name, f"{raw!r} is not a rate like 10/minute or 100 per hour") from None
    return raw


def storage_uri(name: str, get: Getter) -> str:
    raw = get(name) or "memory://"
    what = "memory:// or a redis:// URI"
    if url_parts(name, raw, what).scheme not in (
        "memory",
        "redis",
        "rediss",
        "redis+sentinel",
        "redis+cluster",
    ):
        raise SettingsError(name, f"{mask_password(raw)!r} is not {what}")
    return raw


def csp_sources(name: str, raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    sources = tuple(raw.split())
    for source in sources:
        if not re.fullmatch(r"(wss?|https?)://[A-Za-z0-9.\-\[\]:*]+", source):
            raise SettingsError(name, f"{source!r} is not a ws(s)/http(s) origin")
    return sources


def check_metrics_allow(environment: str, networks: tuple[str, ...], hops: int) -> None:
    """Production runs behind a reverse proxy (docs/deployment.md). With no trusted hops the app sees
    the proxy's address for every visitor, so when the proxy is on the same host every request comes
    from loopback: allowing loopback would serve /metrics to the whole internet. Refuse to start."""
    if environment != "production" or hops:
        return
    for network in networks:
        parsed = ipaddress.ip_network(network)
        loopback = ipaddress.ip_network("127.0.0.0/8" if parsed.version == 4 else "::1/128")
        if parsed.overlaps(loopback):
            raise SettingsError(
                "WEBCALL_METRICS_ALLOW",
                f"allows {network}, but WEBCALL_TRUSTED_PROXY_HOPS is 0: behind a reverse proxy on this host "
                "every visitor comes from loopback. Set the hops, or scrape with WEBCALL_METRICS_TOKEN",
            )
