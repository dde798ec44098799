"""The call detail page marks the language of what was said, and only that (WCAG 3.1.2, a11y audit).

The transcript's `<ol>` carried the demo's language, so the studio's own English around each line (the
speaker labels, "First message (sent for the visitor)") was read with a German voice for a German demo.
Now each line's words carry it; the rest is the page's English.
"""

from __future__ import annotations

import re

import pytest

from .conftest import sign_in
from .test_studio_calls import a_call, talk, with_link

pytestmark = pytest.mark.unit


@pytest.fixture
def app(make_sales_app):
    return make_sales_app()


def test_each_line_is_in_the_demos_language_and_the_labels_in_the_pages(client, svc, standin):
    link = with_link(svc, "Maria at Alpenblick", "ann@example.com")  # a German demo, opened by its link
    call_id = a_call(client, "alpenblick", link.token)
    talk(standin, call_id, ("agent", "Grüß Gott, wie kann ich helfen?"), ("user", "Haben Sie eine Sauna?"))
    sign_in(client)
    html = client.get(f"/demos/calls/{call_id}").get_data(as_text=True)
    transcript = html.split('<ol class="transcript__lines"', 1)[1].split("</ol>", 1)[0]
    assert transcript.startswith(">"), transcript[:80]  # the list (and its labels) in the page's language
    said = re.findall(r'<p dir="auto" lang="(\w+)">(.*?)</p>', transcript, re.S)
    assert said == [("de", "Grüß Gott, wie kann ich helfen?"), ("de", "Haben Sie eine Sauna?")], transcript
    assert transcript.count(' lang="') == 2  # the speaker labels and times are not marked German
