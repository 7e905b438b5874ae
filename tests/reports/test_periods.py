"""When a report is due, against a brute-force oracle: every period of a few years is listed with
the local moment its report becomes due, and the answer is the newest period already due, as long
as no later period has ended (the worker never goes back past the period just ended)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from veilleur.reports.periods import MONTHS_IN_PERIOD, period_due

ZONES = ["Europe/Paris", "America/New_York", "Pacific/Auckland", "UTC", "Asia/Kolkata"]


def all_periods(kind: str) -> list[date]:
    length = MONTHS_IN_PERIOD[kind]
    return [date(year, month, 1) for year in range(2024, 2030) for month in range(1, 13, length)]


def oracle(kind: str, now: datetime, zone: ZoneInfo, day: int, hour: int) -> date | None:
    local = now.astimezone(zone)
    periods = all_periods(kind)
    ended = []
    due = []
    for index, first in enumerate(periods[:-1]):
        following = periods[index + 1]
        if following <= local.date().replace(day=1):
            ended.append(first)
            if datetime(following.year, following.month, day, hour, tzinfo=zone) <= local:
                due.append(first)
    if not ended or not due or due[-1] != ended[-1]:
        return None
    return due[-1]


@settings(max_examples=400, deadline=None)
@given(
    kind=st.sampled_from(sorted(MONTHS_IN_PERIOD)),
    zone=st.sampled_from(ZONES),
    minutes=st.integers(min_value=0, max_value=4 * 365 * 24 * 60),
    day=st.integers(min_value=1, max_value=28),
    hour=st.integers(min_value=0, max_value=23),
)
def test_the_period_due_matches_the_oracle(kind: str, zone: str, minutes: int, day: int, hour: int) -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    assert period_due(kind, now, ZoneInfo(zone), day, hour) == oracle(kind, now, ZoneInfo(zone), day, hour)


def test_a_quarter_is_due_in_its_following_month_and_after() -> None:
    paris = ZoneInfo("Europe/Paris")
    assert period_due("quarterly", datetime(2026, 10, 1, 5, 59, tzinfo=UTC), paris, 1, 8) is None
    assert period_due("quarterly", datetime(2026, 10, 1, 6, 0, tzinfo=UTC), paris, 1, 8) == date(2026, 7, 1)
    assert period_due("quarterly", datetime(2026, 11, 20, tzinfo=UTC), paris, 1, 8) == date(2026, 7, 1)
    assert period_due("quarterly", datetime(2027, 1, 3, tzinfo=UTC), paris, 2, 8) == date(2026, 10, 1)
