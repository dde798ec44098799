"""The task worker: `python -m webcall.worker` runs the queue's tasks (webcall/tasks.py): webhook
events into the call log, the sweep of events whose task was lost, the GET-call fallback.

It builds the app from the same settings as the web process (same database, same queue URL), queues
every stored-but-unapplied event once at start (what a killed worker left), then runs Huey's
consumer with a few threads. `make run` and `make serve` start it next to the app; under systemd it
is a unit of its own (docs/deployment.md). SIGINT stops it gracefully, SIGTERM at once: either way
an event whose transaction did not commit is applied by the next worker. SIGHUP restarts it: the
running tasks finish, then the process starts again in place (same pid, command line, folder and
starting environment), so it runs the code and `.env` that are on disk now.

Its metrics (notification attempts, the fallback's upstream requests and call-log writes) reach the
app's /metrics through the PROMETHEUS_MULTIPROC_DIR it shares with the app (webcall/metrics.py):
the scrape an operator already has, rather than a second endpoint of this process's own to protect,
configure and scrape. Its launcher sets the variable before this starts (`make run`, `make serve`,
the systemd units in docs/operations.md); without it the samples stay in this process.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping
from types import FrameType

from huey import Huey
from huey.consumer import Consumer

from . import ROOT, create_app, logs, metrics
from .redis_ping import unreachable
from .secret_rotation import WEBHOOK_SECRET_NAMES
from .setting_checks import env_getter, log_format_of, log_level_of
from .setting_values import default_environment, say_cannot_start
from .settings import SettingsError, load_env_file
from .tasks import task_queue

log = logging.getLogger("webcall.worker")


def main() -> int:
    # What a restart (SIGHUP) starts with again: before `.env` and the defaults below are added to it,
    # so that a changed `.env` is read as at a first start (set variables win over it).
    started_env = dict(os.environ)
    # Until the consumer's own handlers are set (the last thing Huey's start does), a SIGHUP would meet
    # the default action and end the worker: it is kept for the consumer instead.
    signal.signal(signal.SIGHUP, _hung_up_while_starting)
    # As gunicorn: `make serve` and a systemd unit start it without WEBCALL_ENV.
    default_environment("production")
    try:
        load_env_file(ROOT / ".env")
        log_format = log_format_of(env_getter(os.environ))  # a bad one: the app's line, before any other
    except SettingsError as error:
        return _refuse(error)
    # The worker verifies no signature: the webhook secrets leave Python's environment and its children's.
    # The process's own environment block stays as it was started; scripts/serve.sh and the systemd unit
    # start it without them (docs/deployment.md).
    for name in WEBHOOK_SECRET_NAMES:
        os.environ.pop(name, None)
    handler = logging.StreamHandler()
    handler.setFormatter(logs.formatter(log_format))
    logging.basicConfig(level=root_level(os.environ), handlers=[handler])
    # A queue that went away fails every poll: its error once a minute, with a count, not per poll.
    for name in ("huey.consumer.Worker", "huey.consumer.Scheduler"):
        logging.getLogger(name).addFilter(logs.OncePerInterval(60))
    try:
        app = create_app()  # also refuses a PROMETHEUS_MULTIPROC_DIR it cannot write into
    except SettingsError as error:
        return _refuse(error)
    queue = task_queue(app)
    if app.extensions["webcall"].settings.task_queue_url.startswith("memory://"):
        print("itellico web-call worker: WEBCALL_TASK_QUEUE_URL=memory:// has no worker", file=sys.stderr)
        return 2
    problem = unreachable(app.extensions["webcall"].settings.task_queue_url)
    if problem:
        return _refuse(SettingsError("WEBCALL_TASK_QUEUE_URL", problem))
    queue.sweep()
    tasks = consumer(queue.huey)
    try:
        tasks.run()
    finally:
        metrics.process_exited(os.getpid())  # `make run` does it too once reaped, in case this was killed
    if tasks.hung_up:
        _start_again(started_env)
    return 0


def root_level(environ: Mapping[str, str]) -> int:
    """WEBCALL_LOG_LEVEL as the root logger's level, so that Huey's lines and Alembic's (the start's
    migration) follow it as the app's own do (README: "in every process"): at INFO they printed with
    `warning`, Huey's three a minute and more per event (an operator's audit). Never below INFO: `debug`
    is for the app's own lines (webcall/logs.py sets theirs); the libraries' DEBUG would be Huey's
    "Sleeping for" from every thread at every poll. A bad value is INFO here until create_app() refuses
    it with its one line (webcall/settings.py), as the web process does."""
    try:
        level = log_level_of(env_getter(environ))
    except SettingsError:
        return logging.INFO
    return max(logging.INFO, logging.getLevelNamesMapping()[level.upper()])


# Threads for the tasks. Applying an event is a short database transaction, but a notification's
# attempt mostly waits for a receiver (up to WEBCALL_NOTIFY_TIMEOUT_SECONDS): with two, two slow
# receivers held up every event and every other rep's notification. One rep's webhook takes at most
# one of them at a time, all email together two (webcall/notify.py), so the rest keep moving.
THREADS = 8


class WorkerConsumer(Consumer):
    """Huey's consumer, except what follows its stop on SIGHUP. Huey stops gracefully and then re-execs
    `sys.executable *sys.argv`; for `python -m webcall.worker` argv[0] is this file's path, run as a
    plain script, whose relative imports fail: the worker died on the first SIGHUP ("attempted relative
    import with no known parent package", an operator's audit). It still stops as Huey does; main()
    then starts the worker again with the command line it was started with."""

    hung_up = False

    def start(self) -> None:
        super().start()
        # Only now does a signal reach the consumer: "running" is said after it, for supervisors and
        # tests that signal once they read it. A log record, not a print: with WEBCALL_LOG_FORMAT=json it
        # is a JSON line like the rest (a plain line among them stopped a log shipper's parser).
        if _hangup_pending.is_set():
            self._handle_signal(signal.SIGHUP, None)
        log.info("itellico web-call worker is running (Ctrl-C stops it)")

    def _handle_signal(self, signum: int, frame: FrameType | None) -> None:
        super()._handle_signal(signum, frame)
        # The last signal decides: a SIGINT or SIGTERM while the tasks finish after a SIGHUP stops it.
        self.hung_up = signum == signal.SIGHUP
        self._restart = False  # not Huey's re-exec: _start_again's, once the tasks have finished


_hangup_pending = threading.Event()


def _hung_up_while_starting(signum: int, frame: FrameType | None) -> None:
    _hangup_pending.set()


def consumer(huey: Huey) -> WorkerConsumer:
    """Huey's consumer as this worker runs it (tests run the same one)."""
    return WorkerConsumer(huey, workers=THREADS, worker_type="thread", periodic=True)


def _start_again(env: dict[str, str]) -> None:
    """Replace this process with a fresh worker: the same interpreter, options and arguments
    (`-m webcall.worker …`, sys.orig_argv), the same folder (exec keeps it) and environment it started
    with. The pid stays, so a supervisor (`make serve`, systemd) sees no exit."""
    log.info("itellico web-call worker: SIGHUP, starting again")  # its handler writes it out at once
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)


def _refuse(problem: object) -> int:
    say_cannot_start(problem, "itellico web-call worker")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
