"""`flask demos link|list|check`, through Flask's CLI runner on the real app."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import text

from webcall import ROOT, create_app

pytestmark = pytest.mark.unit

LENA = "7d2e9a40-5b1c-4f3e-8c6d-2b9f0e1a7c53"


@pytest.fixture
def app(settings, tmp_path):
    changed = replace(
        settings,
        demos_file=str(ROOT / "demos.toml"),
        database_url=f"sqlite:///{tmp_path}/calls.sqlite3",
        public_url="https://demo.example.com",
    )
    return create_app({"settings": changed, "TESTING": True})


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_link_prints_a_signed_url_and_records_the_link(app, runner):
    result = runner.invoke(args=["demos", "link", "alpenblick", "--expires", "7d", "--var", "name=Maria"])
    assert result.exit_code == 0, result.output
    url = result.stdout.strip()
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://demo.example.com/demo/alpenblick"
    assert parts.query == ""  # the token rides in the fragment, never in a URL a server sees
    token = parse_qs(parts.fragment)["link"][0]
    svc = app.extensions["webcall"]
    checked = svc.links.check(token, "alpenblick")
    assert checked.valid and checked.link.vars == {"name": "Maria"}
    (stored,) = svc.calllog.links()
    assert stored.link_id == checked.link.link_id and stored.label == "Maria" and stored.created_by == "cli"
    assert f"link {stored.link_id} for demo alpenblick" in result.stderr
    client = app.test_client()
    assert client.get(f"{parts.path}?{parts.query}").status_code == 200


def test_link_base_url_option_and_label(runner):
    result = runner.invoke(
        args=["demos", "link", "northwind", "--base-url", "http://localhost:8000/", "--label", "Acme"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("http://localhost:8000/demo/northwind#link=")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "no demo 'nope' (known: default, alpenblick, northwind)"),
        (["alpenblick", "--var", "company=X"], "variable 'company' is not allowed for demo 'alpenblick'"),
        (["alpenblick", "--var", "name=" + "x" * 61], "longer than 60 characters"),
        (["alpenblick", "--var", "nonsense"], "use NAME=VALUE"),
        (["alpenblick", "--var", "name=Ann", "--var", "name=Bob"], "'name' is given twice"),
        (["alpenblick", "--expires", "forever"], "use e.g. 30m, 12h, 7d, 2w"),
        # A terminal in Latin-1 passes bytes that are not UTF-8 as lone surrogates (were tracebacks).
        (["alpenblick", "--var", "name=Mar\udce9a"], "is not UTF-8 text"),
        (["alpenblick", "--label", "caf\udce9"], "is not UTF-8 text"),
        (["alp\udce9nblick"], "is not UTF-8 text"),
        (["alpenblick", "--base-url", "javascript:alert(1)"], "is not a URL like https://"),
        (["alpenblick", "--base-url", "https://demo.example.com/?x=1"], "is not a URL like https://"),
    ],
)
def test_link_mistakes_are_clear(app, runner, args, message):
    result = runner.invoke(args=["demos", "link", *args])
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit | None), result.exception
    assert message in result.output
    assert app.extensions["webcall"].calllog.links() == []


def test_link_refuses_a_random_secret(settings, tmp_path):
    app = create_app(
        {
            "settings": replace(
                settings,
                demos_file=str(ROOT / "demos.toml"),
                secret_key_generated=True,
                database_url=f"sqlite:///{tmp_path}/c.db",
            ),
            "TESTING": True,
        }
    )
    result = app.test_cli_runner().invoke(args=["demos", "link", "northwind"])
    assert result.exit_code == 1 and "WEBCALL_SECRET_KEY is not set" in result.output


def test_list_shows_every_demo(runner):
    result = runner.invoke(args=["demos", "list"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["slug", "access", "lang", "agent", "title"]
    assert lines[1].startswith("default ")
    row = next(line for line in lines if line.startswith("alpenblick "))
    assert row.split()[:4] == ["alpenblick", "link-only", "de", LENA]
    assert "link/page variables: name (≤ 60)" in result.stdout
    assert f"from the database, seeded from {ROOT / 'demos.toml'}" in result.stderr


def test_check_passes_the_shipped_file_and_lists_each_mistake(runner, tmp_path):
    result = runner.invoke(args=["demos", "check"])
    assert result.exit_code == 0 and result.stdout.strip() == f"{ROOT / 'demos.toml'}: 3 demos, no mistakes"
    bad = tmp_path / "bad.toml"
    bad.write_text('[demos.a]\ntitle = "A"\nagent_id = "x"\n[demos.b]\ntitle = "B"\ncolour = "red"\n')
    result = runner.invoke(args=["demos", "check", "--file", str(bad)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{bad}: demo 'a': agent_id: must be an agent UUID",
        f"{bad}: demo 'b': colour: unknown setting",
    ]


def test_check_agents_asks_itellico(runner, tmp_path, standin):
    result = runner.invoke(args=["demos", "check", "--agents"])
    assert result.exit_code == 0, result.output
    unknown = tmp_path / "unknown-agent.toml"
    unknown.write_text('[demos.a]\ntitle = "A"\nagent_id = "00000000-0000-4000-8000-000000000000"\n')
    result = runner.invoke(args=["demos", "check", "--file", str(unknown), "--agents"])
    assert result.exit_code == 1
    assert "demo 'a': agent_id: 00000000-0000-4000-8000-000000000000 is not an agent of this account" in (
        result.stderr
    )


def test_a_link_the_database_cannot_record_is_not_printed(app, runner):
    # Unrecorded, a link could never be revoked, extended or counted: no URL, one line, exit 1.
    with app.extensions["webcall"].calllog.engine.begin() as db:
        db.execute(text("ALTER TABLE webcall_links RENAME TO webcall_links_away"))
    result = runner.invoke(args=["demos", "link", "northwind"])
    assert result.exit_code == 1, result.output
    assert "/demo/northwind" not in result.output
    assert result.output.strip().splitlines() == [
        "Error: the link was not made: the database could not record it (OperationalError); try again"
    ]
