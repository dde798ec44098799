"""Two people (or one rep in two tabs) editing the same demo: a save never silently undoes a change
saved meanwhile. The form carries what it was opened on (`base`); a save made on an out-of-date form is
not stored: the editor comes back with the other change merged in where only they changed a field,
the rep's value kept (and theirs shown beside it) where both did, and the rep saves again."""

from __future__ import annotations

from functools import partial

import pytest
from werkzeug.datastructures import MultiDict

from tests.starts import at_once
from webcall import ROOT
from webcall.demo_rows import DemoChanged
from webcall.demo_store import DemoStore

from .conftest import ADMIN_EMAIL, REP_EMAIL, csrf, sign_in
from .demo_editor_helpers import VALID, changed, field_error, field_note, form_fields, input_value, post_form


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


@pytest.fixture
def acme(rep):
    """The demo `acme`, made by the rep."""
    fields = {
        **VALID,
        "slug": "acme",
        "description": "Book a cleaning.",
        "suggestions": "When are you open?\nDo you take new patients?",
        "var_name": ["name", ""],
        "var_max": ["40", ""],
    }
    assert post_form(rep, fields=fields).status_code == 302
    return "/demos/acme/edit"


def stored(client) -> dict:
    return client.application.extensions["webcall"].demos.tables()["acme"]


def opened(client, url: str) -> list[tuple[str, str]]:
    r = client.get(url)
    assert r.status_code == 200
    return form_fields(r.get_data(as_text=True))


def save(client, url: str, fields: list[tuple[str, str]]):
    return client.post(url, data=MultiDict(fields), content_type="multipart/form-data")


def test_an_unchanged_form_saves_as_it_always_did(rep, acme):
    r = save(rep, acme, changed(opened(rep, acme), title="Acme Smiles"))
    assert r.status_code == 302 and stored(rep)["title"] == "Acme Smiles"
    # Textareas come back with CRLF line breaks, as browsers send them: that is no change.
    assert stored(rep)["suggestions"] == ["When are you open?", "Do you take new patients?"]


def test_a_change_saved_meanwhile_is_merged_in_not_overwritten(rep, admin, acme):
    form = opened(rep, acme)  # the rep opens the editor…
    r = save(admin, acme, changed(opened(admin, acme), title="Acme Smiles"))  # …an admin saves a new title
    assert r.status_code == 302
    r = save(rep, acme, changed(form, description="Book a cleaning online."))  # the rep saves a description
    page = r.get_data(as_text=True)
    assert r.status_code == 409, page[-3000:]
    assert stored(rep)["title"] == "Acme Smiles" and stored(rep)["description"] == "Book a cleaning."
    assert "Not saved yet" in page and ADMIN_EMAIL in page
    # Their title is in the form now, marked; the rep's description is kept.
    assert input_value(page, "title") == "Acme Smiles"
    assert field_note(page, "title") == "Changed meanwhile: this is the saved value now."
    assert field_note(page, "description") is None
    assert input_value(page, "description") == "Book a cleaning online."
    # Saving the merged form stores both changes.
    r = save(rep, acme, form_fields(page))
    assert r.status_code == 302, r.get_data(as_text=True)[-3000:]
    assert stored(rep)["title"] == "Acme Smiles" and stored(rep)["description"] == "Book a cleaning online."


def test_a_field_both_changed_keeps_the_reps_value_and_shows_theirs(rep, admin, acme):
    form = opened(rep, acme)
    theirs = changed(opened(admin, acme), title="Acme Smiles")
    theirs[[name for name, _ in theirs].index("var_max")] = ("var_max", "60")  # the first row's
    assert save(admin, acme, theirs).status_code == 302
    r = save(rep, acme, changed(form, title="Acme Dental Care"))
    page = r.get_data(as_text=True)
    assert r.status_code == 409
    assert input_value(page, "title") == "Acme Dental Care"
    assert field_note(page, "title") == "Saved meanwhile as “Acme Smiles”. Save keeps yours, as shown here."
    assert field_note(page, "variables") == "Changed meanwhile: this is the saved value now."
    assert stored(rep)["title"] == "Acme Smiles" and stored(rep)["variables"] == {"name": 60}
    # The variables only they changed come in too.
    assert 'name="var_max" value="60"' in page
    assert save(rep, acme, form_fields(page)).status_code == 302
    assert stored(rep)["title"] == "Acme Dental Care" and stored(rep)["variables"] == {"name": 60}


def test_the_same_rep_in_two_tabs_is_told_it_was_them(rep, acme):
    first, second = opened(rep, acme), opened(rep, acme)
    assert save(rep, acme, changed(first, title="From tab one")).status_code == 302
    r = save(rep, acme, changed(second, description="From tab two"))
    page = r.get_data(as_text=True)
    assert r.status_code == 409 and "you saved this demo in another tab" in page
    assert input_value(page, "title") == "From tab one" and REP_EMAIL not in page.split("</nav>")[-1]


