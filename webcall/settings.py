"""Settings from the environment (and `.env`), validated once at start.

Every setting the app has is a field of `Settings`, read by `from_env` through the check of each
(webcall/setting_checks.py, webcall/webhook_setting_checks.py), and `.env.example` documents each
one. A bad value raises `SettingsError` naming the variable, which `app.py` prints as one line before
exiting. `NAMES` lists every name read from the environment, also by gunicorn.conf.py; a name like
ours that is not in it is a misspelling, said at start (`check_names`).
"""

from __future__ import annotations

import difflib
import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from . import logs
from . import setting_checks as check
from . import webhook_setting_checks as hook_check
from .secret_rotation import secret_key_fallbacks
from .setting_values import (
    EnvFileError,
    SettingsError,
    flag,
    header_secret,
    ip_networks,
    load_env_file,
    mask_password,
    number,
    optional_int,
    uuid_value,
)

__all__ = ["EnvFileError", "Settings", "SettingsError", "load_env_file", "mask_password"]

DEFAULT_BASE_URL = "https://api.itellico.ai"
DEFAULT_DATABASE_URL = "sqlite:///instance/webcall.sqlite3"
# A bearer token shorter than this is guessable; `secrets.token_urlsafe(32)` makes a good one.
MIN_METRICS_TOKEN = 16
# Every WEBCALL_/ITELLICOAI_ name read from the environment: the settings below and gunicorn's
# (webcall/serving.py); tests/unit/test_unknown_settings.py finds each name the code reads in here.
NAMES = tuple(
    """
    ITELLICOAI_API_KEY ITELLICOAI_BASE_URL ITELLICOAI_ACCOUNT_ID ITELLICOAI_AGENT_ID
    ITELLICOAI_CONNECT_TIMEOUT_SECONDS ITELLICOAI_TIMEOUT_SECONDS ITELLICOAI_WEBHOOK_SECRET
    ITELLICOAI_WEBHOOK_SECRET_PREVIOUS WEBCALL_SECRET_KEY_FALLBACKS
    WEBCALL_ENV WEBCALL_SECRET_KEY WEBCALL_AGENT_JOIN_TIMEOUT_SECONDS WEBCALL_MAX_CALL_SECONDS
    WEBCALL_ALLOWED_ORIGINS WEBCALL_RTC_NO_ICE_SERVERS WEBCALL_NODE_MODULES_DIR WEBCALL_ASSETS
    WEBCALL_DEMOS_FILE WEBCALL_DATABASE_URL WEBCALL_SALES_ADMIN_EMAIL WEBCALL_SALES_PASSWORD
    WEBCALL_PUBLIC_URL WEBCALL_RATE_LIMIT_PER_IP WEBCALL_RATE_LIMIT_PER_DEMO WEBCALL_RATE_LIMIT_STORAGE_URI
    WEBCALL_OPEN_CALLS_PER_IP WEBCALL_OPEN_CALL_HOLD_SECONDS
    WEBCALL_TRUSTED_PROXY_HOPS WEBCALL_CSP_CONNECT_SRC WEBCALL_LOG_FORMAT WEBCALL_METRICS_TOKEN
    WEBCALL_METRICS_ALLOW WEBCALL_WEBHOOK_SIGNATURE_HEADER WEBCALL_WEBHOOK_TIMESTAMP_HEADER
    WEBCALL_WEBHOOK_TOLERANCE_SECONDS WEBCALL_WEBHOOK_MAX_BYTES WEBCALL_TASK_QUEUE_URL
    WEBCALL_REFRESH_MINUTES WEBCALL_SMTP_HOST WEBCALL_SMTP_PORT WEBCALL_SMTP_FROM WEBCALL_SMTP_USER
    WEBCALL_SMTP_PASSWORD WEBCALL_SMTP_STARTTLS WEBCALL_NOTIFY_SIGNING_SECRET
    WEBCALL_NOTIFY_TIMEOUT_SECONDS WEBCALL_NOTIFY_ALLOW_PRIVATE_TARGETS
    WEBCALL_IMPRINT_URL WEBCALL_PRIVACY_URL
    WEBCALL_THREADS WEBCALL_GRACEFUL_TIMEOUT WEBCALL_LOG_LEVEL
    """.split()
)


# Names that look like one of ours, in any case (environment names are case-sensitive: a lower-case
# one is not read either).
OUR_PREFIXES = ("WEBCALL_", "ITELLICOAI_")
log = logging.getLogger("webcall.settings")


