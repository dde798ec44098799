"""Rotating WEBCALL_SECRET_KEY and ITELLICOAI_WEBHOOK_SECRET without refusals (docs/operations.md,
"Rotating secrets").

An operator audit changed WEBCALL_SECRET_KEY and restarted: every share link already sent answered
403 link_invalid, every studio session ended and every call's summary answered 403. A rotated
itellico webhook secret refused each delivery still signed with the old one (401). The previous key
(WEBCALL_SECRET_KEY_FALLBACKS) and the previous webhook secret (ITELLICOAI_WEBHOOK_SECRET_PREVIOUS)
are accepted besides the current ones; what is made after the restart is signed with the new key.
The apps here share one database (make_sales_app's), as a restart of the same deployment does.
"""

from __future__ import annotations

import logging
import os
import subprocess

import pytest

from tests.share_links import recorded
from tests.tokens import tampered
from webcall import known_browsers
from webcall.demos import DemoProfile
from webcall.links import ShareLinks
from webcall.settings import Settings, SettingsError

from .conftest import REP_EMAIL, csrf, sign_in
from .test_settings import GOOD
from .test_webhooks import envelope, new_call, post

pytestmark = pytest.mark.unit

OLD_KEY = "old-secret-key-" + "a1" * 12
NEW_KEY = "new-secret-key-" + "b2" * 12
OLD_HOOK = "whsec-old-" + "c3" * 12
NEW_HOOK = "whsec-new-" + "d4" * 12
SESSION_COOKIE = "webcall_session"
DEMO = DemoProfile("acme", "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41")


def rotated(make_sales_app, **changes):
    """The same deployment restarted with the new key and the old one as a fallback."""
    return make_sales_app(secret_key=NEW_KEY, secret_key_fallbacks=(OLD_KEY,), **changes)


def start_call(client, token: str):
    return client.post("/api/calls", json={"demo": "alpenblick", "link": token})


# -- share links -------------------------------------------------------------------------------


def test_a_link_sent_before_the_rotation_still_starts_a_call(make_sales_app):
    before = make_sales_app(secret_key=OLD_KEY)
    link = recorded(before.extensions["webcall"], name="Maria")
    response = start_call(rotated(make_sales_app).test_client(), link.token)
    assert response.status_code == 201, response.get_json()


def test_a_link_sent_before_the_rotation_keeps_its_own_budget(make_sales_app):
    """The limiter's look at a create's link (webcall/api_limits.py) takes the fallbacks too: an old
    link's creates count against its own budget, not the demo's pool for visitors without a link."""
    before = make_sales_app(secret_key=OLD_KEY)
    link = recorded(before.extensions["webcall"], name="Maria")
    client = rotated(make_sales_app, rate_limit_per_demo="1/minute").test_client()
    answers = [start_call(client, link.token).status_code for _ in range(3)]
    assert answers == [201, 201, 201]


def test_without_the_fallback_the_same_link_is_link_invalid(make_sales_app):
    before = make_sales_app(secret_key=OLD_KEY)
    link = recorded(before.extensions["webcall"], name="Maria")
    response = start_call(make_sales_app(secret_key=NEW_KEY).test_client(), link.token)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "link_invalid"


def test_links_made_after_the_rotation_are_signed_with_the_new_key(make_sales_app):
    after = rotated(make_sales_app)
    link = recorded(after.extensions["webcall"], name="Maria")
    # Once the fallback is removed, the links made under the new key go on working...
    assert start_call(make_sales_app(secret_key=NEW_KEY).test_client(), link.token).status_code == 201
    # ...and the old key alone never opens them.
    assert not ShareLinks(OLD_KEY).check(link.token, "alpenblick").link


def test_a_link_check_without_a_database_takes_the_fallback_too():
    # The rate limiter's signature-only look (webcall/api_limits.py) builds one of these.
    token = ShareLinks(OLD_KEY).issue(DEMO, {}, 2_000_000_000).token
    assert ShareLinks(NEW_KEY, fallbacks=(OLD_KEY,)).check(token, "acme").link is not None
    assert ShareLinks(NEW_KEY).check(token, "acme").link is None


