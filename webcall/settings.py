"""Settings from the environment (and `.env`), validated once at start.

Every name the app reads is declared here, and `.env.example` documents each one. A bad value
raises `SettingsError` naming the variable, which `app.py` prints as one line before exiting.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .setting_values import (
    ORIGIN_EXAMPLE,
    EnvFileError,
    Getter,
    SettingsError,
    flag,
    header_name,
    header_secret,
    ip_networks,
    is_digits,
    load_env_file,
    mask_password,
    number,
    optional_int,
    url_parts,
    uuid_value,
    web_origin,
)

__all__ = ["EnvFileError", "Settings", "SettingsError", "load_env_file", "mask_password"]

DEFAULT_BASE_URL = "https://api.itellico.ai"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Used when WEBCALL_DEMOS_FILE is not set and this file exists (it ships with two example demos).
DEFAULT_DEMOS_FILE = "demos.toml"
DEFAULT_DATABASE_URL = "sqlite:///instance/webcall.sqlite3"
MIN_SALES_PASSWORD = 10
# A bearer token shorter than this is guessable; `secrets.token_urlsafe(32)` makes a good one.
MIN_METRICS_TOKEN = 16
LOG_FORMATS = ("text", "json")


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
    # "built": the minified bundles in build/web/ (scripts/build-assets.mjs); "source": the plain modules.
    assets: str = "source"
    # Demo profiles (TOML); None: the single default demo of ITELLICOAI_AGENT_ID.
    demos_file: str | None = None
    # The call log; built directly (tests) it is one in-memory database per app.
    database_url: str = "sqlite://"
    # The studio's first admin, made at start when no account exists yet (docs/sales.md); once
    # any account exists both are ignored. The studio is off (404) while there is no account.
    sales_password: str | None = field(default=None, repr=False)
    sales_admin_email: str | None = None
    # Where share links printed by `flask demos link` point (e.g. https://demo.example.com).
    public_url: str | None = None
    # Calls a client IP / a demo may create, in Flask-Limiter notation; storage shared via Redis.
    rate_limit_per_ip: str = "10/minute"
    rate_limit_per_demo: str = "120/minute"
    rate_limit_storage_uri: str = "memory://"
    # Reverse proxies in front of the app whose X-Forwarded-* headers are trusted (ProxyFix).
    trusted_proxy_hops: int = 0
    # "production" refuses to start without WEBCALL_SECRET_KEY (`make serve` sets it).
    environment: str = "development"
    # Extra Content-Security-Policy connect-src entries (the LiveKit server, when not wss:/https:).
    extra_connect_src: tuple[str, ...] = ()
    # "text" (default) or "json": one JSON object per log line (webcall/logs.py).
    log_format: str = "text"
    # GET /metrics is served with this bearer token, or to a client address in `metrics_allow`
    # (networks, e.g. "10.0.0.7/32"); with neither it is refused to everyone (webcall/metrics.py).
    metrics_token: str | None = field(default=None, repr=False)
    metrics_allow: tuple[str, ...] = ()
    # itellico's webhooks (webcall/webhooks.py): the signing secret (None: the endpoint is off, 404),
    # the header names (not in the stored docs: confirm them in itellico's dashboard), how old a
    # signed timestamp may be (replays), and the largest body read.
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_signature_header: str = "X-Itellico-Signature"
    webhook_timestamp_header: str = "X-Itellico-Timestamp"
    webhook_tolerance_seconds: int = 300
    webhook_max_bytes: int = 1_048_576
    # The task queue (webcall/tasks.py): sqlite:///… (embedded, one host), redis://… (several
    # instances), memory:// (one process; what Settings built directly, i.e. tests, get).
    task_queue_url: str = "memory://"
    # Minutes between the background GET-call fallback for calls still open (0: off).
    refresh_minutes: int = 5
    # Rep notifications (docs/notifications.md): the SMTP server that sends the emails (no host: no
    # emails), the secret that signs outgoing webhooks (None: sent unsigned), how long one attempt may
    # take, and whether a rep's webhook may target loopback/private addresses (SSRF; tests and the
    # sandbox only: built directly, Settings refuse them).
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_from: str | None = None
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = True
    notify_signing_secret: str | None = field(default=None, repr=False)
    notify_timeout_seconds: float = 10.0
    notify_allow_private_targets: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        api_key = header_secret("ITELLICOAI_API_KEY", get("ITELLICOAI_API_KEY"))
        if api_key is None:
            raise SettingsError(
                "ITELLICOAI_API_KEY", "is not set (run `make run` without it to use the local sandbox)"
            )
        agent_id = get("ITELLICOAI_AGENT_ID")
        if agent_id is None:
            raise SettingsError("ITELLICOAI_AGENT_ID", "is not set; it names the agent of the / page")
        environment = get("WEBCALL_ENV") or "development"
        if environment not in ("development", "production"):
            raise SettingsError("WEBCALL_ENV", f"{environment!r} is not development or production")
        secret_key = get("WEBCALL_SECRET_KEY")
        if secret_key is not None and len(secret_key) < 16:
            raise SettingsError("WEBCALL_SECRET_KEY", "must be at least 16 characters")
        if secret_key is None and environment == "production":
            raise SettingsError("WEBCALL_SECRET_KEY", "is required in production (WEBCALL_ENV=production)")
        extra = {} if secret_key is None else {"secret_key": secret_key}
        public_url = check_public_url("WEBCALL_PUBLIC_URL", get("WEBCALL_PUBLIC_URL"))
        trusted_proxy_hops = optional_int("WEBCALL_TRUSTED_PROXY_HOPS", get, 0, 5) or 0
        _check_tls_proxy(environment, public_url, trusted_proxy_hops)
        # Production serves the minified build (a call start costs half the bytes); development the plain
        # modules, so an edit shows on reload without a build step.
        assets = get("WEBCALL_ASSETS") or ("built" if environment == "production" else "source")
        if assets not in ("built", "source"):
            raise SettingsError("WEBCALL_ASSETS", f"{assets!r} is not built or source")
        log_format = log_format_of(get)
        metrics_token = header_secret("WEBCALL_METRICS_TOKEN", get("WEBCALL_METRICS_TOKEN"))
        if metrics_token is not None and len(metrics_token) < MIN_METRICS_TOKEN:
            raise SettingsError("WEBCALL_METRICS_TOKEN", f"must be at least {MIN_METRICS_TOKEN} characters")
        sales_password = _password("WEBCALL_SALES_PASSWORD", get("WEBCALL_SALES_PASSWORD"))
        metrics_allow = ip_networks("WEBCALL_METRICS_ALLOW", get("WEBCALL_METRICS_ALLOW"))
        _check_metrics_allow(environment, metrics_allow, trusted_proxy_hops)
        return cls(
            api_key=api_key,
            agent_id=uuid_value("ITELLICOAI_AGENT_ID", agent_id),
            base_url=_base_url("ITELLICOAI_BASE_URL", get("ITELLICOAI_BASE_URL") or DEFAULT_BASE_URL),
            account_id=uuid_value("ITELLICOAI_ACCOUNT_ID", get("ITELLICOAI_ACCOUNT_ID")),
            secret_key_generated=secret_key is None,
            connect_timeout_seconds=number("ITELLICOAI_CONNECT_TIMEOUT_SECONDS", get, 5.0, 0.1, 60),
            create_timeout_seconds=number("ITELLICOAI_TIMEOUT_SECONDS", get, 15.0, 1, 120),
            agent_join_timeout_seconds=number("WEBCALL_AGENT_JOIN_TIMEOUT_SECONDS", get, 15.0, 1, 300),
            max_call_seconds=optional_int("WEBCALL_MAX_CALL_SECONDS", get, 10, 7200),
            rtc_no_ice_servers=flag("WEBCALL_RTC_NO_ICE_SERVERS", get),
            allowed_origins=_origins("WEBCALL_ALLOWED_ORIGINS", get("WEBCALL_ALLOWED_ORIGINS")),
            node_modules_dir=get("WEBCALL_NODE_MODULES_DIR") or "node_modules",
            assets=assets,
            demos_file=_demos_file("WEBCALL_DEMOS_FILE", get("WEBCALL_DEMOS_FILE")),
            database_url=_database_url(
                "WEBCALL_DATABASE_URL", get("WEBCALL_DATABASE_URL") or DEFAULT_DATABASE_URL, environment
            ),
            sales_password=sales_password,
            sales_admin_email=_admin_email(sales_password, get("WEBCALL_SALES_ADMIN_EMAIL")),
            public_url=public_url,
            environment=environment,
            rate_limit_per_ip=_rate("WEBCALL_RATE_LIMIT_PER_IP", get, "10/minute"),
            rate_limit_per_demo=_rate("WEBCALL_RATE_LIMIT_PER_DEMO", get, "120/minute"),
            rate_limit_storage_uri=_storage_uri("WEBCALL_RATE_LIMIT_STORAGE_URI", get),
            trusted_proxy_hops=trusted_proxy_hops,
            extra_connect_src=_sources("WEBCALL_CSP_CONNECT_SRC", get("WEBCALL_CSP_CONNECT_SRC")),
            log_format=log_format,
            metrics_token=metrics_token,
            metrics_allow=metrics_allow,
            webhook_secret=_webhook_secret("ITELLICOAI_WEBHOOK_SECRET", get("ITELLICOAI_WEBHOOK_SECRET")),
            **_webhook_headers(get),
            webhook_tolerance_seconds=optional_int("WEBCALL_WEBHOOK_TOLERANCE_SECONDS", get, 10, 3600) or 300,
            webhook_max_bytes=optional_int("WEBCALL_WEBHOOK_MAX_BYTES", get, 1024, 16_777_216) or 1_048_576,
            task_queue_url=task_queue_url(get),
            refresh_minutes=_refresh_minutes(get),
            **_notify_settings(get, environment),
            **extra,
        )


def log_format_of(get: Getter) -> str:
    """WEBCALL_LOG_FORMAT, for the app and for gunicorn's own lines (webcall/serving.py)."""
    log_format = (get("WEBCALL_LOG_FORMAT") or "text").lower()
    if log_format not in LOG_FORMATS:
        raise SettingsError("WEBCALL_LOG_FORMAT", f"{log_format!r} is not text or json")
    return log_format


