"""Demos in the database (webcall/demo_store.py): seeded once from WEBCALL_DEMOS_FILE, then the
database is the truth; a change is seen by every other process; `flask demos import|export`."""

from __future__ import annotations

import logging
import threading
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from webcall import ROOT, create_app
from webcall.db import engine_for, open_database
from webcall.demo_registry import DemoRegistry
from webcall.demo_rows import demos
from webcall.demo_schema import DemoConfigError
from webcall.demo_store import DemoStore
from webcall.settings import Settings

pytestmark = pytest.mark.unit

SHIPPED = ROOT / "demos.toml"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/webcall.sqlite3"


def store_for(settings: Settings, url: str, tmp_path: Path, **options) -> DemoStore:
    """A store as one app process opens it (its own engine on the shared database file)."""
    return DemoStore.open(open_database(url, tmp_path), settings, **options)


def shipped(settings: Settings) -> Settings:
    return replace(settings, demos_file=str(SHIPPED))


def test_the_first_start_seeds_the_database_from_the_file(settings, url, tmp_path):
    store = store_for(shipped(settings), url, tmp_path)
    from_file = DemoRegistry.load(SHIPPED, shipped(settings))
    assert list(store) == list(from_file)  # the same profiles, field by field
    with store.engine.connect() as db:
        rows = db.execute(select(demos.c.slug, demos.c.updated_by)).all()
    assert {slug for slug, _ in rows} == {"default", "northwind", "alpenblick"}
    assert {by for _, by in rows} == {f"seed:{SHIPPED}"}


def test_later_starts_serve_the_database_and_warn_when_the_file_differs(settings, url, tmp_path, caplog):
    store_for(shipped(settings), url, tmp_path).save("northwind", {"title": "Changed in the studio"}, "rep")
    other = tmp_path / "other.toml"
    other.write_text('[demos.solo]\ntitle = "Only in the file"\n')
    with caplog.at_level(logging.WARNING, logger="webcall.demos"):
        store = store_for(replace(settings, demos_file=str(other)), url, tmp_path)
    assert store.get("northwind").title == "Changed in the studio"
    assert store.get("solo") is None
    assert "differs from the demos in the database" in caplog.text


