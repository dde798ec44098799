"""`flask demos link` without WEBCALL_PUBLIC_URL or --base-url: the link points at this machine
(http://127.0.0.1:$PORT), which opens nothing for a prospect, so the command says so on stderr, in one
line naming both ways to give the address, and still prints the link (on this machine it opens)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from webcall import ROOT, create_app

pytestmark = pytest.mark.unit

WARNING = (
    "warning: this link points at http://127.0.0.1:{port}, this machine: a prospect cannot open it. Set "
    "WEBCALL_PUBLIC_URL (the address visitors use, as the app has it) or pass --base-url"
)


@pytest.fixture
def make_runner(settings, tmp_path):
    def make(public_url: str | None):
        changed = replace(
            settings,
            demos_file=str(ROOT / "demos.toml"),
            database_url=f"sqlite:///{tmp_path}/calls.sqlite3",
            public_url=public_url,
        )
        return create_app({"settings": changed, "TESTING": True}).test_cli_runner()

    return make


def test_without_a_public_address_the_local_link_comes_with_a_warning(make_runner, monkeypatch):
    monkeypatch.setenv("PORT", "5123")
    result = make_runner(None).invoke(args=["demos", "link", "northwind"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("http://127.0.0.1:5123/demo/northwind#link=")
    assert len(result.stdout.splitlines()) == 1  # the link alone: `$(flask demos link …)` still works
    assert result.stderr.splitlines()[-1] == WARNING.format(port=5123)  # the last word, under the link


@pytest.mark.parametrize(
    ("public_url", "args", "printed"),
    [
        ("https://demo.example.com", [], "https://demo.example.com/demo/northwind#link="),
        (None, ["--base-url", "https://demo.example.com"], "https://demo.example.com/demo/northwind#link="),
        # A local address chosen on purpose (`make link` sets it for `make run`) is not warned about.
        ("http://127.0.0.1:5000", [], "http://127.0.0.1:5000/demo/northwind#link="),
    ],
)
def test_a_given_address_is_used_without_a_warning(make_runner, public_url, args, printed):
    result = make_runner(public_url).invoke(args=["demos", "link", "northwind", *args])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(printed)
    assert "warning" not in result.stderr


@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_port_is_the_default_port_in_the_local_link(make_runner, monkeypatch, empty):
    # PORT as gunicorn and `make run` read it (webcall/serving.py): empty is 5000, not a link without a port.
    monkeypatch.setenv("PORT", empty)
    result = make_runner(None).invoke(args=["demos", "link", "northwind"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("http://127.0.0.1:5000/demo/northwind#link=")


def test_a_bad_port_is_said_in_one_line_not_put_into_the_link(make_runner, monkeypatch):
    monkeypatch.setenv("PORT", "http")
    result = make_runner(None).invoke(args=["demos", "link", "northwind"])
    assert result.exit_code != 0 and result.stdout == ""
    assert "setting PORT: 'http' is not a port number" in result.stderr
