"""Maintenance window occurrences in UTC, recurring by wall time in the client's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from veilleur.domain.maintenance import WindowRule, covers, merge, occurrences

PARIS = ZoneInfo("Europe/Paris")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_one_off_window() -> None:
    rule = WindowRule(datetime(2026, 11, 3, 22, 0), timedelta(hours=1), PARIS)
    assert occurrences(rule, utc(2026, 11, 1), utc(2026, 12, 1)) == [
        (utc(2026, 11, 3, 21), utc(2026, 11, 3, 22))
    ]
    assert occurrences(rule, utc(2026, 11, 4), utc(2026, 12, 1)) == []


def test_weekly_window_keeps_its_wall_time_across_dst() -> None:
    rule = WindowRule(datetime(2026, 10, 13, 22, 0), timedelta(minutes=30), PARIS, "FREQ=WEEKLY;BYDAY=TU")
    starts = [begins for begins, _ in occurrences(rule, utc(2026, 10, 12), utc(2026, 11, 5))]
    # 22:00 Paris is 20:00 UTC in summer time and 21:00 UTC after 25 October.
    assert starts == [
        utc(2026, 10, 13, 20),
        utc(2026, 10, 20, 20),
        utc(2026, 10, 27, 21),
        utc(2026, 11, 3, 21),
    ]


def test_window_overlapping_the_range_start_is_included() -> None:
    rule = WindowRule(datetime(2026, 11, 30, 23, 30), timedelta(hours=2), PARIS, "FREQ=DAILY;COUNT=3")
    found = occurrences(rule, utc(2026, 12, 1), utc(2026, 12, 2))
    assert found[0] == (utc(2026, 11, 30, 22, 30), utc(2026, 12, 1, 0, 30))
    assert len(found) == 2


def test_start_in_dst_gap_begins_when_gap_ends() -> None:
    rule = WindowRule(datetime(2026, 3, 29, 2, 30), timedelta(minutes=60), PARIS)
    assert occurrences(rule, utc(2026, 3, 28), utc(2026, 3, 30)) == [
        (utc(2026, 3, 29, 1), utc(2026, 3, 29, 2))
    ]


def test_merge_and_covers() -> None:
    merged = merge([(utc(2026, 1, 1, 2), utc(2026, 1, 1, 3)), (utc(2026, 1, 1, 1), utc(2026, 1, 1, 2, 30))])
    assert merged == [(utc(2026, 1, 1, 1), utc(2026, 1, 1, 3))]
    assert covers(merged, utc(2026, 1, 1, 2, 59)) and not covers(merged, utc(2026, 1, 1, 3))


def test_zero_duration_is_refused() -> None:
    with pytest.raises(ValueError):
        occurrences(WindowRule(datetime(2026, 1, 1), timedelta(0), PARIS), utc(2026, 1, 1), utc(2026, 1, 2))