# -- call handles ------------------------------------------------------------------------------


def test_a_call_started_before_the_rotation_still_reads_its_summary(make_sales_app):
    before = make_sales_app(secret_key=OLD_KEY).test_client()
    created = before.post("/api/calls", json={}).get_json()
    url, handle = f"/api/calls/{created['call_id']}", {"X-Call-Handle": created["handle"]}
    assert rotated(make_sales_app).test_client().get(url, headers=handle).status_code == 200
    refused = make_sales_app(secret_key=NEW_KEY).test_client().get(url, headers=handle)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"


# -- studio sessions and forms -----------------------------------------------------------------


def _signed_in_before(make_sales_app):
    """A rep's session cookie and a form's CSRF token, both made under the old key."""
    client = make_sales_app(secret_key=OLD_KEY).test_client()
    sign_in(client)
    form = csrf(client.get("/demos").get_data(as_text=True))
    return client.get_cookie(SESSION_COOKIE).value, form


def _browser(app, cookie: str):
    client = app.test_client()
    client.set_cookie(SESSION_COOKIE, cookie)
    return client


def test_a_studio_session_started_before_the_rotation_stays_signed_in(make_sales_app):
    cookie, _form = _signed_in_before(make_sales_app)
    assert _browser(rotated(make_sales_app), cookie).get("/demos").status_code == 200
    signed_out = _browser(make_sales_app(secret_key=NEW_KEY), cookie).get("/demos")
    assert signed_out.status_code == 302 and "/demos/login" in signed_out.headers["Location"]


def test_a_reps_own_browser_stays_known_to_the_sign_in_lock(make_sales_app):
    """The known-browser cookie (failed sign-ins counted per browser, webcall/known_browsers.py)."""
    client = make_sales_app(secret_key=OLD_KEY).test_client()
    sign_in(client)
    cookie = client.get_cookie(known_browsers.COOKIE, path=known_browsers.PATH).value
    for app, known in ((rotated(make_sales_app), True), (make_sales_app(secret_key=NEW_KEY), False)):
        with app.test_request_context(
            "/demos/login", headers={"Cookie": f"{known_browsers.COOKIE}={cookie}"}
        ):
            key = known_browsers.lockout_key(REP_EMAIL)
        assert ("#browser:" in key) is known, key


def test_a_form_opened_before_the_rotation_still_posts(make_sales_app):
    # Flask-WTF signs its tokens with SECRET_KEY alone; the studio's check takes the fallbacks too
    # (webcall/auth.py check_csrf), so a rep's open form survives the restart like the session does.
    cookie, old_form = _signed_in_before(make_sales_app)
    browser = _browser(rotated(make_sales_app), cookie)
    assert browser.post("/demos/logout", data={"csrf": old_form}).status_code == 302


def test_a_changed_form_token_is_refused_after_the_rotation(make_sales_app):
    # The fallbacks verify what they signed, nothing else: a token whose signature is changed is
    # refused (400, the form asked again) under the new key and under the old; a fresh page works.
    cookie, old_form = _signed_in_before(make_sales_app)
    browser = _browser(rotated(make_sales_app), cookie)
    assert browser.post("/demos/logout", data={"csrf": tampered(old_form)}).status_code == 400
    fresh = csrf(browser.get("/demos").get_data(as_text=True))
    assert browser.post("/demos/logout", data={"csrf": fresh}).status_code == 302


# -- itellico's webhook secret -----------------------------------------------------------------


def test_a_delivery_signed_with_the_previous_webhook_secret_is_accepted(make_sales_app):
    app = make_sales_app(webhook_secret=NEW_HOOK, webhook_secret_previous=OLD_HOOK)
    client = app.test_client()
    assert post(client, envelope("conversation.ended", new_call(app)), secret=OLD_HOOK).status_code == 202
    assert post(client, envelope("conversation.ended", new_call(app)), secret=NEW_HOOK).status_code == 202
    other = "whsec-other-" + "e5" * 12
    assert post(client, envelope("conversation.ended", new_call(app)), secret=other).status_code == 401


