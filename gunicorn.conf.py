"""gunicorn settings for `make serve` (production serving). Every value can be overridden by the
environment variables named below (or `.env`; webcall/serving.py reads and validates HOST, PORT,
WEB_CONCURRENCY, WEBCALL_THREADS, WEBCALL_GRACEFUL_TIMEOUT, WEBCALL_LOG_LEVEL and WEBCALL_LOG_FORMAT)
or by gunicorn's own command-line flags."""

import atexit
import json
import os
import shutil
import tempfile

# Metrics (webcall/metrics.py): each worker writes its samples to files in this directory and a scrape
# adds them up. It must be set before prometheus_client is imported (the app is preloaded right after
# this file) and be empty at start, so each server start gets a fresh one, removed at exit. One set
# in the environment is used as it is and kept: an operator's (empty when the app and its task worker
# start, e.g. systemd's RuntimeDirectory=, docs/operations.md) or the one `make serve` makes for
# gunicorn and the task worker together (webcall-shared-metrics-…, scripts/serve.sh removes it), where
# the worker's files are already there. A configuration reload (SIGHUP) keeps the directory: the
# variable is set by then. Ours is removed when the master exits, however it exits (a stop, a bad
# setting here, an app that cannot start while it is preloaded), and not when a worker does: forked
# from the master, workers run the same exit handlers.
_in_worker = False  # set by post_fork


def _remove_own_metrics_dir(path: str) -> None:
    if not _in_worker:
        shutil.rmtree(path, ignore_errors=True)


if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="webcall-metrics-")
    atexit.register(_remove_own_metrics_dir, os.environ["PROMETHEUS_MULTIPROC_DIR"])

# Imported only now: importing webcall loads prometheus_client, which reads the directory above.
from webcall import ROOT  # noqa: E402
from webcall.serving import SettingsError, check_free, serving_from_env  # noqa: E402
from webcall.setting_checks import env_getter, storage_uri  # noqa: E402
from webcall.setting_values import default_environment, say_cannot_start  # noqa: E402
from webcall.settings import load_env_file  # noqa: E402

# Read by the app when preload_app imports it, right after this file; before `.env` is read.
default_environment("production")


def _cannot_start(error: SettingsError) -> None:
    # One clear line naming the setting, never a traceback; the exit code of app.py for a bad setting.
    say_cannot_start(error)
    raise SystemExit(2)


# `.env` as the app reads it (the environment wins), so that gunicorn's settings come from it too.
try:
    load_env_file(ROOT / ".env")
    _serving = serving_from_env(os.environ)
    # As the app will read it (a bad one stops the start here with the app's own line).
    _limits_storage = storage_uri("WEBCALL_RATE_LIMIT_STORAGE_URI", env_getter(os.environ))
except SettingsError as _error:
    _cannot_start(_error)

# The app waits on the network (itellico, the database), so threads serve it well; a few processes
# use both cores and survive a crashed worker.
bind = _serving.bind
workers = _serving.workers
worker_class = "gthread"
threads = _serving.threads
# A create may take up to ITELLICOAI_TIMEOUT_SECONDS (15 s by default, 25 at most): let in-flight ones
# finish on SIGTERM.
graceful_timeout = _serving.graceful_timeout
timeout = 60
keepalive = 5
# Build the app once in the master: a bad setting stops `make serve` with one line, not per worker.
preload_app = True
# No peer is trusted with forwarded headers by gunicorn itself: the app believes X-Forwarded-* only from
# WEBCALL_TRUSTED_PROXY_HOPS proxies (ProxyFix, webcall/security.py). gunicorn's default (127.0.0.1, ::1)
# made a loopback request's `X-Forwarded-Proto: https` https with hops 0 too (HSTS, secure cookies).
# The access line's client is what ProxyFix left in REMOTE_ADDR: the visitor behind a trusted proxy.
forwarded_allow_ips = ""
accesslog = "-"
# gunicorn's default line, plus the worker's pid and the request id the app answered with
# (webcall/request_id.py), so an access line leads to the app's lines of the same request.
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" pid=%(p)s request_id=%({x-request-id}o)s'
)
# gunicorn's control socket defaults to one path per user ($XDG_RUNTIME_DIR or ~/.gunicorn), so a
# second instance on the same host would unlink and take over the first one's. One per address,
# beside the call log; `--control-socket PATH` or `--no-control-socket` still override it.
control_socket = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "instance",
    f"gunicorn-{_serving.host.replace(':', '-')}-{_serving.port}.ctl",
)
errorlog = "-"
# gunicorn's own lines; the app's (webcall.*) follow the same WEBCALL_LOG_LEVEL (webcall/logs.py configure).
loglevel = _serving.log_level
_json_logs = _serving.log_format == "json"
if _json_logs:
    # gunicorn's own lines (error log, access log) and the app's, one JSON object per line: the root
    # logger prints the app's, so webcall/logs.py adds no handler of its own.
    _json = {"class": "logging.StreamHandler", "formatter": "json"}
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "webcall.logs.JsonFormatter"}},
        "handlers": {
            "stdout": {**_json, "stream": "ext://sys.stdout"},
            "stderr": {**_json, "stream": "ext://sys.stderr"},
        },
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        },
    }


def _note(text: str) -> None:
    print(json.dumps({"level": "INFO", "logger": "gunicorn.conf", "message": text}) if _json_logs else text)


if workers > 1 and _limits_storage.startswith("memory"):
    _note(
        f"note: with {workers} workers and WEBCALL_RATE_LIMIT_STORAGE_URI=memory:// each worker "
        "counts rate limits for itself; use redis:// for one shared limit"
    )


def on_starting(server):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    # A taken PORT: one line naming it, at once, instead of gunicorn's retries. Only for a first start
    # on our own address: not for inherited sockets (USR2 upgrade, systemd sockets) or a --bind flag.
    inherited = server.LISTENERS or "GUNICORN_FD" in os.environ or "LISTEN_FDS" in os.environ
    if not inherited and not server.cfg.reuse_port and server.cfg.bind == [bind]:
        try:
            check_free(_serving)
        except SettingsError as error:
            _cannot_start(error)


def post_fork(server, worker):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    global _in_worker
    _in_worker = True
    # Database connections opened in the master must not be shared by forked workers.
    from app import app

    app.extensions["webcall"].calllog.engine.dispose(close=False)
    app.extensions["webcall.tasks"].huey.storage.close()  # the task queue's SQLite connection, if any


def child_exit(server, worker):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    # A dead worker's live gauges must stop counting; its counters and histograms stay in the sums.
    from webcall.metrics import process_exited

    process_exited(worker.pid)
