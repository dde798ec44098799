"""A prospect opens a revoked share link in Chromium: the page shows the link's notice, and the link's
rep hears about it on their webhook (signed, Slack-shaped: webcall/link_opens.py → webcall/notify.py),
once, however often the page is reloaded. The app is served on loopback; the queued delivery is run
by the app's own task queue in this process (Huey, as the worker runs it)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import replace

from playwright.sync_api import Page, expect

from tests.receivers import webhook_receiver
from webcall import create_app
from webcall.link_store import LinkStore
from webcall.notification_prefs_store import Prefs, save_prefs
from webcall.settings import Settings
from webcall.tasks import run_pending, task_queue

from .harness import serve

REP = "anna.berger@example.com"
SIGNING = "e2e-link-open-signing-" + uuid.uuid4().hex


def test_a_revoked_link_opened_in_the_browser_reaches_its_reps_webhook(
    page: Page, base_settings: Settings, tmp_path
):
    settings = replace(
        base_settings,
        database_url=f"sqlite:///{tmp_path}/calls.sqlite3",
        task_queue_url="memory://",
        notify_signing_secret=SIGNING,
        notify_allow_private_targets=True,
        public_url="https://demo.example.com",
    )
    app = create_app({"settings": settings})
    svc = app.extensions["webcall"]
    rep = svc.accounts.add(REP, "a long rep password", name="Anna Berger")
    link = svc.links.issue(svc.demos.get("alpenblick"), {"name": "Maria"}, int(time.time()) + 3600)
    svc.calllog.add_link(link, "Maria (Alpenblick)", created_by="web", owner=REP)
    LinkStore(svc.calllog.engine).revoke(link.link_id, by=REP)

    with webhook_receiver() as hook, serve(app) as url:
        save_prefs(svc.calllog.engine, rep.id, Prefs(webhook_url=hook.url))
        # The prospect tries again twice: one message. Reloaded, as a second visit of the same address
        # with its #fragment would only scroll the page and check nothing.
        page.goto(f"{url}{link.path()}")
        expect(page.locator('[data-reason="revoked"]')).to_be_visible()
        for _ in range(2):
            with page.expect_response(lambda r: r.url.endswith("/api/demos/alpenblick/link")):
                page.reload()
            expect(page.locator('[data-reason="revoked"]')).to_be_visible()
        run_pending(task_queue(app).huey)
        (got,) = hook.wait_for(1, timeout=10)
        assert run_pending(task_queue(app).huey) == 0 and len(hook.requests) == 1

    body = json.loads(got.body)
    studio = f"https://demo.example.com/demos#link-{link.link_id}"
    assert body["text"] == (
        "Maria (Alpenblick) opened the demo link after it was revoked — send a new one if they should "
        f"have it. Studio: {studio}"
    )
    assert (body["event"], body["ended"], body["link_id"]) == (
        "link.opened_after_end",
        "revoked",
        link.link_id,
    )
    stamp = got.headers["X-Webcall-Timestamp"]
    expected = hmac.new(SIGNING.encode(), got.body + b"." + stamp.encode(), hashlib.sha256).hexdigest()
    assert got.headers["X-Webcall-Signature"] == f"sha256={expected}"
