from __future__ import annotations

import os

import pytest

from webcall.settings import DEFAULT_BASE_URL, Settings, SettingsError

from .process_start import APP, clean_env, start

pytestmark = pytest.mark.unit

AGENT = "3f7c2b1e-8a4d-4c6b-9e2f-1a5d7c9b0e41"
GOOD = {"ITELLICOAI_API_KEY": "k", "ITELLICOAI_AGENT_ID": AGENT}


def test_minimal_settings_and_defaults():
    settings = Settings.from_env(GOOD)
    assert settings.base_url == DEFAULT_BASE_URL and settings.account_id is None
    assert settings.secret_key_generated and len(settings.secret_key) >= 32
    assert settings.agent_join_timeout_seconds == 15
    assert "api_key" not in repr(settings) and "secret_key=" not in repr(settings)


@pytest.mark.parametrize(
    ("changes", "name"),
    [
        ({"ITELLICOAI_API_KEY": ""}, "ITELLICOAI_API_KEY"),
        ({"ITELLICOAI_AGENT_ID": ""}, "ITELLICOAI_AGENT_ID"),
        ({"ITELLICOAI_AGENT_ID": "agent-1"}, "ITELLICOAI_AGENT_ID"),
        ({"ITELLICOAI_ACCOUNT_ID": "me"}, "ITELLICOAI_ACCOUNT_ID"),
        ({"ITELLICOAI_BASE_URL": "ftp://api.itellico.ai"}, "ITELLICOAI_BASE_URL"),
        ({"ITELLICOAI_BASE_URL": "api.itellico.ai"}, "ITELLICOAI_BASE_URL"),
        ({"ITELLICOAI_TIMEOUT_SECONDS": "soon"}, "ITELLICOAI_TIMEOUT_SECONDS"),
        ({"ITELLICOAI_TIMEOUT_SECONDS": "0"}, "ITELLICOAI_TIMEOUT_SECONDS"),
        ({"WEBCALL_AGENT_JOIN_TIMEOUT_SECONDS": "-1"}, "WEBCALL_AGENT_JOIN_TIMEOUT_SECONDS"),
        ({"WEBCALL_MAX_CALL_SECONDS": "1.5"}, "WEBCALL_MAX_CALL_SECONDS"),
        ({"WEBCALL_RTC_NO_ICE_SERVERS": "maybe"}, "WEBCALL_RTC_NO_ICE_SERVERS"),
        ({"WEBCALL_ALLOWED_ORIGINS": "https://a.example/path"}, "WEBCALL_ALLOWED_ORIGINS"),
        ({"WEBCALL_SECRET_KEY": "short"}, "WEBCALL_SECRET_KEY"),
    ],
)
def test_bad_values_name_the_setting(changes, name):
    with pytest.raises(SettingsError) as info:
        Settings.from_env({**GOOD, **changes})
    assert info.value.name == name
    assert str(info.value).startswith(f"setting {name}:") and "\n" not in str(info.value)


def test_valid_optional_values_are_normalised():
    settings = Settings.from_env(
        {
            **GOOD,
            "ITELLICOAI_BASE_URL": "http://127.0.0.1:5050/",
            "ITELLICOAI_ACCOUNT_ID": AGENT.upper(),
            "WEBCALL_ALLOWED_ORIGINS": "https://a.example, http://localhost:8000",
            "WEBCALL_RTC_NO_ICE_SERVERS": "yes",
        }
    )
    assert settings.base_url == "http://127.0.0.1:5050"
    assert settings.account_id == AGENT
    assert settings.allowed_origins == ("https://a.example", "http://localhost:8000")
    assert settings.rtc_no_ice_servers


