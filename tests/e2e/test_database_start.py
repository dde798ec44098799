"""The database and the app's start, with a real PostgreSQL (tests/e2e/servers.py) and the real
processes (gunicorn with two workers, the task worker): a restart of the database while the app is
idle costs no request; a database that comes up after the app is waited for; a refusal waiting
cannot fix stops the start at once, in one line; a database a newer release migrated is run on, and
`flask --app app db downgrade` takes it back a revision (webcall/db.py, db_wait.py, schema.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, make_url

from sandbox.ports import free_port
from tests.schema_shape import tables_and_columns
from webcall import ROOT, create_app, schema
from webcall.db import engine_for, open_database
from webcall.settings import Settings

from .conftest import ARTIFACTS, wait_until
from .servers import Postgres, _stop, gunicorn, postgres_server

ADMIN_EMAIL = "admin@example.com"
PASSWORD = "database start password"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PARALLEL = 16  # requests at once: what the audit sent (gunicorn: 2 workers, 8 threads each)
LOGS = ARTIFACTS / "database-start"


@pytest.fixture(scope="module")
def pg() -> Iterator[Postgres]:
    LOGS.mkdir(parents=True, exist_ok=True)
    with postgres_server() as server:
        yield server


def new_database(pg: Postgres, name: str) -> str:
    admin = create_engine(pg.url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as db:
            db.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
            db.exec_driver_sql(f"CREATE DATABASE {name}")
    finally:
        admin.dispose()
    return make_url(pg.url).set(database=name).render_as_string(hide_password=False)


def app_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ITELLICOAI_", "WEBCALL_"))}
    env.update(
        ITELLICOAI_API_KEY="never-used",
        ITELLICOAI_AGENT_ID="3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41",
        ITELLICOAI_BASE_URL="http://127.0.0.1:9",  # nothing here asks itellico
        WEBCALL_SECRET_KEY="database-start-secret-key-0123456789",
        WEBCALL_DATABASE_URL=database_url,
        WEBCALL_TASK_QUEUE_URL=f"sqlite:///{tmp_path}/tasks.sqlite3",
        WEBCALL_SALES_ADMIN_EMAIL=ADMIN_EMAIL,
        WEBCALL_SALES_PASSWORD=PASSWORD,
    )
    return env


def signed_in(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    token = CSRF.search(client.get("/demos/login").text).group(1)
    r = client.post("/demos/login", data={"email": ADMIN_EMAIL, "password": PASSWORD, "csrf": token})
    assert r.status_code == 302 and r.headers["Location"] == "/demos", r.text[:300]
    return client


def studio_pages_at_once(url: str, cookie: str) -> list[int]:
    """PARALLEL studio pages at once, each on its own connection: each reads its session's row."""

    def one(_: int) -> int:
        return httpx.get(f"{url}/demos", cookies={"webcall_session": cookie}, timeout=30).status_code

    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(one, range(PARALLEL)))


def test_a_database_restart_while_the_app_is_idle_fails_no_request(pg: Postgres, tmp_path: Path):
    # Before: each connection pooled before the restart failed its next request with a 500
    # (psycopg's AdminShutdown on the first statement): 2 of 16 parallel requests, and a sign-in.
    env = app_env(new_database(pg, "restart"), tmp_path)
    with gunicorn(env, LOGS / "gunicorn-restart.log") as app:
        cookie = signed_in(app.url).cookies["webcall_session"]
        for _ in range(3):  # both workers' pools hold several connections now
            assert studio_pages_at_once(app.url, cookie) == [200] * PARALLEL

        pg.stop()
        pg.start()  # pg_ctl start -w: returns once the server takes connections

        assert studio_pages_at_once(app.url, cookie) == [200] * PARALLEL
        assert signed_in(app.url).get("/demos").status_code == 200
        assert "unhandled error" not in app.log_text()


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def test_a_database_that_comes_up_after_the_app_is_waited_for(pg: Postgres, tmp_path: Path):
    # Before: gunicorn and the task worker exited 2 within a second ("cannot migrate the schema: …
    # Connection refused"), and systemd's quick restarts ran into its start limit.
    url = new_database(pg, "late")
    port = free_port()
    env = {**app_env(url, tmp_path), "HOST": "127.0.0.1", "PORT": str(port)}
    logs = {"gunicorn": tmp_path / "gunicorn.log", "worker": tmp_path / "worker.log"}
    pg.stop()
    processes = {
        "gunicorn": start(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"], env, logs["gunicorn"]
        ),
        "worker": start([sys.executable, "-m", "webcall.worker"], env, logs["worker"]),
    }
    try:
        waiting = f"waiting for the database at 127.0.0.1:{pg.port}/late (Connection refused)"
        for name, log in logs.items():

            def waits_or_exited(log: Path = log, process: subprocess.Popen[bytes] = processes[name]) -> bool:
                return waiting in log.read_text() or process.poll() is not None

            wait_until(waits_or_exited, 30, f"{name} waiting for the database")
            assert processes[name].poll() is None, f"{name} exited: {log.read_text()[-600:]}"
        pg.start()

        def serves() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
            except httpx.TransportError:
                return False

        wait_until(serves, 60, "gunicorn serving once the database is up")
        assert signed_in(f"http://127.0.0.1:{port}").get("/demos").status_code == 200
        wait_until(lambda: "worker is running" in logs["worker"].read_text(), 30, "the worker running")
        assert all(process.poll() is None for process in processes.values())
        for log in logs.values():
            assert "answered after" in log.read_text() and "cannot start" not in log.read_text()
    finally:
        if not pg_is_up(pg):
            pg.start()
        for process in processes.values():
            _stop(process)
    for name, log in logs.items():
        (LOGS / f"late-{name}.log").write_bytes(log.read_bytes())