def _database_url(name: str, raw: str, environment: str) -> str:
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


def _base_url(name: str, value: str) -> str:
    parts = url_parts(name, value, "an http(s) URL")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(name, f"{mask_password(value)!r} is not an http(s) URL")
    if parts.query or parts.fragment:
        raise SettingsError(name, "must not carry a query or fragment")
    return value.rstrip("/")


def _origins(name: str, raw: str | None) -> tuple[str, ...]:
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


def _demos_file(name: str, raw: str | None) -> str | None:
    if raw is None:
        default = PROJECT_ROOT / DEFAULT_DEMOS_FILE
        return str(default) if default.is_file() else None
    path = Path(raw)
    if not path.is_absolute():
        path = PROJECT_ROOT / path
    if not path.is_file():
        raise SettingsError(name, f"{raw!r}: no such file")
    return str(path)


def _password(name: str, raw: str | None) -> str | None:
    if raw is not None and len(raw) < MIN_SALES_PASSWORD:
        raise SettingsError(name, f"must be at least {MIN_SALES_PASSWORD} characters")
    return raw


def _admin_email(password: str | None, raw: str | None) -> str | None:
    """The first admin's email; required with WEBCALL_SALES_PASSWORD, which is that admin's password."""
    from .accounts import AccountError, check_email  # accounts imports db, which imports this module

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


