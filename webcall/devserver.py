"""`make run`: serve the app on 127.0.0.1, against the local sandbox when no API key is set.
With `--gunicorn` (`make serve SANDBOX=1`) the app runs under gunicorn instead of werkzeug.
`link SLUG [--var k=v] [--expires 7d]` (`make link`) prints a share link the running app accepts.

Locally, a secret key is kept in instance/dev-secret-key (made once), so call handles and share
links survive restarts; in the sandbox the studio gets a ready admin (SANDBOX_ADMIN_EMAIL unless
WEBCALL_SALES_ADMIN_EMAIL is set) whose password is made per run and printed.

Ctrl-C (or SIGTERM) stops everything it started: the app, its task worker (watched while the app
serves: webcall/worker_watch.py), the stand-in API, every agent process and livekit-server.

`make run` and `make serve SANDBOX=1` set PROMETHEUS_MULTIPROC_DIR before this starts, so the app's
/metrics adds up the task worker's samples with its own (webcall/metrics.py); run directly without
it, the worker's counters stay in the worker.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
from types import FrameType
from typing import TYPE_CHECKING

from werkzeug.serving import make_server

from . import ROOT, SettingsError, create_app, logs
from .secret_rotation import WEBHOOK_SECRET_NAMES
from .setting_checks import env_getter, log_format_of
from .setting_values import cannot_start, default_environment, say_cannot_start, whole_number
from .settings import load_env_file
from .worker_watch import WorkerWatch

if TYPE_CHECKING:
    from sandbox.stack import SandboxStack


def _setting(name: str) -> str | None:
    """A setting's value as the app reads it (setting_checks.env_getter): None when unset or empty."""
    return env_getter(os.environ)(name)


def _port(name: str, default: int) -> int:
    raw = _setting(name)  # empty is the default, as gunicorn takes PORT (webcall/serving.py)
    try:
        return default if raw is None else whole_number(name, raw, 1, 65535, "a port number")
    except SettingsError as error:
        raise SystemExit(cannot_start(error)) from None


def _stop_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


DEV_SECRET_FILE = ROOT / "instance" / "dev-secret-key"
SANDBOX_ADMIN_EMAIL = "admin@sandbox.example"


def _dev_secret_key() -> None:
    """Give local runs a stable WEBCALL_SECRET_KEY unless one is configured."""
    if _setting("WEBCALL_SECRET_KEY"):
        return
    try:
        key = DEV_SECRET_FILE.read_text(encoding="ascii").strip() if DEV_SECRET_FILE.exists() else ""
    except UnicodeDecodeError:
        key = ""
    except OSError as error:  # a folder in its place, no permission
        raise SystemExit(cannot_start(f"{DEV_SECRET_FILE}: {error.strerror or error} (remove it)")) from None
    if len(key) < 16:
        # Missing, empty or cut short (a full disk): the app would take an empty key for none and make a
        # random one per start, so links from `make link` would never open. A new key only breaks links
        # that could not have worked.
        key = secrets.token_hex(32)
        DEV_SECRET_FILE.parent.mkdir(parents=True, exist_ok=True)
        DEV_SECRET_FILE.write_text(key)
        DEV_SECRET_FILE.chmod(0o600)
    os.environ["WEBCALL_SECRET_KEY"] = key


def _local_public_url() -> None:
    """The address `make run` serves on as WEBCALL_PUBLIC_URL, unless the environment or .env names one:
    share links (`make link` too) and rep notifications link to it."""
    if not _setting("WEBCALL_PUBLIC_URL"):
        os.environ["WEBCALL_PUBLIC_URL"] = f"http://127.0.0.1:{_port('PORT', 5000)}"


def _load_env() -> None:
    try:
        load_env_file(ROOT / ".env")
    except SettingsError as error:  # a .env that is not UTF-8: one line, not a traceback
        raise SystemExit(cannot_start(error)) from None


def link(args: list[str]) -> int:
    """`flask demos link …` with the local secret; in sandbox mode with the sandbox's agent."""
    _load_env()
    _dev_secret_key()
    if not _setting("ITELLICOAI_API_KEY"):
        from sandbox.stack import DEFAULT_AGENT_ID

        # Signing a link calls nothing upstream; the app only needs valid settings to start.
        os.environ.update(ITELLICOAI_API_KEY="sandbox-link-only", ITELLICOAI_AGENT_ID=DEFAULT_AGENT_ID)
    _local_public_url()
    command = [sys.executable, "-m", "flask", "--app", "app", "demos", "link", *args]
    return subprocess.run(command, cwd=ROOT, check=False).returncode


