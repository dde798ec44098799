"""A real sandbox call in Chromium (typed, text mode) whose call-log row is completed by the
stand-in's signed webhooks: the GET-call fallback is off, and the row carries what only a webhook
writes (`ended_event_at`, `analysis_at`), with the three events stored."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from sandbox.webhooks import WebhookSender
from webcall import create_app
from webcall.calllog import calls
from webcall.tasks import run_pending, task_queue
from webcall.webhook_store import events

from .conftest import wait_until
from .harness import serve
from .test_call import AGENT_LINE, ELEMENT, open_call_page, start_call

SECRET = "e2e-webhook-secret-0123456789abcdef"


class CallWebhooks(WebhookSender):
    """The stand-in's sender, knowing which call each post was about: the session's stand-in sends the
    events of every call that changes meanwhile, another test's call ending during this one too."""

    def __init__(self, url: str, secret: str) -> None:
        super().__init__(url, secret)
        self.calls: list[str] = []  # the call of each event queued; its one thread posts them in order

    def send(self, event_type: str, call: dict[str, Any]) -> None:
        self.calls.append(call["id"])
        super().send(event_type, call)

    def sent_for(self, call_id: str) -> list[tuple[str, int]]:
        """(event type, status) of each post about `call_id`, in order."""
        return [post for post, about in zip(self.sent, self.calls, strict=False) if about == call_id]


def test_a_text_call_is_completed_by_the_standins_webhooks(browser, base_settings, sandbox, tmp_path):
    changed = replace(
        base_settings,
        webhook_secret=SECRET,
        database_url=f"sqlite:///{tmp_path}/calls.sqlite3",
        refresh_minutes=0,
    )
    app = create_app({"settings": changed})
    with serve(app) as url:
        call_id, sender = _call(browser, sandbox, url)
    sent = sender.sent_for(call_id)
    assert [kind for kind, _ in sent] == [
        "conversation.started",
        "conversation.ended",
        "conversation.analysis.completed",
    ]
    assert {status for _, status in sent} == {202}
    run_pending(task_queue(app).huey)
    engine = app.extensions["webcall"].calllog.engine
    with engine.connect() as db:
        row = db.execute(select(calls).where(calls.c.call_id == call_id)).one()._mapping
        stored = db.execute(
            select(events.c.event_type, events.c.processed_at).where(events.c.call_id == call_id)
        ).all()
    assert row["status"] == "completed" and row["duration_seconds"] is not None
    assert row["ended_event_at"] is not None and row["analysis_at"] is not None  # only webhooks write these
    assert sorted(kind for kind, _ in stored) == [
        "conversation.analysis.completed",
        "conversation.ended",
        "conversation.started",
    ]
    assert all(processed is not None for _, processed in stored)


def _call(browser: Any, sandbox: Any, url: str) -> tuple[str, CallWebhooks]:
    """One typed call through the page, with the stand-in's webhooks pointed at `url`."""
    store = sandbox.stack.standin.extensions["standin"]["store"]
    sender = CallWebhooks(f"{url}/webhooks/itellico", SECRET)
    store.send_webhooks(sender)
    context = browser.new_context()
    page = context.new_page()
    try:
        open_call_page(page, f"{url}/?mode=text")
        call_id = start_call(page)["call_id"]
        expect(page.locator(f'{ELEMENT}[data-state="in-call"]')).to_have_count(1, timeout=20_000)
        expect(page.locator(AGENT_LINE).first).to_contain_text("Ava", timeout=20_000)
        page.click(f"{ELEMENT} [part=call-button]")
        expect(page.locator(f'{ELEMENT}[data-state="ended"]')).to_have_count(1, timeout=15_000)
        context.close()
        # The stand-in ends the call once the agent reports the visitor gone, then sends the webhooks.
        wait_until(lambda: len(sender.sent_for(call_id)) >= 3 or None, 30, "the stand-in's three webhooks")
    finally:
        context.close()
        store.send_webhooks(None)
    return call_id, sender
