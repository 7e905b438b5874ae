"""Wall times to instants: DST gaps shift forward to the gap's end, ambiguous times take the
earlier instant. Checked against a minute-by-minute walk over UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veilleur.domain.timezones import local_to_utc, utc_to_local

ZONES = ["Europe/Paris", "America/New_York", "America/Santiago", "Australia/Lord_Howe", "Asia/Kathmandu"]
PARIS = ZoneInfo("Europe/Paris")


def test_gap_moves_to_the_end_of_the_gap() -> None:
    # 2026-03-29: Paris clocks jump from 02:00 to 03:00.
    assert local_to_utc(datetime(2026, 3, 29, 2, 30), PARIS) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert utc_to_local(datetime(2026, 3, 29, 1, 0, tzinfo=UTC), PARIS) == datetime(2026, 3, 29, 3, 0)


def test_ambiguous_takes_the_earlier_instant() -> None:
    # 2026-10-25: Paris clocks go back from 03:00 to 02:00; 02:30 happens twice.
    assert local_to_utc(datetime(2026, 10, 25, 2, 30), PARIS) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_lord_howe_half_hour_gap() -> None:
    zone = ZoneInfo("Australia/Lord_Howe")
    # 2026-10-04: 02:00 → 02:30 local.
    instant = local_to_utc(datetime(2026, 10, 4, 2, 10), zone)
    assert utc_to_local(instant, zone) == datetime(2026, 10, 4, 2, 30)


def test_naive_and_aware_are_refused() -> None:
    with pytest.raises(ValueError):
        local_to_utc(datetime(2026, 1, 1, tzinfo=UTC), PARIS)
    with pytest.raises(ValueError):
        utc_to_local(datetime(2026, 1, 1), PARIS)


def oracle(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first UTC minute whose wall time is at or after ``wall``."""
    instant = (wall - timedelta(days=1)).replace(tzinfo=UTC)
    while utc_to_local(instant, zone) < wall:
        instant += timedelta(minutes=1)
    return instant


# Wall times near the DST changes, where mistakes live.
TRANSITION_DAYS = [
    datetime(2026, 3, 29),
    datetime(2026, 10, 25),  # Paris
    datetime(2026, 3, 8),
    datetime(2026, 11, 1),  # New York
    datetime(2026, 4, 5),
    datetime(2026, 9, 6),  # Santiago (midnight changes)
    datetime(2026, 4, 5),
    datetime(2026, 10, 4),  # Lord Howe (30-minute changes)
]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(ZONES), st.sampled_from(TRANSITION_DAYS), st.integers(-180, 60 * 27))
def test_local_to_utc_matches_minute_walk(zone_name: str, day: datetime, minutes: int) -> None:
    zone = ZoneInfo(zone_name)
    wall = day + timedelta(minutes=minutes)
    assert local_to_utc(wall, zone) == oracle(wall, zone)
