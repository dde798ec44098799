"""Things started at the same moment: processes that open one new database, as `make serve`'s web
process and task worker do, or several instances (each migrates on start: webcall/schema.py); and
threads that make the same change at once (the races of two people saving, on one instance or two)."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
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


def at_once(*actions: Callable[[], object]) -> list[BaseException | None]:
    """Run each action in a thread of its own, released together; what each raised, or None."""
    barrier = threading.Barrier(len(actions))
    raised: list[BaseException | None] = [None] * len(actions)

    def run(index: int) -> None:
        barrier.wait()
        try:
            actions[index]()
        except BaseException as error:  # the caller asserts on it
            raised[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return raised


def admins_demoting_each_other(first: Any, second: Any, tag: str) -> tuple[list[str], list[str]]:
    """Two new admins (made with accounts store `first`), the only active ones, each demoted to rep at
    the same moment, one through `first`, one through `second` (another engine or instance); the
    active admins' emails afterwards and the refusals' codes. Anything else raised fails here."""
    from webcall.account_fields import AccountError

    a = first.add(f"first-{tag}@example.com", "a password for the race", role="admin")
    b = first.add(f"second-{tag}@example.com", "a password for the race", role="admin")
    for other in first.all():
        if other.id not in (a.id, b.id) and other.is_admin:
            first.set_role(other.id, "rep")
    raised = at_once(lambda: first.set_role(a.id, "rep"), lambda: second.set_role(b.id, "rep"))
    assert [e for e in raised if e is not None and not isinstance(e, AccountError)] == []
    admins = [x.email for x in first.all() if x.is_admin and not x.disabled]
    return admins, [e.code for e in raised if isinstance(e, AccountError)]
