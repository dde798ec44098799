"""The notification settings (webcall/settings.py): SMTP, the outgoing webhooks' secret, the timeout,
and private targets allowed in development only unless told."""

from __future__ import annotations

import pytest

from webcall.settings import Settings, SettingsError

from .test_settings import GOOD

pytestmark = pytest.mark.unit


def test_defaults_send_no_email_and_unsigned_webhooks():
    settings = Settings.from_env(GOOD)
    assert settings.smtp_host is None and settings.smtp_port == 587 and settings.smtp_starttls
    assert settings.notify_signing_secret is None and settings.notify_timeout_seconds == 10.0
    assert settings.notify_allow_private_targets  # development
    production = {**GOOD, "WEBCALL_ENV": "production", "WEBCALL_SECRET_KEY": "k" * 32}
    assert not Settings.from_env(production).notify_allow_private_targets
    allowed = {**production, "WEBCALL_NOTIFY_ALLOW_PRIVATE_TARGETS": "true"}
    assert Settings.from_env(allowed).notify_allow_private_targets


def test_smtp_settings_are_read():
    settings = Settings.from_env(
        {
            **GOOD,
            "WEBCALL_SMTP_HOST": "smtp.example.com",
            "WEBCALL_SMTP_PORT": "2525",
            "WEBCALL_SMTP_FROM": "demos@example.com",
            "WEBCALL_SMTP_USER": "demos",
            "WEBCALL_SMTP_PASSWORD": "smtp-password-123",
            "WEBCALL_SMTP_STARTTLS": "false",
            "WEBCALL_NOTIFY_SIGNING_SECRET": "s" * 20,
            "WEBCALL_NOTIFY_TIMEOUT_SECONDS": "3",
        }
    )
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_from) == (
        "smtp.example.com",
        2525,
        "demos@example.com",
    )
    assert (settings.smtp_user, settings.smtp_password, settings.smtp_starttls) == (
        "demos",
        "smtp-password-123",
        False,
    )
    assert settings.notify_signing_secret == "s" * 20 and settings.notify_timeout_seconds == 3.0
    assert "smtp-password-123" not in repr(settings) and "s" * 20 not in repr(settings)


@pytest.mark.parametrize(
    ("changes", "name"),
    [
        ({"WEBCALL_SMTP_HOST": "smtp.example.com"}, "WEBCALL_SMTP_FROM"),
        ({"WEBCALL_SMTP_FROM": "not an address"}, "WEBCALL_SMTP_FROM"),
        ({"WEBCALL_SMTP_USER": "demos"}, "WEBCALL_SMTP_PASSWORD"),
        ({"WEBCALL_SMTP_PORT": "70000"}, "WEBCALL_SMTP_PORT"),
        ({"WEBCALL_SMTP_STARTTLS": "maybe"}, "WEBCALL_SMTP_STARTTLS"),
        ({"WEBCALL_NOTIFY_SIGNING_SECRET": "short"}, "WEBCALL_NOTIFY_SIGNING_SECRET"),
        ({"WEBCALL_NOTIFY_TIMEOUT_SECONDS": "600"}, "WEBCALL_NOTIFY_TIMEOUT_SECONDS"),
        ({"WEBCALL_NOTIFY_ALLOW_PRIVATE_TARGETS": "perhaps"}, "WEBCALL_NOTIFY_ALLOW_PRIVATE_TARGETS"),
    ],
)
def test_bad_notification_settings_name_the_setting(changes, name):
    with pytest.raises(SettingsError) as error:
        Settings.from_env({**GOOD, **changes})
    assert error.value.name == name


@pytest.mark.parametrize(
    ("environment", "raw", "allowed"),
    [
        ("development", None, True),  # `make run`: the sandbox's receivers are on 127.0.0.1
        ("development", "false", False),
        ("development", "", True),  # empty is the default
        ("production", None, False),  # reps' webhooks stay off internal addresses
        ("production", " ", False),
        ("production", "true", True),  # an operator's choice: receivers on the internal network
    ],
)
def test_private_targets_follow_the_environment_unless_told(environment, raw, allowed):
    env = {**GOOD, "WEBCALL_ENV": environment, "WEBCALL_SECRET_KEY": "k" * 32}
    if raw is not None:
        env["WEBCALL_NOTIFY_ALLOW_PRIVATE_TARGETS"] = raw
    assert Settings.from_env(env).notify_allow_private_targets is allowed