def test_a_broken_seed_file_still_stops_the_start(settings, url, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[demos.one]\ntitle = ""\n')
    with pytest.raises(DemoConfigError, match=r"demo 'one': title"):
        store_for(replace(settings, demos_file=str(bad)), url, tmp_path)


def test_a_change_reaches_another_process_within_its_check_interval(settings, url, tmp_path):
    clock = Clock()
    writer = store_for(shipped(settings), url, tmp_path)
    reader = store_for(shipped(settings), url, tmp_path, check_every=1.0, clock=clock)
    assert reader.get("northwind").title.startswith("Northwind Dental")

    writer.save("northwind", {"title": "New title", "language": "de"}, "rep@example.com")
    assert writer.get("northwind").title == "New title"  # the writer sees its own change at once
    assert reader.get("northwind").title.startswith("Northwind Dental")  # within the interval: cached
    clock.now += 1.0
    assert reader.get("northwind").title == "New title"
    assert reader.get("northwind").language == "de"

    assert writer.delete("northwind", by="rep@example.com")
    clock.now += 1.0
    assert reader.get("northwind") is None
    assert reader.get("default") is not None  # the / page's demo is always there


def test_a_mistake_names_each_field_and_changes_nothing(settings, url, tmp_path):
    store = store_for(shipped(settings), url, tmp_path)
    before = store.tables()
    with pytest.raises(DemoConfigError) as raised:
        store.save("northwind", {"title": "", "agent_id": "nope", "colour": "red"}, "rep")
    assert raised.value.problems == [
        "demo 'northwind': title: String should have at least 1 character",
        "demo 'northwind': agent_id: must be an agent UUID",
        "demo 'northwind': colour: unknown setting",
    ]
    assert store.tables() == before


def test_two_processes_starting_together_seed_once(settings, url, tmp_path):
    open_database(url, tmp_path)  # migrated, not seeded yet
    errors: list[Exception] = []

    def start() -> None:
        try:
            DemoStore.open(engine_for(url, tmp_path), shipped(settings))
        except Exception as error:  # the test reports it below
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engine_for(url, tmp_path).connect() as db:
        assert len(db.execute(select(demos.c.slug)).all()) == 3


def lose_the_database(store: DemoStore, tmp_path: Path) -> None:
    """From now on the store's database cannot be opened (a folder where its file's folder was)."""
    store.engine.dispose()
    store.engine = engine_for(f"sqlite:///{tmp_path}/missing-dir-file/x.db", tmp_path)
    (tmp_path / "missing-dir-file").rmdir()
    (tmp_path / "missing-dir-file").write_text("not a folder")


def test_if_the_database_fails_later_the_last_demos_are_served(settings, url, tmp_path):
    clock = Clock()
    store = store_for(shipped(settings), url, tmp_path, clock=clock)
    lose_the_database(store, tmp_path)
    clock.now += 5
    assert store.get("northwind").title.startswith("Northwind Dental")


# -- flask demos import | export ---------------------------------------------------------------


@pytest.fixture
def app(settings, url):
    return create_app({"settings": replace(shipped(settings), database_url=url), "TESTING": True})


def test_export_then_import_round_trips(app, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "exported.toml"
    result = runner.invoke(args=["demos", "export", str(out)])
    assert result.exit_code == 0, result.output
    exported = DemoRegistry.load(out, app.extensions["webcall"].settings)
    assert list(exported) == list(app.extensions["webcall"].demos)
    assert set(tomllib.loads(out.read_text())["demos"]) == {"default", "northwind", "alpenblick"}

    out.write_text(out.read_text().replace("Northwind Dental: your AI receptionist", "Imported title"))
    result = runner.invoke(args=["demos", "import", str(out)])
    assert result.exit_code == 0, result.output
    assert "replaced: alpenblick, default, northwind" in result.output
    assert app.extensions["webcall"].demos.get("northwind").title == "Imported title"


def test_an_export_that_cannot_be_written_says_so_and_keeps_the_old_file(app, tmp_path, monkeypatch):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demos", "export", str(tmp_path / "no" / "such" / "dir.toml")])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert "cannot write" in result.output
    (tmp_path / "backups").mkdir()
    backup = tmp_path / "backups" / "demos.toml"
    backup.write_text("kept = true\n")

    def disk_full(self, data, *args, **kwargs):  # what a full disk does: part of it written, then an error
        with open(self, "w") as half:
            half.write(data[:10])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", disk_full)
    result = runner.invoke(args=["demos", "export", str(backup)])
    monkeypatch.undo()
    assert result.exit_code == 1 and "No space left on device" in result.output
    assert backup.read_text() == "kept = true\n"  # the old backup is whole
    assert [p.name for p in backup.parent.iterdir()] == ["demos.toml"]  # and nothing half-written beside it


def test_import_of_a_file_with_a_mistake_changes_nothing(app, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[demos.extra]\ntitle = "fine"\n[demos.northwind]\ntitle = "x"\nlanguage = "fr"\n')
    before = app.extensions["webcall"].demos.tables()
    result = app.test_cli_runner().invoke(args=["demos", "import", str(bad)])
    assert result.exit_code == 1
    assert "demo 'northwind': language" in result.output
    assert app.extensions["webcall"].demos.tables() == before


def test_import_replace_removes_what_the_file_lacks(app, tmp_path):
    solo = tmp_path / "solo.toml"
    solo.write_text('[demos.solo]\ntitle = "Solo"\n')
    result = app.test_cli_runner().invoke(args=["demos", "import", "--replace", str(solo)])
    assert result.exit_code == 0, result.output
    assert "added: solo" in result.output and "removed: alpenblick, default, northwind" in result.output
    assert [d.slug for d in app.extensions["webcall"].demos] == ["default", "solo"]


STUDIO_NAMED = '[demos.calls]\ntitle = "Calls"\n[demos.solo]\ntitle = "Solo"\n'
SHADOWED = "demo 'calls': /demos/calls is a page of the studio, so the studio cannot open its editor"


def test_import_warns_of_a_demo_named_like_a_studio_page(app, tmp_path):
    # The editor refuses such a slug; a file can still bring one, and its editor would be the call
    # detail page (/demos/calls/edit). Imported all the same (its public page works), with a warning.
    named = tmp_path / "named.toml"
    named.write_text(STUDIO_NAMED)
    result = app.test_cli_runner().invoke(args=["demos", "import", str(named)])
    assert result.exit_code == 0, result.output
    assert f"{named}: warning: {SHADOWED}" in result.output
    assert "demo 'solo'" not in result.output
    assert app.extensions["webcall"].demos.get("calls").title == "Calls"


def test_check_warns_of_a_demo_named_like_a_studio_page(app, tmp_path):
    named = tmp_path / "named.toml"
    named.write_text(STUDIO_NAMED)
    result = app.test_cli_runner().invoke(args=["demos", "check", "--file", str(named)])
    assert result.exit_code == 0, result.output
    assert f"{named}: warning: {SHADOWED}" in result.output


def test_the_start_warns_of_a_stored_demo_named_like_a_studio_page(settings, url, tmp_path, caplog):
    named = tmp_path / "named.toml"
    named.write_text(STUDIO_NAMED)
    with caplog.at_level(logging.WARNING):
        create_app({"settings": replace(settings, demos_file=str(named), database_url=url), "TESTING": True})
    assert SHADOWED in caplog.text


def test_a_failed_reload_is_one_line_like_every_other_database_down_line(settings, url, tmp_path, caplog):
    # The audit's F13: this line carried SQLAlchemy's whole error text, "(Background on this error at:
    # …)" on a line of its own, where every other database-down line says `described()`.
    clock = Clock()
    store = store_for(shipped(settings), url, tmp_path, clock=clock)
    lose_the_database(store, tmp_path)
    clock.now += 5
    with caplog.at_level(logging.ERROR, logger="webcall.demos"):
        store.registry()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [
        "demos: cannot reload from the database (OperationalError: unable to open database file);"
        " serving the last ones"
    ]
