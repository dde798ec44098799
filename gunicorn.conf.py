"""gunicorn settings for `make serve` (production serving). Every value can be overridden by the
environment variables named below or by gunicorn's own command-line flags."""

import os

# The app waits on the network (itellico, the database), so threads serve it well; a few processes
# use both cores and survive a crashed worker.
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEBCALL_THREADS", "8"))
# A create may take up to ITELLICOAI_TIMEOUT_SECONDS (15 s): let in-flight ones finish on SIGTERM.
graceful_timeout = int(os.environ.get("WEBCALL_GRACEFUL_TIMEOUT", "30"))
timeout = 60
keepalive = 5
# Build the app once in the master: a bad setting stops `make serve` with one line, not per worker.
preload_app = True
accesslog = "-"
# gunicorn's control socket defaults to one path per user ($XDG_RUNTIME_DIR or ~/.gunicorn), so a
# second instance on the same host would unlink and take over the first one's. One per address,
# beside the call log; `--control-socket PATH` or `--no-control-socket` still override it.
control_socket = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "instance", f"gunicorn-{bind.replace(':', '-')}.ctl"
)
errorlog = "-"
loglevel = os.environ.get("WEBCALL_LOG_LEVEL", "info")
if workers > 1 and os.environ.get("WEBCALL_RATE_LIMIT_STORAGE_URI", "memory://").startswith("memory"):
    print(
        f"note: with {workers} workers and WEBCALL_RATE_LIMIT_STORAGE_URI=memory:// each worker "
        "counts rate limits for itself; use redis:// for one shared limit"
    )
# Read by the app when preload_app imports it, right after this file.
os.environ.setdefault("WEBCALL_ENV", "production")


def post_fork(server, worker):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    # Database connections opened in the master must not be shared by forked workers.
    from app import app

    app.extensions["webcall"].calllog.engine.dispose(close=False)
