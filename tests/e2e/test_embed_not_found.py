"""A typo in the iframe's slug, in Chromium: the frame says so, not the browser's "refused to connect".

`/embed/acme-typo` answered 404 with `frame-ancestors 'none'`, so the frame showed Chromium's refusal
and the console named frame-ancestors, which docs/widget.md explains as a demo without allowed origins:
the site's owner went and edited the origins. Host page and fixtures are widget_site.py's (the sample
host site on http://localhost:<A> under the documented CSP, the app on http://127.0.0.1:<B>).
"""

from __future__ import annotations

from playwright.sync_api import expect

from . import widget_site
from .widget_site import Recorder, frame_messages

# The widget tests' module fixtures (the sample host site, its demos, the app serving them).
host = widget_site.host
demos_file = widget_site.demos_file
widget_app = widget_site.widget_app


def test_a_frame_with_a_slug_that_names_no_demo_says_there_is_no_such_demo(page, host, widget_app):
    rec = Recorder(page)
    with page.expect_response(lambda r: "/embed/acme-typo" in r.url) as answer:
        page.goto(f"{host}/frame/acme-typo?app={widget_app}&allow=1")  # the docs' snippet, one slug wrong
    assert answer.value.status == 404
    frame = page.frame_locator("#call-frame")
    expect(frame.locator("body")).to_contain_text("There is no such demo.")
    assert not [e for e in rec.errors if "frame-ancestors" in e], rec.errors
    # Nothing else came with it: no call UI, no script, no message to the parent.
    expect(frame.locator("itellico-call")).to_have_count(0)
    expect(frame.locator("script")).to_have_count(0)
    assert frame_messages(page) == []