def test_a_demo_deleted_meanwhile_comes_back_only_when_saved_again(rep, admin, acme):
    form = opened(rep, acme)
    token = csrf(admin.get("/demos/acme/delete").get_data(as_text=True))
    assert admin.post("/demos/acme/delete", data={"csrf": token}).status_code == 302
    r = save(rep, acme, changed(form, title="Acme Smiles"))
    page = r.get_data(as_text=True)
    assert r.status_code == 409 and "was deleted" in page
    assert input_value(page, "title") == "Acme Smiles"  # nothing typed is lost
    assert "acme" not in rep.application.extensions["webcall"].demos.tables()
    assert save(rep, acme, form_fields(page)).status_code == 302
    assert stored(rep)["title"] == "Acme Smiles"


def test_a_form_without_base_is_saved_as_before(rep, acme):
    # A page opened before this change was deployed posts no `base`: it saves, as it did.
    fields = [(name, value) for name, value in opened(rep, acme) if name != "base"]
    assert save(rep, acme, changed(fields, title="Acme Smiles")).status_code == 302


def test_a_made_up_base_is_a_conflict_not_an_error(rep, acme):
    r = save(rep, acme, changed(opened(rep, acme), base="nonsense", title="Acme Smiles"))
    assert r.status_code == 409 and stored(rep)["title"] == "Acme Dental"
    assert input_value(r.get_data(as_text=True), "title") == "Acme Smiles"


def test_the_store_refuses_a_save_on_a_version_that_is_gone(app):
    store = app.extensions["webcall"].demos
    store.save("race", {"title": "One"}, "a@example.com")
    version = store.row("race").settings
    raised = at_once(
        partial(store.save, "race", {"title": "Two"}, "two@example.com", expected=version),
        partial(store.save, "race", {"title": "Three"}, "three@example.com", expected=version),
    )
    assert sorted(type(error).__name__ for error in raised) == ["DemoChanged", "NoneType"]
    with pytest.raises(DemoChanged):
        store.save("new-one", {"title": "x"}, "a@example.com", expected=version)  # no such row
    store.save("new-one", {"title": "x"}, "a@example.com", expected=None)  # none expected: made
    with pytest.raises(DemoChanged):
        store.save("new-one", {"title": "y"}, "a@example.com", expected=None)  # one exists now


def test_an_admins_overrides_change_meanwhile_is_kept_and_never_shown_to_a_rep(rep, admin, acme):
    form = opened(rep, acme)
    assert not [name for name, _ in form if name == "overrides"]
    theirs = changed(opened(admin, acme), overrides='{"temperature": 0.2}')
    assert save(admin, acme, theirs).status_code == 302
    # A rep's form has no overrides and a rep's save keeps the stored ones: no conflict to speak of.
    r = save(rep, acme, changed(form, title="Acme Smiles"))
    assert r.status_code == 302
    assert stored(rep)["title"] == "Acme Smiles" and stored(rep)["overrides"] == {"temperature": 0.2}


def test_two_admins_changing_the_overrides_see_each_others(admin, app, acme):
    other = app.test_client()
    sign_in(other, "second.admin@example.com", role="admin")
    mine = opened(admin, acme)
    theirs = changed(opened(other, acme), overrides='{"temperature": 0.2}')
    assert save(other, acme, theirs).status_code == 302
    r = save(admin, acme, changed(mine, overrides='{"temperature": 0.9}'))
    page = r.get_data(as_text=True)
    assert r.status_code == 409 and "second.admin@example.com saved this demo" in page
    assert field_note(page, "overrides") == (
        'Saved meanwhile as “{"temperature": 0.2}”. Save keeps yours, as shown here.'
    )
    assert save(admin, acme, form_fields(page)).status_code == 302
    assert stored(admin)["overrides"] == {"temperature": 0.9}


SHIPPED = DemoStore.read_file(ROOT / "demos.toml")


@pytest.mark.parametrize("table", [*SHIPPED.values(), {"title": "Only a title"}], ids=[*SHIPPED, "minimal"])
@pytest.mark.parametrize("who", ["rep", "admin"])
def test_a_demo_saved_unchanged_is_no_change(request, app, table, who):
    # What the merge compares: a demo as the editor shows it, and as a browser saves that form untouched
    # (a minimal demo's language, start mode and access are then written out: that is no change).
    client = request.getfixturevalue(who)
    app.extensions["webcall"].demos.save("plain", table, "seed")
    url = "/demos/plain/edit"
    form = opened(client, url)
    assert save(client, url, form).status_code == 302
    assert dict(opened(client, url))["base"] == dict(form)["base"]


def test_two_reps_making_the_same_slug_at_once_do_not_overwrite_each_other(rep, admin, acme, monkeypatch):
    # The "exists already" check ran before the write, which replaced whatever was stored: a demo
    # made by someone else between the two was silently overwritten. The write itself now refuses.
    store = rep.application.extensions["webcall"].demos
    monkeypatch.setattr(type(store), "get", lambda self, slug: None)  # the check saw no acme yet
    r = post_form(admin, fields={**VALID, "slug": "acme", "title": "Made by the admin"})
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "exists already" in (field_error(page, "slug") or "")
    assert stored(rep)["title"] == "Acme Dental" and input_value(page, "title") == "Made by the admin"
