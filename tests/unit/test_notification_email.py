"""A rep's notification email: the plain text as before, and an HTML alternative (multipart/alternative)
with the same facts, the call's link as a button-like link, nothing remote (no images, no tracking),
`lang` set, and a rep's text (the link label) escaped. Sent to a real SMTP server (aiosmtpd) on loopback
and read back as a mail client does."""

from __future__ import annotations

import re
from email.message import EmailMessage
from html.parser import HTMLParser

import pytest

from tests.receivers import plain_smtp, smtp_receiver
from webcall import notification_email, notification_text
from webcall.notification_send import send_email
from webcall.settings import Settings

pytestmark = pytest.mark.unit

CALL = {
    "call_id": "c-42",
    "demo": "alpenblick",
    "link_id": "L42",
    "status": "completed",
    "duration_seconds": 83,
}
CALL_URL = "https://demo.example.com/demos/calls/c-42"


class Page(HTMLParser):
    """What a mail client makes of the HTML: its tags with their attributes, and its text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.text.append(" ".join(data.split()))


def sent(settings: Settings, notice: notification_text.Notice) -> EmailMessage:
    with smtp_receiver() as (inbox, port):
        assert send_email(plain_smtp(settings, port), "rep@example.com", notice) is None
        _to, message = inbox.wait_for_one(5)
    return message


def plain(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n").rstrip("\n")


def plain_as_before(notice: notification_text.Notice) -> str:
    """The plain-text body as it always was: the text, a blank line, then each field that has a value."""
    lines = [notice.text, ""] + [f"{k}: {v}" for k, v in notice.fields.items() if v is not None]
    return "\n".join(lines)


def ended(label: str | None, call_url: str | None = CALL_URL) -> notification_text.Notice:
    return notification_text.call_notice(
        delivery_id=42,
        delivery_uid="0b7e5c1e-2f0c-4a43-9a53-5d1f0f1b8c42",
        call=CALL,
        link_label=label,
        call_url=call_url,
        prospect_lines=7,
    )


def test_the_email_has_the_plain_text_as_before_and_an_html_alternative(settings):
    notice = ended("Maria, Alpenblick")
    message = sent(settings, notice)
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert plain(message) == plain_as_before(notice)
    html = message.get_body(("html",)).get_content()
    page = Page(html)
    assert ("html", {"lang": "en"}) in page.tags
    words = " ".join(page.text)
    for fact in ("alpenblick", "Maria, Alpenblick", "completed", "1 min 23 s", "7 lines", "c-42"):
        assert fact in words, (fact, words)
    # The link as a button-like link with real text; it is the only link, and nothing is fetched.
    (button,) = [attrs for tag, attrs in page.tags if tag == "a"]
    assert button["href"] == CALL_URL and "padding" in (button.get("style") or "")
    assert "Open the call" in page.text and CALL_URL in words  # the address too, for copying
    assert not [tag for tag, _attrs in page.tags if tag in ("img", "script", "link", "iframe", "object")]
    assert not [attrs for _tag, attrs in page.tags if "src" in attrs or "background" in attrs]
    assert "url(" not in html and "http" not in html.replace(CALL_URL, "")


def test_a_label_with_markup_stays_text_in_the_html(settings):
    label = '<script>alert("x")</script> & <b>bold</b> "quoted"'
    notice = ended(label)
    message = sent(settings, notice)
    html = message.get_body(("html",)).get_content()
    page = Page(html)
    assert not [tag for tag, _attrs in page.tags if tag in ("script", "b")]
    assert label in " ".join(page.text).replace("“", "").replace("”", "")
    assert "&lt;script&gt;" in html
    assert plain(message) == plain_as_before(notice)


def test_without_a_public_address_the_html_names_the_call_and_has_no_link(settings):
    notice = ended("Maria", call_url=None)
    page = Page(sent(settings, notice).get_body(("html",)).get_content())
    assert not [tag for tag, _attrs in page.tags if tag == "a"]
    assert "the studio's Calls page, call c-42." in " ".join(page.text)


def test_the_test_email_has_an_html_alternative_too(settings):
    notice = notification_text.test_notice(5, "uid-5")
    message = sent(settings, notice)
    assert plain(message) == plain_as_before(notice)
    page = Page(message.get_body(("html",)).get_content())
    assert notice.text in " ".join(page.text)
    assert not [tag for tag, _attrs in page.tags if tag == "a"]


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_every_colour_in_the_html_is_readable_on_its_background():
    # WCAG AA for normal text: 4.5:1. The page's background is white unless an element sets its own.
    html = notification_email.html(ended("Maria"))
    checked = 0
    for style in re.findall(r'style="([^"]*)"', html):
        declared = dict(
            (name.strip(), value.strip())
            for name, _, value in (part.partition(":") for part in style.split(";"))
            if name.strip()
        )
        if "color" not in declared:
            continue
        text, ground = _luminance(declared["color"]), _luminance(declared.get("background-color", "#ffffff"))
        ratio = (max(text, ground) + 0.05) / (min(text, ground) + 0.05)
        assert ratio >= 4.5, (style, ratio)
        checked += 1
    assert checked >= 4  # the body, the button, the notes, the facts
