"""The deployment's imprint and privacy policy (WEBCALL_IMPRINT_URL, WEBCALL_PRIVACY_URL): checked at start
like every setting (webcall/setting_checks.py), and linked from a footer of our own public pages in the
page's language; unset, no link and no footer."""

from __future__ import annotations

import re

import pytest

from webcall.settings import Settings, SettingsError

from .test_settings import GOOD

pytestmark = pytest.mark.unit

NAMES = ("WEBCALL_IMPRINT_URL", "WEBCALL_PRIVACY_URL")
PRODUCTION = {**GOOD, "WEBCALL_ENV": "production", "WEBCALL_SECRET_KEY": "s" * 32}
IMPRINT = "https://www.example.com/impressum"
PRIVACY = "https://www.example.com/datenschutz?lang=de#webcall"


def test_unset_means_no_links():
    settings = Settings.from_env({**GOOD, "WEBCALL_IMPRINT_URL": "", "WEBCALL_PRIVACY_URL": " "})
    assert (settings.imprint_url, settings.privacy_url) == (None, None)


def test_absolute_https_urls_are_kept_as_given_and_production_knows_the_names():
    both = {"WEBCALL_IMPRINT_URL": IMPRINT, "WEBCALL_PRIVACY_URL": PRIVACY}
    settings = Settings.from_env({**PRODUCTION, **both})
    assert (settings.imprint_url, settings.privacy_url) == (IMPRINT, PRIVACY)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "raw",
    [
        "ftp://www.example.com/impressum",  # a scheme no browser opens as a page
        "javascript:alert(1)",
        "/impressum",  # not absolute: relative to our own pages, where there is none
        "www.example.com/impressum",  # no scheme
        "https://",  # no host
        "https:///impressum",
        "https://user:secret@www.example.com/impressum",  # a credential shown on a public page
        "https://www.example.com/im pressum",
        "https://www.example.com:99999/impressum",
    ],
)
def test_bad_values_stop_the_start_with_one_line_naming_the_setting(name, raw):
    with pytest.raises(SettingsError) as info:
        Settings.from_env({**GOOD, name: raw})
    assert info.value.name == name
    assert str(info.value).startswith(f"setting {name}:") and "\n" not in str(info.value)
    assert "secret" not in str(info.value)


@pytest.mark.parametrize("name", NAMES)
def test_production_refuses_plain_http_but_to_localhost(name):
    with pytest.raises(SettingsError) as info:
        Settings.from_env({**PRODUCTION, name: "http://www.example.com/legal"})
    assert info.value.name == name and "https" in info.value.problem
    for local in ("http://localhost:8000/legal", "http://127.0.0.1/legal", "http://[::1]:8080/legal"):
        assert Settings.from_env({**PRODUCTION, name: local})
    # Development (`make run`, a test server) takes plain http anywhere.
    assert Settings.from_env({**GOOD, name: "http://www.example.com/legal"})


def legal_links(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<a href="([^"]+)" target="_blank" rel="noopener">([^<]+)</a>', html)


@pytest.fixture
def legal_client(make_sales_app):
    return make_sales_app(imprint_url=IMPRINT, privacy_url=PRIVACY).test_client()


def test_the_public_pages_link_both_in_their_language(legal_client):
    shown = [(IMPRINT, "Imprint"), (PRIVACY, "Privacy")]
    index = legal_client.get("/").get_data(as_text=True)
    assert "<footer" in index and legal_links(index) == shown
    unknown = legal_client.get("/demo/no-such-demo")
    assert unknown.status_code == 404 and legal_links(unknown.get_data(as_text=True)) == shown
    english = legal_client.get("/demo/northwind").get_data(as_text=True)
    german = legal_client.get("/demo/alpenblick").get_data(as_text=True)
    # The page's own footer, and one in each share-link notice (static/js/pages/demo.js replaces the page,
    # footer and all, with one of them).
    assert legal_links(english) == shown * 6
    assert legal_links(german) == [(IMPRINT, "Impressum"), (PRIVACY, "Datenschutz")] * 6


def test_one_link_alone_is_shown_alone(make_sales_app):
    client = make_sales_app(privacy_url=PRIVACY).test_client()
    assert legal_links(client.get("/").get_data(as_text=True)) == [(PRIVACY, "Privacy")]


def test_without_the_settings_there_is_no_footer_and_no_link(client, make_sales_app):
    index = client.get("/").get_data(as_text=True)
    assert "<footer" not in index and legal_links(index) == []
    demo = make_sales_app().test_client().get("/demo/alpenblick").get_data(as_text=True)
    assert 'class="legal' not in demo and legal_links(demo) == []
