from __future__ import annotations

import os
import subprocess
import sys

import pytest

from webcall.settings import DEFAULT_BASE_URL, Settings, SettingsError

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
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ITELLICOAI_", "WEBCALL_"))}
    env.update({"ITELLICOAI_API_KEY": "k", "ITELLICOAI_AGENT_ID": "not-a-uuid"})
    result = subprocess.run(
        [sys.executable, "-c", "import app"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "itellico web-call cannot start: setting ITELLICOAI_AGENT_ID: 'not-a-uuid' is not a UUID"
    ]
