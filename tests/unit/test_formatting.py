"""How the studio writes a transcript line's time (webcall/formatting.py `clock`): itellico's text is
not documented beyond "timestamp", so anything that is not an ISO time is shown as it came."""

from __future__ import annotations

import pytest

from webcall.formatting import clock

pytestmark = pytest.mark.unit


def test_an_iso_time_is_written_in_utc_and_says_so():
    assert str(clock("2026-12-05T08:37:33.125+01:00")) == (
        '<time datetime="2026-12-05T07:37:33.125000+00:00" data-local="clock">07:37:33 UTC</time>'
    )
    assert "07:37:33 UTC" in str(clock("2026-12-05T07:37:33Z"))
    assert "07:37:33 UTC" in str(clock("2026-12-05T07:37:33"))  # no offset: taken as UTC


@pytest.mark.parametrize("text", ["yesterday", "1733384253", "", "<b>x</b>"])
def test_other_text_is_shown_as_it_came(text):
    assert clock(text) == text  # a str, so the template escapes it
    assert clock(None) == ""
