"""A rep's notification end to end, over real sockets: the app served on loopback, a rep who signs in
and sets a webhook URL and email on `/demos/notifications`, a signed `conversation.ended` for a call on
their link posted to `/webhooks/itellico`, and the real task worker (`python -m webcall.worker`, Huey on
SQLite) that applies it and sends both: to a local HTTP receiver (signed, Slack-shaped) and a local
SMTP server (aiosmtpd: plain text and HTML). Then the admins' delivery log shows both sent, with the
webhook's host only.
No browser, no sandbox: a few seconds."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.stack import DEFAULT_AGENT_ID
from tests.receivers import smtp_receiver, webhook_receiver
from webcall import ROOT, accounts, create_app
from webcall.formatting import quoted
from webcall.settings import Settings
from webcall.webhooks import signature

from .harness import serve

WEBHOOK_SECRET = "e2e-itellico-secret-" + uuid.uuid4().hex
SIGNING = "e2e-notify-signing-" + uuid.uuid4().hex
PASSWORD = "correct horse battery staple"
ADMIN, REP = "admin@example.com", "maria.rep@example.com"


@contextmanager
def worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "webcall.worker"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            yield process
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def call_on_reps_link(svc: Any) -> str:
    """A call made on REP's share link 'Maria, Alpenblick' for demo alpenblick; its id."""
    link = svc.links.issue(svc.demos.get("alpenblick"), {"name": "Maria"}, int(time.time()) + 3600)
    svc.calllog.add_link(link, "Maria, Alpenblick", created_by="web", owner=REP)
    call_id = str(uuid.uuid4())
    svc.calllog.record(
        demo="alpenblick", mode="voice", outcome="created", call_id=call_id, link_id=link.link_id
    )
    return call_id


def post_ended(url: str, call_id: str) -> None:
    """itellico's signed `conversation.ended` for the call (1 min 23 s, completed), accepted by the app."""
    body = json.dumps(
        {
            "event_id": f"evt-{uuid.uuid4()}",
            "event_type": "conversation.ended",
            "created": "2026-12-03T05:00:00Z",
            "data": {"conversation_uuid": call_id, "status": "completed", "duration_seconds": 83},
        }
    ).encode()
    stamp = str(int(time.time()))
    headers = {"X-Itellico-Signature": signature(WEBHOOK_SECRET, body, stamp), "X-Itellico-Timestamp": stamp}
    assert httpx.post(f"{url}/webhooks/itellico", content=body, headers=headers).status_code == 202


def _sign_in(client: httpx.Client, email: str) -> None:
    token = _csrf(client.get("/demos/login").text)
    answer = client.post("/demos/login", data={"email": email, "password": PASSWORD, "csrf": token})
    assert answer.status_code == 302, answer.text