def pg_is_up(pg: Postgres) -> bool:
    engine = create_engine(pg.url)
    try:
        engine.connect().close()
        return True
    except Exception:  # any failure to connect: not up
        return False
    finally:
        engine.dispose()


def require_passwords(pg: Postgres) -> str:
    """TCP connections of any role but the tests' own `webcall` need a password; a role `app` with one."""
    hba = pg.data / "pg_hba.conf"
    hba.write_text(
        "local all all trust\nhost all webcall 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
    )
    os.chown(hba, *(lambda s: (s.st_uid, s.st_gid))(pg.data.stat()))
    subprocess.run(
        [
            "runuser",
            "-u",
            "postgres",
            "--",
            "/usr/lib/postgresql/15/bin/pg_ctl",
            "-D",
            str(pg.data),
            "reload",
        ],
        check=True,
        capture_output=True,
    )
    admin = create_engine(pg.url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as db:
            db.exec_driver_sql("DROP ROLE IF EXISTS app")
            db.exec_driver_sql("CREATE ROLE app LOGIN PASSWORD 'the right one'")
    finally:
        admin.dispose()
    return f"postgresql+psycopg://app:not-the-right-one@127.0.0.1:{pg.port}/postgres"


@pytest.mark.parametrize("refusal", ["wrong password", "unknown database"])
def test_a_refusal_waiting_cannot_fix_stops_the_start_at_once_in_one_line(pg: Postgres, tmp_path, refusal):
    if refusal == "wrong password":
        url = require_passwords(pg)
        problem = 'password authentication failed for user "app"'
    else:
        url = make_url(pg.url).set(database="nosuch").render_as_string(hide_password=False)
        problem = 'database "nosuch" does not exist'
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "webcall.worker"],
        cwd=ROOT,
        env=app_env(url, tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    took = time.monotonic() - began
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.splitlines()  # the program's name, then the problem
    assert line.startswith("itellico web-call") and line.endswith(
        f" cannot start: setting WEBCALL_DATABASE_URL: cannot connect to the database at "
        f"127.0.0.1:{pg.port}/{make_url(url).database}: {problem}"
    ), line
    assert took < 15, f"{took:.0f} s: it waited for a database that had answered"
    assert "not-the-right-one" not in done.stderr + done.stdout


def test_a_database_a_newer_release_migrated_is_run_on_and_taken_back(pg: Postgres, tmp_path: Path, caplog):
    url = new_database(pg, "newer")
    open_database(url, tmp_path).dispose()
    [head] = schema.heads()
    engine = engine_for(url, tmp_path)
    with engine.begin() as db:  # a newer release's migration: a column with a default, its revision
        db.exec_driver_sql("ALTER TABLE webcall_calls ADD COLUMN tier INTEGER NOT NULL DEFAULT 0")
        db.exec_driver_sql("UPDATE alembic_version SET version_num = '0099_future'")
    with caplog.at_level("WARNING", logger="webcall.schema"):
        open_database(url, tmp_path).dispose()  # before: CommandError: Can't locate revision …
    [warning] = [r.getMessage() for r in caplog.records if r.name == "webcall.schema"]
    assert warning.startswith(
        f"OPERATOR: the database is at revision 0099_future, newer than this release's {head} "
    )

    # Taken back to this release's newest, then one revision further, with the `db` command.
    with engine.begin() as db:
        db.exec_driver_sql("ALTER TABLE webcall_calls DROP COLUMN tier")
        db.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{head}'")
    settings = Settings(
        api_key="never-used",
        agent_id="3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41",
        base_url="http://127.0.0.1:9",
        secret_key="database-start-secret-key-0123456789",
        database_url=url,
    )
    app = create_app({"settings": settings, "TESTING": True})
    assert "db" in app.cli.commands, "create_app registers `flask db`"
    parent = ScriptDirectory.from_config(schema.config()).get_revision(head).down_revision
    with engine.connect() as db:
        at_head = tables_and_columns(db)
    result = app.test_cli_runner().invoke(args=["db", "downgrade", parent])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"database: {head} -> {parent}"
    with engine.connect() as db:
        assert schema.current(db) == {parent}
        assert tables_and_columns(db) < at_head  # what the newest migration added is gone
    open_database(url, tmp_path).dispose()  # this release's next start migrates it forward again
    with engine.connect() as db:
        assert schema.current(db) == {head}
    engine.dispose()
    app.extensions["webcall"].calllog.engine.dispose()
