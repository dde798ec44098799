"""`make run`'s watch over its task worker (started by webcall/devserver.py): a worker that dies while
the app serves stops the app, with one line; the worker is stopped with the app."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable

from . import metrics


class WorkerWatch:
    """A task worker that exits while the app serves (killed, crashed) stops the app too, with one line,
    as `make serve` does (scripts/serve.sh): the app served on alone, taking itellico's webhooks that
    nothing applied. A SIGHUP restarts the worker in place (webcall/worker.py): no exit, nothing to do."""

    def __init__(self, worker: subprocess.Popen[bytes], stop_app: Callable[[], None]) -> None:
        self.worker = worker
        self.died = False
        self._stopping = threading.Event()
        self._stop_app = stop_app
        threading.Thread(target=self._watch, name="worker-watch", daemon=True).start()

    def _watch(self) -> None:
        status = self.worker.wait()
        if self._stopping.is_set():
            return
        self.died = True
        print(f"\nthe task worker exited (status {status}); stopping the app", file=sys.stderr, flush=True)
        self._stop_app()

    def stop(self) -> None:
        """Stop the worker as the app stops (not a death)."""
        self._stopping.set()
        _stop_worker(self.worker)


def _stop_worker(worker: subprocess.Popen[bytes]) -> None:
    # SIGTERM stops Huey's consumer at once; an event it was applying rolls back and is swept next start.
    if worker.poll() is None:
        worker.terminate()
    try:
        worker.wait(10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
    metrics.process_exited(worker.pid)  # as gunicorn's master does for its workers (gunicorn.conf.py)