def test_app_stops_with_one_line_and_no_traceback(tmp_path):
    result = start(APP, clean_env(ITELLICOAI_API_KEY="k", ITELLICOAI_AGENT_ID="not-a-uuid"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "itellico web-call cannot start: setting ITELLICOAI_AGENT_ID: 'not-a-uuid' is not a UUID"
    ]


WHOLE_NUMBERS = [
    "WEBCALL_MAX_CALL_SECONDS",
    "WEBCALL_TRUSTED_PROXY_HOPS",
    "WEBCALL_WEBHOOK_TOLERANCE_SECONDS",
    "WEBCALL_WEBHOOK_MAX_BYTES",
    "WEBCALL_SMTP_PORT",
    "WEBCALL_REFRESH_MINUTES",
]


@pytest.mark.parametrize("name", WHOLE_NUMBERS)
@pytest.mark.parametrize("raw", ["\u00b2", "\u0663\u0660", "\uff11\uff15", "+30", "3_0"])
def test_whole_numbers_take_ascii_digits_only(name, raw):
    # str.isdigit() is true for a superscript 2 (int() crashed) and Arabic-Indic digits (int() took them).
    with pytest.raises(SettingsError) as info:
        Settings.from_env({**GOOD, name: raw})
    assert info.value.name == name and "\n" not in str(info.value)


SECRET = "abcdefghijklmnop-0123"


@pytest.mark.parametrize(
    "name",
    [
        "ITELLICOAI_API_KEY",
        "ITELLICOAI_WEBHOOK_SECRET",
        "WEBCALL_METRICS_TOKEN",
        "WEBCALL_NOTIFY_SIGNING_SECRET",
    ],
)
@pytest.mark.parametrize("junk", ["\u200b", "\u00e9", " ", "\t", "\xa0x"])
def test_secrets_refuse_non_ascii_or_inner_whitespace_without_echoing_them(name, junk):
    value = SECRET[:8] + junk + SECRET[8:]
    with pytest.raises(SettingsError) as info:
        Settings.from_env({**GOOD, name: value})
    message = str(info.value)
    assert info.value.name == name and "\n" not in message
    assert "non-ASCII or whitespace" in message
    assert SECRET[:4] not in message and SECRET[-4:] not in message


BAD_URLS = [
    ("ITELLICOAI_BASE_URL", "http://[::1"),
    ("ITELLICOAI_BASE_URL", "http://host:abc"),
    ("ITELLICOAI_BASE_URL", "http://host:99999"),
    ("ITELLICOAI_BASE_URL", "http://host:0"),
    ("WEBCALL_ALLOWED_ORIGINS", "https://[::1"),
    ("WEBCALL_ALLOWED_ORIGINS", "https://a.example:abc"),
    ("WEBCALL_PUBLIC_URL", "https://[::1"),
    ("WEBCALL_PUBLIC_URL", "https://x.com:abc"),
    # Addresses a browser's Origin never equals: same-origin checks would refuse our own pages.
    ("WEBCALL_PUBLIC_URL", "https://user@demo.example.com"),
    ("WEBCALL_PUBLIC_URL", "https://demo .example.com"),
    ("WEBCALL_PUBLIC_URL", "https://demo..example.com"),
    ("WEBCALL_RATE_LIMIT_STORAGE_URI", "redis://[::1"),
    ("WEBCALL_RATE_LIMIT_STORAGE_URI", "redis://host:abc/0"),
    ("WEBCALL_TASK_QUEUE_URL", "redis://[::1"),
    ("WEBCALL_TASK_QUEUE_URL", "redis://host:abc/0"),
    ("WEBCALL_TASK_QUEUE_URL", "redis://host:70000/0"),
    ("WEBCALL_DATABASE_URL", "postgresql+psycopg://u:p@127.0.0.1:abc/db"),
    ("WEBCALL_DATABASE_URL", "postgresql+psycopg://u:p@127.0.0.1:99999/db"),
    ("WEBCALL_DATABASE_URL", "app:pw@db.internal/webcall"),
]


@pytest.mark.parametrize(("name", "raw"), BAD_URLS)
def test_malformed_urls_and_ports_name_the_setting(name, raw):
    with pytest.raises(SettingsError) as info:
        Settings.from_env({**GOOD, name: raw})
    assert info.value.name == name and "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("WEBCALL_DATABASE_URL", "app:S3cretPW@db.internal/webcall"),
        ("WEBCALL_DATABASE_URL", "postgresql+psycopg://app:S3cretPW@db.internal:abc/webcall"),
        ("WEBCALL_RATE_LIMIT_STORAGE_URI", "redis://:S3cretPW@cache:abc/0"),
        ("WEBCALL_TASK_QUEUE_URL", "redis://user:S3cretPW@cache:abc/0"),
        ("WEBCALL_TASK_QUEUE_URL", "ftp://user:S3cretPW@cache/0"),
        ("ITELLICOAI_BASE_URL", "http://user:S3cretPW@[::1"),
    ],
)
def test_echoed_urls_mask_the_password(name, raw):
    with pytest.raises(SettingsError) as info:
        Settings.from_env({**GOOD, name: raw})
    assert info.value.name == name and "S3cretPW" not in str(info.value)