def _csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def test_a_reps_call_ending_reaches_their_webhook_and_inbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cheap = accounts.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # argon2id, smallest cost
    monkeypatch.setattr(accounts, "make_hasher", lambda: cheap)
    database, queue = f"sqlite:///{tmp_path}/calls.sqlite3", f"sqlite:///{tmp_path}/tasks.sqlite3"
    with webhook_receiver() as hook, smtp_receiver() as (inbox, smtp_port):
        settings = Settings(
            api_key="e2e-notify-key",
            agent_id=DEFAULT_AGENT_ID,
            base_url="http://127.0.0.1:9",
            demos_file=str(ROOT / "demos.toml"),
            database_url=database,
            task_queue_url=queue,
            webhook_secret=WEBHOOK_SECRET,
            sales_admin_email=ADMIN,
            sales_password=PASSWORD,
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            smtp_from="demos@example.com",
            smtp_starttls=False,
            notify_signing_secret=SIGNING,
            notify_allow_private_targets=True,
            public_url="https://demo.example.com",
            refresh_minutes=0,
        )
        app = create_app({"settings": settings})
        svc = app.extensions["webcall"]
        svc.accounts.add(REP, PASSWORD, role="rep")
        call_id = call_on_reps_link(svc)

        with serve(app) as url, httpx.Client(base_url=url, timeout=10) as rep:
            _sign_in(rep, REP)
            token = _csrf(rep.get("/demos/notifications").text)
            saved = rep.post(
                "/demos/notifications", data={"webhook_url": hook.url, "email_on": "y", "csrf": token}
            )
            assert saved.status_code == 303

            post_ended(url, call_id)

            env = {k: v for k, v in os.environ.items() if not k.startswith(("ITELLICOAI_", "WEBCALL_"))}
            env.update(
                PYTHONPATH=str(ROOT),
                ITELLICOAI_API_KEY="e2e-notify-key",
                ITELLICOAI_AGENT_ID=DEFAULT_AGENT_ID,
                ITELLICOAI_BASE_URL="http://127.0.0.1:9",
                WEBCALL_DATABASE_URL=database,
                WEBCALL_TASK_QUEUE_URL=queue,
                WEBCALL_REFRESH_MINUTES="0",
                # A production worker, as `make serve` and systemd start it (behind a TLS proxy).
                WEBCALL_SECRET_KEY="e2e-notify-secret-key-0123456789",
                WEBCALL_PUBLIC_URL="https://demo.example.com",
                WEBCALL_TRUSTED_PROXY_HOPS="1",
                WEBCALL_SMTP_HOST="127.0.0.1",
                WEBCALL_SMTP_PORT=str(smtp_port),
                WEBCALL_SMTP_FROM="demos@example.com",
                WEBCALL_SMTP_STARTTLS="false",
                WEBCALL_NOTIFY_SIGNING_SECRET=SIGNING,
                WEBCALL_NOTIFY_ALLOW_PRIVATE_TARGETS="true",
            )
            log = tmp_path / "worker.log"
            with worker(env, log):
                started = time.monotonic()
                try:
                    (got,) = hook.wait_for(1, timeout=30)
                    recipients, email = inbox.wait_for_one(timeout=10)
                except AssertionError:
                    raise AssertionError(log.read_text()) from None
                print(f"worker start to both delivered: {time.monotonic() - started:.1f} s")

            with httpx.Client(base_url=url, timeout=10) as admin:
                _sign_in(admin, ADMIN)
                log_page = admin.get("/demos/deliveries").text
            assert rep.get("/demos/deliveries").status_code == 403

    details = f"https://demo.example.com/demos/calls/{call_id}"
    payload = json.loads(got.body)
    assert payload["text"] == (
        f"Your prospect's call on demo alpenblick (link {quoted('Maria, Alpenblick')}) "
        "ended: completed, 1 min 23 s. "
        f"Details: {details}"
    )
    assert (payload["call_id"], payload["link_label"], payload["duration_seconds"]) == (
        call_id,
        "Maria, Alpenblick",
        83,
    )
    sent_stamp = got.headers["X-Webcall-Timestamp"]
    expected = hmac.new(SIGNING.encode(), got.body + b"." + sent_stamp.encode(), hashlib.sha256).hexdigest()
    assert got.headers["X-Webcall-Signature"] == f"sha256={expected}"

    assert recipients == [REP] and email["To"] == REP and email["From"] == "demos@example.com"
    assert email["Subject"] == "Call ended: alpenblick · Maria, Alpenblick"
    assert email.get_content_type() == "multipart/alternative"
    text = email.get_body(("plain",)).get_content()
    assert "1 min 23 s" in text and details in text
    html = email.get_body(("html",)).get_content()
    assert '<html lang="en">' in html and f'<a href="{details}"' in html and "1 min 23 s" in html
    # Each delivery's identity, unique across databases: the webhook's header, the email's Message-ID.
    assert str(uuid.UUID(got.headers["X-Webcall-Delivery"])) == payload["delivery_uid"]
    assert re.fullmatch(r"<[0-9a-f-]{36}@example\.com>", email["Message-ID"])

    rows = re.findall(r'<tr id="delivery-\d+" data-status="(\w+)">(.*?)</tr>', log_page, re.S)
    assert [status for status, _ in rows] == ["sent", "sent"]
    assert "127.0.0.1" in log_page and "s3cretPath" not in log_page and REP in log_page
