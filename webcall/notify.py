"""Where issue 15's "Out" part (telling a link's owner that their prospect's call ended) plugs in.

`on_call_ended` is called exactly once per call: inside the transaction that applies the call's first
`conversation.ended` webhook and marks it (`webcall_calls.ended_event_at`), so a retried or duplicate
event, or a worker killed mid-way, never calls it twice or loses it. It must not talk to the network
here: the "Out" part should write its delivery row on `db` and queue a task (webcall/tasks.py) that
sends it with retries. Today it does nothing.
"""

from __future__ import annotations

from sqlalchemy import Connection


def on_call_ended(db: Connection, call_id: str) -> None:
    """A call in our log has ended (webhook). Deliberately empty until notifications exist."""
    del db, call_id