def _check_tls_proxy(environment: str, public_url: str | None, hops: int) -> None:
    """An https public address served by gunicorn over plain http means a TLS proxy is in front;
    without trusting it every visitor shares the proxy's IP (one rate-limit budget for all), cookies
    lose `Secure` and HSTS is never sent. Refusing to start is visible before any visitor is."""
    if environment == "production" and public_url and public_url.startswith("https://") and hops == 0:
        raise SettingsError(
            "WEBCALL_TRUSTED_PROXY_HOPS",
            f"is 0, but WEBCALL_PUBLIC_URL is {public_url}: set it to the number of TLS proxies in front of "
            "the app (usually 1), and keep HOST=127.0.0.1 so nobody can reach the app around them",
        )


def _rate(name: str, get: Getter, default: str) -> str:
    from limits import parse_many

    raw = get(name) or default
    try:
        parse_many(raw)
    except ValueError:
        raise SettingsError(name, f"{raw!r} is not a rate like 10/minute or 100 per hour") from None
    return raw


def _storage_uri(name: str, get: Getter) -> str:
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


def _sources(name: str, raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    sources = tuple(raw.split())
    for source in sources:
        if not re.fullmatch(r"(wss?|https?)://[A-Za-z0-9.\-\[\]:*]+", source):
            raise SettingsError(name, f"{source!r} is not a ws(s)/http(s) origin")
    return sources


def _check_metrics_allow(environment: str, networks: tuple[str, ...], hops: int) -> None:
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


DEFAULT_TASK_QUEUE_URL = "sqlite:///instance/tasks.sqlite3"


def _webhook_secret(name: str, raw: str | None) -> str | None:
    raw = header_secret(name, raw)
    if raw is not None and len(raw) < 16:
        raise SettingsError(name, "must be at least 16 characters (copy the signing secret from itellico)")
    return raw


def _webhook_headers(get: Getter) -> dict[str, str]:
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


def _refresh_minutes(get: Getter) -> int:
    raw = get("WEBCALL_REFRESH_MINUTES")
    if raw is None:
        return 5
    if not is_digits(raw) or int(raw) > 59 or (int(raw) and 60 % int(raw)):
        raise SettingsError("WEBCALL_REFRESH_MINUTES", f"{raw!r} is not 0 (off) or a divisor of 60 minutes")
    return int(raw)


def _notify_settings(get: Getter, environment: str) -> dict[str, object]:
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