def main() -> int:
    if sys.argv[1:2] == ["link"]:
        return link(sys.argv[2:])
    _load_env()
    _dev_secret_key()
    # What the app and its task worker (a child) read: development, and the address it serves on as the
    # public one, so share links and rep notifications link to it, unless the environment or .env
    # says otherwise.
    default_environment("development")
    _local_public_url()
    # One handler for the app's and the sandbox's lines, in the app's format (request ids, JSON if asked).
    handler = logging.StreamHandler()
    try:
        handler.setFormatter(logs.formatter(log_format_of(_setting)))
    except SettingsError as error:
        raise SystemExit(cannot_start(error)) from None
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    port = _port("PORT", 5000)
    stack = None
    if not _setting("ITELLICOAI_API_KEY"):
        from sandbox.agent_runner import WorkerStartError
        from sandbox.livekit_server import LiveKitError, LiveKitPorts
        from sandbox.ports import PortInUseError, ensure_free
        from sandbox.stack import SandboxStack

        stack = SandboxStack(
            livekit_ports=LiveKitPorts(
                http=_port("LIVEKIT_PORT", 7880),
                tcp=_port("LIVEKIT_TCP_PORT", 7881),
                udp=_port("LIVEKIT_UDP_PORT", 7882),
            ),
            api_port=_port("SANDBOX_API_PORT", 5050),
            log_dir=ROOT / "artifacts" / "run",
            # The stand-in's webhooks go to this app (a secret made for this run, in app_env).
            webhook_url=f"http://127.0.0.1:{port}/webhooks/itellico",
        )
        print("No ITELLICOAI_API_KEY: starting the local sandbox (livekit-server, stand-in API, agents)…")
        try:
            ensure_free(port, "PORT")
            stack.start()
        except (PortInUseError, LiveKitError, WorkerStartError) as error:
            say_cannot_start(error)
            return 2
        os.environ.update(stack.app_env())
        os.environ.setdefault("WEBCALL_AGENT_JOIN_TIMEOUT_SECONDS", "20")
        os.environ.setdefault("WEBCALL_SALES_PASSWORD", secrets.token_urlsafe(9))
        os.environ.setdefault("WEBCALL_SALES_ADMIN_EMAIL", SANDBOX_ADMIN_EMAIL)
        try:
            _ready_admin()
        except SettingsError as error:
            say_cannot_start(error)
            stack.stop()
            return 2
    if "--gunicorn" in sys.argv[1:]:
        return _gunicorn(stack)
    return _serve(port, stack)


def _start_worker() -> subprocess.Popen[bytes]:
    """The task worker (webcall/worker.py) with the app's environment: webhook events, the fallback.
    Started once the app has been made here, so the database is migrated and seeded by one process."""
    # It verifies no signature, so the webhook secrets stay in the web process only.
    env = {k: v for k, v in os.environ.items() if k not in WEBHOOK_SECRET_NAMES}
    # A process group of its own: Ctrl-C in the terminal signals the whole foreground group, and a
    # worker that exited on it before this process stopped it looked like a death ("the task worker
    # exited (status 0); stopping the app", make's Error 1). This process stops it (WorkerWatch.stop).
    return subprocess.Popen([sys.executable, "-m", "webcall.worker"], cwd=ROOT, env=env, process_group=0)


def _serve(port: int, stack: SandboxStack | None) -> int:
    try:
        try:
            app = create_app()
            server = make_server("127.0.0.1", port, app, threaded=True)
        except SettingsError as error:
            say_cannot_start(error)
            return 2
        except OSError as error:
            say_cannot_start(f"port {port} (PORT): {error.strerror}")
            return 2
        watch = WorkerWatch(_start_worker(), server.shutdown)
        mode = "sandbox" if stack else f"itellico API at {app.extensions['webcall'].settings.base_url}"
        print(f"\n  itellico web-call ({mode}) is running at http://127.0.0.1:{port}/  (Ctrl-C stops it)")
        demos = [d.slug for d in app.extensions["webcall"].demos if d.slug != "default"]
        if demos:
            print("  sales demos: " + ", ".join(f"http://127.0.0.1:{port}/demo/{slug}" for slug in demos))
        settings = app.extensions["webcall"].settings
        if stack and settings.sales_password:
            print(
                f"  sales studio: http://127.0.0.1:{port}/demos  "
                f"(admin: {settings.sales_admin_email}, password: {settings.sales_password})"
            )
        print()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("\nStopping…")
        finally:
            server.server_close()
            watch.stop()
    finally:
        if stack is not None:
            stack.stop()
    return 1 if watch.died else 0


def _ready_admin() -> None:
    """The sandbox's admin, with this run's password, in the configured database. The app's own
    first-admin rule creates one only while no account exists, so a second run (same database)
    needs this to make the printed password true."""
    from .accounts import Accounts
    from .db import open_database
    from .sessions import Sessions
    from .settings import Settings

    settings = Settings.from_env()
    assert settings.sales_admin_email and settings.sales_password
    engine = open_database(settings.database_url, ROOT)
    try:
        accounts = Accounts(engine)
        accounts.on_password_or_disable = Sessions(engine).end_all  # last run's sessions end
        accounts.ensure_admin(settings.sales_admin_email, settings.sales_password)
    finally:
        engine.dispose()


def _gunicorn(stack: SandboxStack | None) -> int:
    """Run gunicorn with the environment prepared above; stop the sandbox after it exits."""
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "app:app"]
    try:
        create_app()  # migrates and seeds the database once, before gunicorn's workers and the task worker
    except SettingsError as error:
        say_cannot_start(error)
        if stack is not None:
            stack.stop()
        return 2
    process = subprocess.Popen(command, cwd=ROOT)
    watch = WorkerWatch(_start_worker(), process.terminate)
    try:
        status = process.wait()
    except KeyboardInterrupt:
        process.terminate()
        status = process.wait()
    finally:
        watch.stop()
        if stack is not None:
            stack.stop()
    return 1 if watch.died else status


if __name__ == "__main__":
    raise SystemExit(main())