def test_good_urls_with_ports_pass():
    settings = Settings.from_env(
        {
            **GOOD,
            "ITELLICOAI_BASE_URL": "http://[::1]:5050",
            "WEBCALL_PUBLIC_URL": "https://demo.example.com:8443",
            "WEBCALL_ALLOWED_ORIGINS": "https://a.example:8443",
            "WEBCALL_RATE_LIMIT_STORAGE_URI": "redis://:pw@127.0.0.1:6379/0",
            "WEBCALL_TASK_QUEUE_URL": "rediss://cache.internal:6380/1",
            "WEBCALL_DATABASE_URL": "postgresql+psycopg://u:p@127.0.0.1:5432/db",
        }
    )
    assert (
        settings.base_url == "http://[::1]:5050"
        and settings.task_queue_url == "rediss://cache.internal:6380/1"
    )


@pytest.mark.parametrize(
    "raw",
    [
        "sqlite://relative.sqlite3",
        "SQLITE:////tmp/x.sqlite3",
        "sqlite:///",
        "sqlite://",
        "sqlite:////tmp/x.sqlite3?mode=ro",
        "sqlite:///tasks.sqlite3#x",
        "Redis://127.0.0.1:6379/0",
        "redis://",
        "http://127.0.0.1/queue",
    ],
)
def test_malformed_task_queue_urls_are_refused(raw):
    with pytest.raises(SettingsError) as info:
        Settings.from_env({**GOOD, "WEBCALL_TASK_QUEUE_URL": raw})
    assert info.value.name == "WEBCALL_TASK_QUEUE_URL" and "\n" not in str(info.value)


@pytest.mark.parametrize(
    "raw", ["sqlite:///instance/tasks.sqlite3", "sqlite:////var/lib/webcall/tasks.sqlite3", "memory://"]
)
def test_documented_task_queue_urls_pass(raw):
    assert Settings.from_env({**GOOD, "WEBCALL_TASK_QUEUE_URL": raw}).task_queue_url == raw


def test_a_non_utf8_env_file_is_one_line_naming_it(tmp_path, monkeypatch):
    from webcall.settings import load_env_file

    env_file = tmp_path / ".env"
    env_file.write_bytes(b"WEBCALL_PROBE_A=1\nWEBCALL_SMTP_FROM=caf\xe9@example.com\n")
    monkeypatch.delenv("WEBCALL_PROBE_A", raising=False)
    with pytest.raises(SettingsError) as info:
        load_env_file(env_file)
    message = str(info.value)
    assert "\n" not in message and ".env" in message and "UTF-8" in message and "line 2" in message
    assert "caf" not in message  # the file's content (secrets) is never shown
    assert "WEBCALL_PROBE_A" not in os.environ  # nothing half-loaded


def test_a_utf8_env_file_is_loaded_and_a_missing_one_is_fine(tmp_path, monkeypatch):
    from webcall.settings import load_env_file

    monkeypatch.delenv("WEBCALL_PROBE_B", raising=False)
    (tmp_path / ".env").write_text("WEBCALL_PROBE_B=café\n", encoding="utf-8")
    load_env_file(tmp_path / ".env")
    assert os.environ["WEBCALL_PROBE_B"] == "café"
    load_env_file(tmp_path / "missing.env")