def test_without_the_previous_secret_the_old_signature_is_refused(make_sales_app):
    app = make_sales_app(webhook_secret=NEW_HOOK)
    response = post(app.test_client(), envelope("conversation.ended", new_call(app)), secret=OLD_HOOK)
    assert response.status_code == 401 and response.get_json() == {"status": "bad_signature"}


# -- the settings, and where their values never go ---------------------------------------------


def test_the_settings_read_both_and_never_show_them():
    env = {
        **GOOD,
        "WEBCALL_ENV": "production",
        "WEBCALL_SECRET_KEY": NEW_KEY,
        "WEBCALL_SECRET_KEY_FALLBACKS": f" {OLD_KEY} , {'f6' * 10},",
        "ITELLICOAI_WEBHOOK_SECRET": NEW_HOOK,
        "ITELLICOAI_WEBHOOK_SECRET_PREVIOUS": OLD_HOOK,
    }
    settings = Settings.from_env(env)  # production knows both names (no "is not a setting")
    assert settings.secret_key_fallbacks == (OLD_KEY, "f6" * 10)
    assert settings.webhook_secret_previous == OLD_HOOK
    assert OLD_KEY not in repr(settings) and OLD_HOOK not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WEBCALL_SECRET_KEY_FALLBACKS", f"{OLD_KEY},short-one"),
        ("ITELLICOAI_WEBHOOK_SECRET_PREVIOUS", "short-one"),
        ("ITELLICOAI_WEBHOOK_SECRET_PREVIOUS", OLD_HOOK + "\u00a0short-one"),
    ],
)
def test_a_bad_previous_secret_names_its_setting_not_its_value(name, value):
    with pytest.raises(SettingsError) as info:
        Settings.from_env({**GOOD, "ITELLICOAI_WEBHOOK_SECRET": NEW_HOOK, name: value})
    assert info.value.name == name
    assert "short-one" not in str(info.value) and OLD_KEY not in str(info.value)


def test_the_previous_secrets_are_redacted_from_every_log_line(make_sales_app, caplog):
    key, hook = "retired-key-" + "a7" * 10, "whsec-retired-" + "b8" * 10
    make_sales_app(secret_key_fallbacks=(key,), webhook_secret=NEW_HOOK, webhook_secret_previous=hook)
    caplog.set_level(logging.INFO)
    logging.getLogger("webcall.test").warning("leak attempt %s %s", key, hook)
    assert "leak attempt" in caplog.text
    assert key not in caplog.text and hook not in caplog.text


def test_the_task_worker_gets_neither_webhook_secret(monkeypatch):
    from webcall import devserver

    seen: dict[str, dict[str, str]] = {}
    monkeypatch.setenv("ITELLICOAI_WEBHOOK_SECRET", NEW_HOOK)
    monkeypatch.setenv("ITELLICOAI_WEBHOOK_SECRET_PREVIOUS", OLD_HOOK)
    monkeypatch.setattr(subprocess, "Popen", lambda command, **kwargs: seen.setdefault("env", kwargs["env"]))
    devserver._start_worker()
    assert OLD_HOOK not in seen["env"].values() and NEW_HOOK not in seen["env"].values()


def test_a_worker_started_by_hand_drops_both_webhook_secrets(monkeypatch, capsys):
    # `make serve` and systemd start `python -m webcall.worker` with the app's whole environment.
    from webcall import worker

    monkeypatch.setenv("WEBCALL_ENV", "development")
    monkeypatch.setenv("ITELLICOAI_WEBHOOK_SECRET", NEW_HOOK)
    monkeypatch.setenv("ITELLICOAI_WEBHOOK_SECRET_PREVIOUS", OLD_HOOK)
    seen: dict[str, str] = {}

    def stop_here():
        seen.update(os.environ)
        raise SettingsError("WEBCALL_TEST", "stopped by the test")

    monkeypatch.setattr(worker, "create_app", stop_here)
    assert worker.main() == 2 and "stopped by the test" in capsys.readouterr().err
    assert OLD_HOOK not in seen.values() and NEW_HOOK not in seen.values()
