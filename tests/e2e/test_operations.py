"""What an operator sees of the production shape: gunicorn with 2 workers, JSON logs, /metrics in
multiprocess mode, in front of the stand-in API (a process of its own, as in test_serving.py).

One test, one gunicorn start: calls succeed and fail, /metrics is scraped over HTTP from each worker
in turn and both answers show the same totals (each worker alone saw only part of the calls), and the
log is JSON line by line, without the key or a token, with one request id leading from the access
line to the app's lines and to what the stand-in received.
"""

from __future__ import annotations

import json
import os
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from sandbox.stack import DEFAULT_AGENT_ID

from .conftest import ARTIFACTS, wait_until
from .servers import gunicorn, standin_process

TOKEN = "operations-test-metrics-token-7c1"
SECRET_KEY = "operations-test-secret-0123456789"
CREATED = 12


def scrape(url: str) -> tuple[dict[tuple[str, tuple[tuple[str, str], ...]], float], str]:
    """The webcall_* samples of one scrape (a new connection, so any worker may answer) and its id."""
    response = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        if family.name.startswith("webcall_")
        for s in family.samples
    }
    return samples, response.headers["X-Request-ID"]


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def create(url: str) -> httpx.Response:
    return httpx.post(f"{url}/api/calls", json={"mode": "text"}, timeout=10)


def test_metrics_add_up_across_workers_and_json_logs_follow_one_request(tmp_path):
    logs = ARTIFACTS / "operations"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / "gunicorn.log"
    with standin_process(logs) as standin:
        env = {
            "ITELLICOAI_API_KEY": standin.key,
            "ITELLICOAI_BASE_URL": standin.url,
            "ITELLICOAI_AGENT_ID": DEFAULT_AGENT_ID,
            "ITELLICOAI_TIMEOUT_SECONDS": "3",
            "WEBCALL_SECRET_KEY": SECRET_KEY,
            "WEBCALL_DATABASE_URL": f"sqlite:///{tmp_path}/calls.sqlite3",
            "WEBCALL_METRICS_TOKEN": TOKEN,
            "WEBCALL_LOG_FORMAT": "json",
            "WEB_CONCURRENCY": "2",
            "WEBCALL_RATE_LIMIT_PER_IP": "1000/minute",
            "WEBCALL_OPEN_CALLS_PER_IP": "1000",
        }
        with gunicorn(env, log) as server:
            before, _ = scrape(server.url)
            # Concurrent creates on fresh connections: usually both workers serve some (the scrapes below
            # prove the totals add up either way: each is answered by a different worker).
            with ThreadPoolExecutor(max_workers=6) as pool:
                assert {r.status_code for r in pool.map(lambda _: create(server.url), range(CREATED))} == {
                    201
                }
            standin.fault(mode="server_error", status=500, times=2)
            failed = [create(server.url) for _ in range(2)]
            standin.fault(mode="echo_key", times=1)  # itellico quotes our key back: never in a log line
            rejected = create(server.url)
            standin.fault(mode="server_error", status=503, times=1)  # retried once, then created
            assert create(server.url).status_code == 201
            assert [r.status_code for r in failed] == [502, 502] and rejected.status_code == 502

            # A new connection may go to either worker; the kernel may well give every one to the same
            # (seen under load: 40 scrapes, one worker). So the worker that answered the first scrape is
            # paused (SIGSTOP) for the second, which the other worker must take.
            first, first_id = scrape(server.url)
            check_totals(first, before)
            worker = _pid_that_answered(log, first_id)
            os.kill(worker, signal.SIGSTOP)
            try:
                second, second_id = scrape(server.url)
            finally:
                os.kill(worker, signal.SIGCONT)
            check_totals(second, before)  # every scrape, whichever worker answers it, has all of them
            assert _pid_that_answered(log, second_id) != worker

            followed = rejected.json()["error"]["request_id"]
            assert rejected.headers["X-Request-ID"] == followed
            upstream = httpx.get(f"{standin.url}/_sandbox/request-ids", headers={"X-API-Key": standin.key})
            assert followed in {r["request_id"] for r in upstream.json()["requests"]}

    text = log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]  # all JSON, line by line
    for secret in (standin.key, SECRET_KEY, TOKEN, "eyJ"):
        assert secret not in text, secret[:10]
    assert "[redacted]" in text  # the key was there (echo_key) and was taken out
    one_request = [line for line in lines if line.get("request_id") == followed]
    loggers = {line["logger"] for line in one_request}
    assert {"webcall.calls", "gunicorn.access"} <= loggers, one_request
    assert any("outcome=failed:upstream_rejected" in line["message"] for line in one_request)
    assert len({line["pid"] for line in one_request}) == 1  # one worker served it, start to end


def check_totals(samples: dict, before: dict) -> None:
    """What the calls above added up to, counted by both workers."""
    delta = {
        "created": value(samples, "webcall_call_creates_total", demo="default", outcome="created")
        - value(before, "webcall_call_creates_total", demo="default", outcome="created"),
        "unavailable": value(
            samples, "webcall_call_creates_total", demo="default", outcome="upstream_unavailable"
        ),
        "rejected": value(samples, "webcall_call_creates_total", demo="default", outcome="upstream_rejected"),
        "retries": value(
            samples, "webcall_upstream_retries_total", operation="create_call", reason="unavailable"
        ),
        "timed": value(samples, "webcall_call_create_duration_seconds_count", result="created")
        - value(before, "webcall_call_create_duration_seconds_count", result="created"),
    }
    assert delta == {"created": CREATED + 1, "unavailable": 2, "rejected": 1, "retries": 1, "timed": 13}
    builds = [key for key in samples if key[0] == "webcall_build_info"]
    assert len(builds) == 1 and samples[builds[0]] == 1  # one series, not one per worker


def _pid_that_answered(log: Path, request_id: str) -> int:
    """The worker pid of this request, from gunicorn's JSON access line (written as the response goes)."""

    def pid() -> int | None:
        for line in log.read_text().splitlines():
            if '"gunicorn.access"' in line and (entry := json.loads(line)).get("request_id") == request_id:
                return int(entry["pid"])
        return None

    return wait_until(pid, 10, f"the access line of {request_id}", interval=0.05)