def check_names(env: Mapping[str, str], environment: str, log_format: str, log_level: str = "info") -> None:
    """A name in `env` like ours that is no setting is a misspelling the app would silently do without:
    an operator's misspelt database URL name started production on a new, empty SQLite database, and a
    misspelt metrics token name left /metrics off without a line. Each is named with the closest setting;
    its value never (it may be a secret). An empty value is left out: empty means the default.

    Production refuses to start, as it does for a bad value (one line): a typo there swaps the database
    or turns a protection off, and is found only when someone misses the data. Development warns and
    goes on, so that `make run` and the CLI keep working while `.env` is being edited."""
    found = [
        (name, difflib.get_close_matches(name.upper(), NAMES, n=1))
        for name in sorted(env)
        if name.upper().startswith(OUR_PREFIXES) and name not in NAMES and env[name].strip()
    ]
    said = [
        (name, f"(did you mean {close[0]}?)" if close else "(.env.example lists them)")
        for name, close in found
    ]
    if not said:
        return
    if environment == "production":
        (name, hint), rest = said[0], said[1:]
        also = "".join(f"; also {other} {other_hint}" for other, other_hint in rest)
        raise SettingsError(
            name,
            f"is not a setting {hint}{also}. Production refuses names it does not know: correct or remove "
            f"{'them' if rest else 'it'}",
        )
    # The app configures its logging only after reading its settings; these lines come first.
    logs.configure(log_level, log_format)
    for name, hint in said:
        log.warning("%s is not a setting %s; it is ignored (production refuses to start with it)", name, hint)


