"""A page variable's value must be text that can be sent: JSON may carry a lone surrogate ("\ud800"),
which no UTF-8 encoder takes. It was checked nowhere (pydantic checks the body's own text fields, not a
dict's values), so httpx failed to encode the create: a 500 after the demo's pool was spent."""

from __future__ import annotations

from dataclasses import replace

import pytest

from webcall import create_app

pytestmark = pytest.mark.unit

LONE = '{"demo": "northwind", "variables": {"name": "\\ud800"}}'  # the JSON escape, as sent raw


def post_raw(client, body: str, address: str):
    return client.post(
        "/api/calls", data=body, content_type="application/json", environ_base={"REMOTE_ADDR": address}
    )


@pytest.mark.parametrize("value", ["\\ud800", "ab\\udfffcd", "\\ud83d"])
def test_a_lone_surrogate_in_a_variable_is_refused_and_spends_nothing(settings, standin, value):
    app = create_app({"settings": replace(settings, demos_file="demos.toml", rate_limit_per_demo="1/minute")})
    client = app.test_client()
    body = LONE.replace("\\ud800", value)
    response = post_raw(client, body, "192.0.2.1")
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "invalid_request" and error["message"].startswith("variables.name")
    assert standin.creates() == []
    # The demo's pool (one create a minute here) is untouched: another visitor still gets a call.
    good = post_raw(client, '{"demo": "northwind", "variables": {"name": "Maria"}}', "192.0.2.2")
    assert good.status_code == 201, good.get_data(as_text=True)
    (sent,) = standin.creates()
    assert sent["test_variables"]["name"] == "Maria"


def test_a_pair_of_surrogates_is_text_and_passes(settings, standin):
    app = create_app({"settings": replace(settings, demos_file="demos.toml")})
    response = post_raw(app.test_client(), LONE.replace("\\ud800", "\\ud83d\\ude00"), "192.0.2.3")
    assert response.status_code == 201, response.get_data(as_text=True)
    (sent,) = standin.creates()
    assert sent["test_variables"]["name"] == "\U0001f600"


@pytest.mark.parametrize("value", ["\\u0000", "Ma\\u0000ria", "\\u0007", "a\\u001bb", "\\u007f"])
@pytest.mark.parametrize("field", ["variables", "initial_text"])
def test_control_characters_are_refused_and_spend_nothing(settings, standin, value, field):
    # NUL, a bell, an escape: no text a person typed (a PostgreSQL text column refuses NUL, and what
    # itellico does with them is undocumented), so the page that sent them is told, and nothing goes.
    app = create_app({"settings": replace(settings, demos_file="demos.toml", rate_limit_per_demo="1/minute")})
    body = LONE.replace("\\ud800", value)
    if field == "initial_text":
        body = '{"demo": "northwind", "initial_text": "Hi VALUE"}'.replace("VALUE", value)
    response = post_raw(app.test_client(), body, "192.0.2.4")
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "invalid_request" and "control character" in error["message"], error
    assert error["message"].startswith("variables.name" if field == "variables" else "initial_text")
    assert standin.creates() == []
    good = post_raw(app.test_client(), '{"demo": "northwind", "variables": {"name": "Maria"}}', "192.0.2.5")
    assert good.status_code == 201, good.get_data(as_text=True)


def test_tabs_and_line_breaks_are_text(settings, standin):
    app = create_app({"settings": replace(settings, demos_file="demos.toml")})
    body = (
        '{"demo": "northwind", "initial_text": "Line one\\r\\nLine\\ttwo", "variables": {"name": "Ma\\nria"}}'
    )
    response = post_raw(app.test_client(), body, "192.0.2.6")
    assert response.status_code == 201, response.get_data(as_text=True)
    (sent,) = standin.creates()
    assert sent["initial_text"] == "Line one\r\nLine\ttwo" and sent["test_variables"]["name"] == "Ma\nria"
