"""Property-based fuzzing of the time zone a studio page sends (`tz`, webcall/formatting.py
`zone_named`): any text is a zone ZoneInfo knows, by that name, or UTC; never an exception, never a
file outside the zone directories."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from webcall.formatting import zone_named

pytestmark = pytest.mark.fuzz

# Zone-shaped text: names, paths and the characters that make them tricky.
SHAPED = st.lists(
    st.sampled_from(["Europe", "Vienna", "..", ".", "", "etc", "passwd", "UTC", "posix", "\x00", "~"]),
    max_size=5,
).map("/".join)


@settings(max_examples=500, deadline=None, database=None)
@given(st.one_of(st.text(max_size=80), SHAPED))
@example("../../../../etc/passwd")
@example("/etc/localtime")
@example("Europe/Vienna")
def test_any_zone_text_is_a_known_zone_or_utc(text):
    name, zone = zone_named(text)
    assert name in (None, text)
    if name is None:
        assert zone is UTC
    else:
        assert not name.startswith("/") and ".." not in name.split("/")
        datetime(2026, 3, 2, 12, tzinfo=zone).utcoffset()  # a zone that works