def test_the_worker_stops_with_one_line_on_a_non_utf8_env_file(tmp_path, monkeypatch, capsys):
    from webcall import worker

    (tmp_path / ".env").write_bytes(b"ITELLICOAI_API_KEY=caf\xe9\n")
    monkeypatch.setattr(worker, "ROOT", tmp_path)
    assert worker.main() == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("itellico web-call worker cannot start: ")
    assert "UTF-8" in lines[0]


@pytest.mark.parametrize("raw", ["\u00b2", "\u0665\u0660\u0660\u0660", "0", "65536", "http"])
def test_devserver_port_takes_ascii_digits_only(raw, monkeypatch):
    from webcall.devserver import _port

    monkeypatch.setenv("PORT", raw)
    with pytest.raises(SystemExit) as info:
        _port("PORT", 5000)
    assert str(info.value).startswith("itellico web-call cannot start: setting PORT:")


def test_the_dev_server_stops_on_a_non_utf8_env_file_with_one_line(tmp_path, monkeypatch):
    from webcall import devserver

    (tmp_path / ".env").write_bytes(b"WEBCALL_SMTP_FROM=caf\xe9@example.com\n")
    monkeypatch.setattr(devserver, "ROOT", tmp_path)
    with pytest.raises(SystemExit) as info:
        devserver._load_env()
    message = str(info.value.code)
    assert message.startswith("itellico web-call cannot start:") and "UTF-8" in message
    assert "\n" not in message and "caf" not in message


@pytest.mark.parametrize("timestamp", ["X-Itellico-Signature", "x-itellico-signature"])
def test_the_webhook_signature_and_timestamp_headers_must_differ(timestamp):
    # One header cannot carry both: every signed webhook would be refused, and nothing said why.
    with pytest.raises(SettingsError) as info:
        Settings.from_env({**GOOD, "WEBCALL_WEBHOOK_TIMESTAMP_HEADER": timestamp})
    assert info.value.name == "WEBCALL_WEBHOOK_TIMESTAMP_HEADER" and "X-Itellico-Signature" in str(info.value)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_production_refuses_an_in_memory_database(url):
    # Every restart would lose the accounts, demos and call log, and each gunicorn worker has its own.
    production = {**GOOD, "WEBCALL_ENV": "production", "WEBCALL_SECRET_KEY": "s" * 32}
    with pytest.raises(SettingsError) as info:
        Settings.from_env({**production, "WEBCALL_DATABASE_URL": url})
    assert info.value.name == "WEBCALL_DATABASE_URL" and "memory" in str(info.value)
    assert Settings.from_env({**GOOD, "WEBCALL_DATABASE_URL": url}).database_url == url  # tests, development


@pytest.mark.parametrize("content", [b"", b"\n", b"0123", b"\xff\xfe"])
def test_the_dev_secret_key_file_is_renewed_when_empty_or_cut_short(tmp_path, monkeypatch, content):
    # An empty key meant a random one per start: links from `make link` never opened.
    from webcall import devserver

    key_file = tmp_path / "instance" / "dev-secret-key"
    key_file.parent.mkdir()
    key_file.write_bytes(content)
    monkeypatch.setattr(devserver, "DEV_SECRET_FILE", key_file)
    monkeypatch.delenv("WEBCALL_SECRET_KEY", raising=False)
    devserver._dev_secret_key()
    key = os.environ["WEBCALL_SECRET_KEY"]
    assert len(key) >= 32 and key_file.read_text() == key
    monkeypatch.delenv("WEBCALL_SECRET_KEY")
    devserver._dev_secret_key()
    assert os.environ["WEBCALL_SECRET_KEY"] == key  # stable from then on


def test_a_dev_secret_key_path_that_is_a_folder_is_one_line(tmp_path, monkeypatch):
    from webcall import devserver

    monkeypatch.setattr(devserver, "DEV_SECRET_FILE", tmp_path)
    monkeypatch.delenv("WEBCALL_SECRET_KEY", raising=False)
    with pytest.raises(SystemExit) as info:
        devserver._dev_secret_key()
    message = str(info.value.code)
    assert message.startswith("itellico web-call cannot start:") and str(tmp_path) in message
    assert "\n" not in message