@dataclass(frozen=True)
class Settings:
    api_key: str = field(repr=False)
    agent_id: str
    base_url: str = DEFAULT_BASE_URL
    account_id: str | None = None
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)
    secret_key_generated: bool = False
    # Keys used before WEBCALL_SECRET_KEY (WEBCALL_SECRET_KEY_FALLBACKS): what they signed still
    # verifies, nothing new is signed with them (webcall/secret_rotation.py).
    secret_key_fallbacks: tuple[str, ...] = field(default=(), repr=False)
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
    # Calls a client IP (a share link: per link) may have started and not yet over at once, and how long
    # a call counts when its end is never heard of (webcall/open_calls.py). None: no such cap, what
    # Settings built directly (tests) get; from the environment 2.
    open_calls_per_ip: int | None = None
    open_call_hold_seconds: int = 90
    # Reverse proxies in front of the app whose X-Forwarded-* headers are trusted (ProxyFix).
    trusted_proxy_hops: int = 0
    # "production" refuses to start without WEBCALL_SECRET_KEY (`make serve` sets it).
    environment: str = "development"
    # Extra Content-Security-Policy connect-src entries (the LiveKit server, when not wss:/https:).
    extra_connect_src: tuple[str, ...] = ()
    # "text" (default) or "json": one JSON object per log line (webcall/logs.py).
    log_format: str = "text"
    log_level: str = "info"
    # GET /metrics is served with this bearer token, or to a client address in `metrics_allow`
    # (networks, e.g. "10.0.0.7/32"); with neither it is refused to everyone (webcall/metrics.py).
    metrics_token: str | None = field(default=None, repr=False)
    metrics_allow: tuple[str, ...] = ()
    # itellico's webhooks (webcall/webhooks.py): the signing secret (None: the endpoint is off, 404),
    # the header names (not in the stored docs: confirm them in itellico's dashboard), how old a
    # signed timestamp may be (replays), and the largest body read.
    webhook_secret: str | None = field(default=None, repr=False)
    # The secret before it (ITELLICOAI_WEBHOOK_SECRET_PREVIOUS), accepted too while itellico changes over.
    webhook_secret_previous: str | None = field(default=None, repr=False)
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
    # take, and whether a rep's webhook may target loopback/private addresses (the SSRF guard off).
    # from_env takes WEBCALL_NOTIFY_ALLOW_PRIVATE_TARGETS, by default on in development (`make run`'s
    # receivers on 127.0.0.1) and off in production, where an operator may turn it on for receivers on
    # the internal network (tests/unit/test_notifications_settings.py); built directly (tests) it is off.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_from: str | None = None
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = True
    notify_signing_secret: str | None = field(default=None, repr=False)
    notify_timeout_seconds: float = 10.0
    notify_allow_private_targets: bool = False
    # The deployer's imprint and privacy policy, linked from a footer of our own public pages (None: no
    # link; neither: no footer). Not on the embed page or the widget: they sit in the host site's page.
    imprint_url: str | None = None
    privacy_url: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        get = check.env_getter(env)
        environment = get("WEBCALL_ENV") or "development"
        if environment not in ("development", "production"):
            raise SettingsError("WEBCALL_ENV", f"{environment!r} is not development or production")
        log_format = check.log_format_of(get)
        log_level = check.log_level_of(get)
        # Before any other check: a misspelt API key name is better said as itself than as a missing key.
        check_names(env, environment, log_format, log_level)
        api_key = header_secret("ITELLICOAI_API_KEY", get("ITELLICOAI_API_KEY"))
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
        if secret_key is None and environment == "production":
            raise SettingsError("WEBCALL_SECRET_KEY", "is required in production (WEBCALL_ENV=production)")
        extra = {} if secret_key is None else {"secret_key": secret_key}
        public_url = check.check_public_url("WEBCALL_PUBLIC_URL", get("WEBCALL_PUBLIC_URL"))
        trusted_proxy_hops = optional_int("WEBCALL_TRUSTED_PROXY_HOPS", get, 0, 5) or 0
        check.check_tls_proxy(environment, public_url, trusted_proxy_hops)
        # Production serves the minified build (a call start costs half the bytes); development the plain
        # modules, so an edit shows on reload without a build step.
        assets = get("WEBCALL_ASSETS") or ("built" if environment == "production" else "source")
        if assets not in ("built", "source"):
            raise SettingsError("WEBCALL_ASSETS", f"{assets!r} is not built or source")
        metrics_token = header_secret("WEBCALL_METRICS_TOKEN", get("WEBCALL_METRICS_TOKEN"))
        if metrics_token is not None and len(metrics_token) < MIN_METRICS_TOKEN:
            raise SettingsError("WEBCALL_METRICS_TOKEN", f"must be at least {MIN_METRICS_TOKEN} characters")
        sales_password = check.sales_password("WEBCALL_SALES_PASSWORD", get("WEBCALL_SALES_PASSWORD"))
        metrics_allow = ip_networks("WEBCALL_METRICS_ALLOW", get("WEBCALL_METRICS_ALLOW"))
        check.check_metrics_allow(environment, metrics_allow, trusted_proxy_hops)
        return cls(
            api_key=api_key,
            agent_id=uuid_value("ITELLICOAI_AGENT_ID", agent_id),
            base_url=check.base_url("ITELLICOAI_BASE_URL", get("ITELLICOAI_BASE_URL") or DEFAULT_BASE_URL),
            account_id=uuid_value("ITELLICOAI_ACCOUNT_ID", get("ITELLICOAI_ACCOUNT_ID")),
            secret_key_generated=secret_key is None,
            secret_key_fallbacks=secret_key_fallbacks(
                "WEBCALL_SECRET_KEY_FALLBACKS", get("WEBCALL_SECRET_KEY_FALLBACKS")
            ),
            connect_timeout_seconds=number("ITELLICOAI_CONNECT_TIMEOUT_SECONDS", get, 5.0, 0.1, 60),
            create_timeout_seconds=check.create_timeout(get),
            agent_join_timeout_seconds=number("WEBCALL_AGENT_JOIN_TIMEOUT_SECONDS", get, 15.0, 1, 300),
            max_call_seconds=optional_int("WEBCALL_MAX_CALL_SECONDS", get, 10, 7200),
            rtc_no_ice_servers=flag("WEBCALL_RTC_NO_ICE_SERVERS", get),
            allowed_origins=check.origins("WEBCALL_ALLOWED_ORIGINS", get("WEBCALL_ALLOWED_ORIGINS")),
            node_modules_dir=get("WEBCALL_NODE_MODULES_DIR") or "node_modules",
            assets=assets,
            demos_file=check.demos_file("WEBCALL_DEMOS_FILE", get("WEBCALL_DEMOS_FILE")),
            database_url=check.database_url(
                "WEBCALL_DATABASE_URL", get("WEBCALL_DATABASE_URL") or DEFAULT_DATABASE_URL, environment
            ),
            sales_password=sales_password,
            sales_admin_email=check.admin_email(sales_password, get("WEBCALL_SALES_ADMIN_EMAIL")),
            public_url=public_url,
            environment=environment,
            rate_limit_per_ip=check.rate("WEBCALL_RATE_LIMIT_PER_IP", get, "10/minute"),
            rate_limit_per_demo=check.rate("WEBCALL_RATE_LIMIT_PER_DEMO", get, "120/minute"),
            rate_limit_storage_uri=check.storage_uri("WEBCALL_RATE_LIMIT_STORAGE_URI", get),
            open_calls_per_ip=optional_int("WEBCALL_OPEN_CALLS_PER_IP", get, 1, 1000) or 2,
            open_call_hold_seconds=optional_int("WEBCALL_OPEN_CALL_HOLD_SECONDS", get, 10, 3600) or 90,
            trusted_proxy_hops=trusted_proxy_hops,
            extra_connect_src=check.csp_sources("WEBCALL_CSP_CONNECT_SRC", get("WEBCALL_CSP_CONNECT_SRC")),
            log_format=log_format,
            log_level=log_level,
            metrics_token=metrics_token,
            metrics_allow=metrics_allow,
            webhook_secret=hook_check.webhook_secret(
                "ITELLICOAI_WEBHOOK_SECRET", get("ITELLICOAI_WEBHOOK_SECRET")
            ),
            webhook_secret_previous=hook_check.webhook_secret(
                "ITELLICOAI_WEBHOOK_SECRET_PREVIOUS", get("ITELLICOAI_WEBHOOK_SECRET_PREVIOUS")
            ),
            **hook_check.webhook_headers(get),
            webhook_tolerance_seconds=optional_int("WEBCALL_WEBHOOK_TOLERANCE_SECONDS", get, 10, 3600) or 300,
            webhook_max_bytes=optional_int("WEBCALL_WEBHOOK_MAX_BYTES", get, 1024, 16_777_216) or 1_048_576,
            task_queue_url=hook_check.task_queue_url(get),
            refresh_minutes=hook_check.refresh_minutes(get),
            **hook_check.notify_settings(get, environment),
            imprint_url=check.page_link("WEBCALL_IMPRINT_URL", get("WEBCALL_IMPRINT_URL"), environment),
            privacy_url=check.page_link("WEBCALL_PRIVACY_URL", get("WEBCALL_PRIVACY_URL"), environment),
            **extra,
        )
