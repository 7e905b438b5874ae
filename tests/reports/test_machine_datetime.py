"""Moments in ``<time datetime>``: to the second with their offset, as HTML accepts them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from veilleur.reports.formatting import machine_datetime

# HTML's "valid global date and time string" with at most three fraction digits.
HTML_GLOBAL_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$")
PARIS = ZoneInfo("Europe/Paris")


def test_microseconds_are_dropped_and_the_offset_kept() -> None:
    moment = datetime(2026, 11, 18, 1, 29, 11, 623000, tzinfo=UTC)
    assert machine_datetime(moment, PARIS) == "2026-11-18T02:29:11+01:00"


@given(st.datetimes(timezones=st.just(UTC), min_value=datetime(1970, 1, 2), max_value=datetime(9998, 12, 30)))
def test_any_moment_is_a_valid_html_datetime_of_the_same_second(moment: datetime) -> None:
    shown = machine_datetime(moment, PARIS)
    assert HTML_GLOBAL_DATETIME.match(shown), shown
    assert datetime.fromisoformat(shown) == moment.replace(microsecond=0)
