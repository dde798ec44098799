"""The studio's index `/demos` after a year of share links, against a new team's, in the same run:
the same app code on two SQLite databases, one with `--links` links (three calls each) made one every
two hours, the baseline with 100; the median time of the page (Flask's test client, no network),
its size and its database queries. No itellico is asked (the page reads the call log only).

    make bench            (or: .venv/bin/python -m bench.studio_index --links 3000)
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, insert

from bench.common import ratio_row, summary, table, write
from webcall import accounts, create_app
from webcall.calllog import calls
from webcall.link_rows import links
from webcall.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
ADMIN, PASSWORD = "admin@example.com", "bench studio password"


def studio(folder: Path, count: int):  # noqa: ANN201 (a Flask app)
    settings = Settings(
        api_key="never-used",
        agent_id="3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41",
        base_url="http://127.0.0.1:9",
        secret_key="bench-studio-secret-key-0123456789",
        sales_password=PASSWORD,
        sales_admin_email=ADMIN,
        database_url=f"sqlite:///{folder}/studio.sqlite3",
        demos_file=str(ROOT / "demos.toml"),
    )
    app = create_app({"settings": settings, "TESTING": True})
    svc = app.extensions["webcall"]
    now = datetime.now(UTC)
    link_rows, call_rows = [], []
    for n in range(count):
        made = now - timedelta(hours=2 * n)
        # Signed by the app, as the studio makes them: the page checks each listed token's signature
        # (an HMAC per key), and a token that does not parse fails before any HMAC (a stopped row).
        demo = svc.demos.get(("alpenblick", "northwind")[n % 2])
        link = svc.links.issue(demo, {}, int((made + timedelta(days=7)).timestamp()))
        link_id = link.link_id
        link_rows.append(
            {
                "link_id": link_id,
                "demo": demo.slug,
                "label": f"Prospect {n}",
                "variables": "{}",
                "token": link.token,
                "created_at": made,
                "expires_at": made + timedelta(days=7),
                "created_by": "web",
                "owner": ADMIN,
            }
        )
        for minutes in (10, 60, 600):
            call_rows.append(
                {
                    "demo": link_rows[-1]["demo"],
                    "link_id": link_id,
                    "call_id": str(uuid.uuid4()),
                    "mode": "voice",
                    "outcome": "created",
                    "created_at": made + timedelta(minutes=minutes),
                    "status": "completed",
                    "duration_seconds": 120,
                }
            )
    engine = svc.calllog.engine
    with engine.begin() as db:
        db.execute(insert(links), link_rows)
        db.execute(insert(calls), call_rows)
    return app


def signed_in(app):  # noqa: ANN001, ANN201
    client = app.test_client()
    page = client.get("/demos/login").get_data(as_text=True)
    token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    answer = client.post("/demos/login", data={"email": ADMIN, "password": PASSWORD, "csrf": token})
    if answer.status_code != 302:
        raise SystemExit("could not sign in to the bench's studio")
    return client


def measure(app, requests: int) -> dict[str, float]:  # noqa: ANN001
    client = signed_in(app)
    queries: list[str] = []
    engine = app.extensions["webcall"].calllog.engine
    event.listen(engine, "before_cursor_execute", lambda *args: queries.append(args[2]))
    warm = client.get("/demos").get_data(as_text=True)  # warm: templates compiled, caches filled
    if 'data-status="key_changed"' in warm:  # a stopped row skips its link's actions: not the real page
        raise SystemExit("the bench's links show as stopped: their tokens do not verify")
    queries.clear()
    times, size = [], 0
    for _ in range(requests):
        start = time.perf_counter()
        answer = client.get("/demos")
        times.append((time.perf_counter() - start) * 1000)
        size = len(answer.data)
    return {**summary(times), "bytes": size, "queries": len(queries) / requests}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--links", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=15)
    options = parser.parse_args()
    accounts.make_hasher = lambda: accounts.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with tempfile.TemporaryDirectory() as small, tempfile.TemporaryDirectory() as large:
        base = measure(studio(Path(small), 100), options.requests)
        year = measure(studio(Path(large), options.links), options.requests)
    rows = [
        ratio_row("median (ms)", base["median"], year["median"]),
        ratio_row("p95 (ms)", base["p95"], year["p95"]),
        ratio_row("page (KB)", base["bytes"] / 1024, year["bytes"] / 1024),
        ratio_row("queries", base["queries"], year["queries"]),
    ]
    print(
        table(
            f"/demos with {options.links} links vs 100 (three calls each)",
            ["measure", "baseline: 100 links", f"{options.links} links", "ratio"],
            rows,
        )
    )
    print(f"\nresults: {write('studio_index', {'baseline': base, 'year': year, 'links': options.links})}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
