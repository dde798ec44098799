"""itellico web-call: the Flask app that turns a click into a talk with an itellico voice agent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask.globals import request_ctx
from sqlalchemy import Engine
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map

from . import cli_start, db, logs, metrics, request_id, studio_unavailable
from .accounts import Accounts
from .calllog import CallLog
from .demo_store import DemoStore
from .errors import ApiError, ErrorCode
from .handles import CallHandles
from .itellico import ItellicoClient
from .link_store import LinkStore
from .links import ShareLinks
from .lockout import Lockout
from .services import EXTENSION, Services
from .sessions import Sessions
from .settings import Settings, SettingsError, load_env_file

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["ROOT", "SettingsError", "create_app"]


class _Routes(Map):
    """Werkzeug answers `//` in a path with a redirect to the merged path, an absolute URL built from the
    request's Host header (and a 308 is cacheable): `Host: evil.example` became `Location:
    http://evil.example/demo/…`. No page of ours has such an address, so it is a 404."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{"merge_slashes": False, **kwargs})


class _App(Flask):
    url_map_class = _Routes  # used as Flask() makes its map, before the static route is added

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cli = cli_start.Commands(self.name)  # `flask backup`, `flask db` run without the start


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. `test_config` may hold `settings` (a Settings), `itellico_transport`
    (an httpx transport), `itellico_sleep` (the retry back-off's sleep) and plain Flask config keys."""
    test_config = dict(test_config or {})
    settings = test_config.pop("settings", None)
    transport = test_config.pop("itellico_transport", None)
    client_options = {"sleep": test_config.pop("itellico_sleep")} if "itellico_sleep" in test_config else {}
    if settings is None:
        load_env_file(ROOT / ".env")  # not UTF-8: one line (a SettingsError), not a traceback
        settings = Settings.from_env()
    # Before anything counts a metric (the database's start may): a bad folder is one line, not a
    # FileNotFoundError from prometheus_client.
    metrics.check_multiprocess_dir()

    app = _App(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    # Flask's session cookie verifies with the fallbacks too (Flask ≥ 3.1); the studio's CSRF tokens do in
    # webcall/studio_csrf.py (Flask-WTF alone does not).
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key,
        SECRET_KEY_FALLBACKS=list(settings.secret_key_fallbacks),
        JSON_SORT_KEYS=False,
    )
    app.config.update(test_config)
    logs.configure(settings.log_level, settings.log_format)
    # From here on no log line of this process carries these, whoever logs it (webcall/logs.py).
    secrets = {
        "ITELLICOAI_API_KEY": [settings.api_key],
        "WEBCALL_SECRET_KEY": [settings.secret_key],
        "WEBCALL_SECRET_KEY_FALLBACKS": list(settings.secret_key_fallbacks),
        "WEBCALL_SALES_PASSWORD": [settings.sales_password],
        "WEBCALL_METRICS_TOKEN": [settings.metrics_token],
        "ITELLICOAI_WEBHOOK_SECRET": [settings.webhook_secret],
        "ITELLICOAI_WEBHOOK_SECRET_PREVIOUS": [settings.webhook_secret_previous],
        "WEBCALL_SMTP_PASSWORD": [settings.smtp_password],
        "WEBCALL_NOTIFY_SIGNING_SECRET": [settings.notify_signing_secret],
    }
    logs.add_secrets(value for values in secrets.values() for value in values)
    if settings.environment == "production":
        for name in logs.too_short(secrets):
            app.logger.warning(
                "OPERATOR: %s is shorter than %d characters, too short to tell from ordinary words, so "
                "log lines cannot hide it: use a longer one",
                name,
                logs.MIN_SECRET_LENGTH,
            )
    # First of all hooks: whatever runs later in a request may log, and its lines carry the id.
    request_id.init_app(app, settings.trusted_proxy_hops)
    if settings.secret_key_generated:
        app.logger.warning(
            "WEBCALL_SECRET_KEY is not set: using a random key, so call handles do not survive a restart "
            "or work across processes"
        )

    node_modules = Path(settings.node_modules_dir)
    if not node_modules.is_absolute():
        settings = replace(settings, node_modules_dir=str(ROOT / node_modules))
    itellico = ItellicoClient(
        settings.base_url,
        settings.api_key,
        account_id=settings.account_id,
        connect_timeout=settings.connect_timeout_seconds,
        timeout=settings.create_timeout_seconds,
        transport=transport,
        request_id=request_id.current,
        observer=metrics.UpstreamMetrics(),
        **client_options,
    )
    database = db.open_database(settings.database_url, ROOT, migrate=False)  # by _start_database
    # Constructors only: the start's reads and writes are _start_database's, under db.starting().
    sessions = Sessions(database)
    accounts = Accounts(database)
    # A new password or a disabled account ends every session of that account.
    accounts.on_password_or_disable = sessions.end_all
    app.extensions[EXTENSION] = Services(
        settings=settings,
        itellico=itellico,
        handles=CallHandles(settings.secret_key, settings.secret_key_fallbacks),
        demos=DemoStore(database, settings),  # seeded and read by _start_database
        # Revocation and extended expiries live in the links' rows: every token check (demo page,
        # widget, iframe, POST /api/calls) reads them (webcall/links.py, webcall/link_store.py).
        links=ShareLinks(
            settings.secret_key, LinkStore(database).state, fallbacks=settings.secret_key_fallbacks
        ),
        calllog=CallLog(database),
        accounts=accounts,
        sessions=sessions,
        lockout=Lockout(database),
    )

    from . import (
        admin,
        api,
        backup_cli,
        cli,
        db_cli,
        demo_cli,
        embed,
        health,
        history,
        pages,
        ratelimit,
        security,
        studio,
        users_cli,
    )

    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    metrics.set_build_info(ROOT)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    app.add_template_global(history.history_address)  # templates/base.html, for pages answering a POST
    pages.init_assets(app, settings)
    app.register_blueprint(embed.bp)
    studio.init_app(app)
    app.register_blueprint(admin.bp)
    from . import logos, studio_demos, studio_preview  # the demo editor, its preview and its logos

    app.register_blueprint(studio_demos.bp)
    app.register_blueprint(studio_preview.bp)
    app.register_blueprint(logos.bp)
    from . import tasks, webhooks  # itellico's webhooks in, their work through the task queue

    tasks.init_app(app, ROOT)
    webhooks.init_app(app)
    from . import notification_log, notification_prefs  # rep notifications out (webcall/notify.py)

    app.register_blueprint(notification_prefs.bp)
    app.register_blueprint(notification_log.bp)
    security.init_app(app)
    ratelimit.init_app(app)
    cli.demos.add_command(demo_cli.import_command)
    cli.demos.add_command(demo_cli.export_command)
    app.cli.add_command(cli.demos)
    app.cli.add_command(users_cli.users)
    app.cli.add_command(db_cli.db)
    app.cli.add_command(backup_cli.backup_command)
    _register_error_pages(app)
    cli_start.start(app, partial(_start_database, app, database))  # now, or once `flask` knows its command
    return app


def _start_database(app: Flask, database: Engine) -> None:
    """A start's work in the database: migrate the schema, seed and read the demos, make the first
    admin. `flask --app app backup|db …` run without it, on the database as it is (webcall/cli_start.py)."""
    from . import studio_demos

    svc = app.extensions[EXTENSION]
    settings = svc.settings
    db.migrate_schema(database)
    with db.starting():
        app.extensions[EXTENSION] = replace(svc, demos=DemoStore.open(database, settings))
        if settings.sales_admin_email and settings.sales_password:
            svc.accounts.first_admin(settings.sales_admin_email, settings.sales_password)
    with app.app_context():  # after every blueprint: the studio's page names come from its routes
        for warning in studio_demos.studio_named(demo.slug for demo in app.extensions[EXTENSION].demos):
            app.logger.warning("%s", warning)


def _register_error_pages(app: Flask) -> None:
    def wants_json() -> bool:
        return request.path.startswith("/api/")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response | tuple[Response | str, int]:
        if error.response is not None:  # already a finished answer, e.g. the rate limiter's 429
            return error.response
        if wants_json():
            code = {404: ErrorCode.NOT_FOUND, 405: ErrorCode.METHOD_NOT_ALLOWED}.get(
                error.code or 0, ErrorCode.INVALID_REQUEST
            )
            api_error = ApiError(code, status=error.code or 400)
            response = jsonify(api_error.body())
            response.status_code = api_error.status
            response.headers["Cache-Control"] = "no-store"
        else:
            status = error.code or 500
            if status < 400 or status >= 500:  # a redirect (a slash added), or a server-side refusal
                return error.get_response()
            reason = {404: "not_found", 403: "forbidden"}.get(status, "refused")
            studio_unavailable.error_page()  # drawn without asking the database for the rep
            if request_ctx.url_adapter is None:
                # A Host Werkzeug cannot read (BadHost: a label over 63 letters, an empty one) leaves
                # the request without URLs; the page's links are paths, so any name binds them.
                request_ctx.url_adapter = app.url_map.bind("host.invalid", request.script_root or "/")
            response = Response(render_template("demo_unavailable.html", reason=reason), status=status)
        # A 405 names the methods the path takes (RFC 9110); Werkzeug's own answer has them.
        response.headers.extend([(k, v) for k, v in error.get_headers() if k == "Allow"])
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response | tuple[Response | str, int]:
        # The error page never asks the database for the rep: a database that failed the request
        # failed its error page too (two tracebacks). A studio page with the database unavailable:
        # one 503 page and one line (webcall/studio_unavailable.py).
        studio_unavailable.error_page()
        down = studio_unavailable.answer(error)
        if down is not None:
            return down
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            response = jsonify(ApiError(ErrorCode.INTERNAL_ERROR).body())
            response.headers["Cache-Control"] = "no-store"
            return response, 500
        try:
            return render_template("demo_unavailable.html", reason="error"), 500
        except Exception:  # the page itself failed (a broken install): the words, at least
            app.logger.exception("the error page failed")
            return "Something went wrong on our side.", 500
