"""Processes that open one new database at the same moment, as `make serve`'s web process and task
worker do, or several instances: each migrates on start (webcall/schema.py)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

from webcall.db import open_database


def _open_after(barrier: Any, url: str, root: Path, results: Any) -> None:
    barrier.wait()
    try:
        open_database(url, root)
        results.put("ok")
    except BaseException as error:  # the child's answer is its result, not a traceback on stderr
        results.put(f"{type(error).__name__}: {error}")


def open_together(url: str, root: Path, processes: int = 4) -> list[str]:
    """Start `processes` children, release them together to open `url`; "ok" or the error of each."""
    context = multiprocessing.get_context("fork")  # the app is imported already: each child starts fast
    barrier, results = context.Barrier(processes), context.Queue()
    children = [
        context.Process(target=_open_after, args=(barrier, url, root, results)) for _ in range(processes)
    ]
    for child in children:
        child.start()
    try:
        return [results.get(timeout=90) for _ in children]
    finally:
        for child in children:
            child.join(timeout=10)
            if child.is_alive():
                child.kill()
