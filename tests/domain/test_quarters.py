"""Calendar quarters in a zone, and a quarter's accounts against its three months."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veilleur.domain.accounting import (
    IncidentKind,
    IncidentRecord,
    MonitorHistory,
    Period,
    SiteAccount,
    account_period,
    account_site,
    combine_sites,
    uptime_of,
)
from veilleur.domain.quarters import Quarter

PARIS = ZoneInfo("Europe/Paris")
ZONES = [
    ZoneInfo(name) for name in ("Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu")
]


def test_parse_and_print() -> None:
    assert Quarter.parse("2026Q3") == Quarter(2026, 3)
    assert Quarter.parse("2026-q1") == Quarter(2026, 1)
    assert str(Quarter(2026, 4)) == "2026Q4"


@pytest.mark.parametrize(
    "text", ["2026Q5", "2026Q0", "2026", "Q3", "26Q3", "2026Q3x", "2026Q\n3", " 2026Q3", "2026Q3\n"]
)
def test_parse_refuses_what_is_not_a_quarter(text: str) -> None:
    with pytest.raises(ValueError, match="quarter"):
        Quarter.parse(text)


def test_neighbours() -> None:
    assert Quarter(2026, 1).previous == Quarter(2025, 4)
    assert Quarter(2026, 3).previous == Quarter(2026, 2)
    assert Quarter(2026, 4).following == Quarter(2027, 1)
    assert Quarter(2026, 2).same_last_year == Quarter(2025, 2)
    assert Quarter(2026, 4).months == ((2026, 10), (2026, 11), (2026, 12))
    assert Quarter(2026, 4).end_day == date(2027, 1, 1)


@given(st.dates(min_value=date(1971, 1, 1), max_value=date(2998, 12, 31)))
def test_a_day_lies_in_its_quarter(day: date) -> None:
    quarter = Quarter.of(day)
    assert quarter.first_day <= day < quarter.end_day
    assert (day.year, day.month) in quarter.months


def test_a_quarter_with_a_dst_change_is_an_hour_longer_or_shorter() -> None:
    # Paris: clocks go forward on 29 March 2026 and back on 25 October 2026.
    q1, q4 = Quarter(2026, 1).period(PARIS), Quarter(2026, 4).period(PARIS)
    assert q1.start == datetime(2025, 12, 31, 23, tzinfo=UTC)
    assert q1.end == datetime(2026, 3, 31, 22, tzinfo=UTC)
    assert q1.length == timedelta(days=90) - timedelta(hours=1)
    assert q4.length == timedelta(days=92) + timedelta(hours=1)


@settings(max_examples=60)
@given(st.sampled_from(ZONES), st.integers(1971, 2998), st.integers(1, 4))
def test_the_months_tile_the_quarter(zone: ZoneInfo, year: int, number: int) -> None:
    quarter = Quarter(year, number)
    period = quarter.period(zone)
    months = quarter.month_periods(zone)
    assert months[0].start == period.start
    assert months[-1].end == period.end
    assert all(left.end == right.start for left, right in pairwise(months))
    assert quarter.previous.period(zone).end == period.start
    assert quarter.following.period(zone).start == period.end


Q4 = Quarter(2026, 4)
Q4_PERIOD = Q4.period(PARIS)
Q4_SECONDS = int(Q4_PERIOD.length.total_seconds())


@st.composite
def histories(draw: st.DrawFn) -> MonitorHistory:
    """A monitor over the fourth quarter of 2026, with outages, slowdowns, maintenance and gaps
    anywhere (across the month edges too), overlapping each other or not."""

    def span() -> tuple[datetime, datetime]:
        offset = draw(st.integers(-3 * 86_400, Q4_SECONDS))
        length = draw(st.integers(1, 5 * 86_400))
        start = Q4_PERIOD.start + timedelta(seconds=offset)
        return start, start + timedelta(seconds=length)

    incidents: list[IncidentRecord] = []
    for _ in range(draw(st.integers(0, 8))):
        start, end = span()
        ongoing = draw(st.booleans()) and not incidents
        incidents.append(
            IncidentRecord(
                draw(st.sampled_from(IncidentKind)),
                start,
                start + timedelta(seconds=30),
                recovered_at=None if ongoing else end,
            )
        )
    created = Q4_PERIOD.start + timedelta(seconds=draw(st.integers(-86_400, Q4_SECONDS // 2)))
    return MonitorHistory(
        created_at=created,
        maintenance=[span() for _ in range(draw(st.integers(0, 3)))],
        no_data_gaps=[span() for _ in range(draw(st.integers(0, 3)))],
        incidents=incidents,
    )


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(histories(), min_size=1, max_size=3), min_size=1, max_size=3), st.integers(0, 100))
def test_a_quarter_is_its_three_months_combined(sites: list[list[MonitorHistory]], now_share: int) -> None:
    """Downtime and monitored time add up over the months; the quarter's uptime is the months'
    uptime weighted by their monitored time, for each site and for the client's headline."""
    now = Q4_PERIOD.start + (Q4_PERIOD.length + timedelta(days=2)) * now_share / 100
    month_periods = Q4.month_periods(PARIS)

    def site_account(period: Period, monitors: list[MonitorHistory]) -> SiteAccount:
        return account_site(period, now, [account_period(period, history, now) for history in monitors])

    quarter_sites = [site_account(Q4_PERIOD, monitors) for monitors in sites]
    for monitors, quarter_site in zip(sites, quarter_sites, strict=True):
        months = [site_account(period, monitors) for period in month_periods]
        assert quarter_site.downtime == sum((month.downtime for month in months), timedelta(0))
        assert quarter_site.monitored == sum((month.monitored for month in months), timedelta(0))
        assert quarter_site.uptime == uptime_of(
            sum((month.monitored for month in months), timedelta(0)),
            sum((month.downtime for month in months), timedelta(0)),
        )
    quarter = combine_sites(quarter_sites)
    by_month = [combine_sites(site_account(period, h) for h in sites) for period in month_periods]
    assert quarter.downtime == sum((month.downtime for month in by_month), timedelta(0))
    assert quarter.monitored == sum((month.monitored for month in by_month), timedelta(0))
    if quarter.uptime is not None:
        weighted = sum(
            (float(m.uptime) * m.monitored.total_seconds() for m in by_month if m.uptime is not None),
            start=0.0,
        )
        assert abs(float(quarter.uptime) - weighted / quarter.monitored.total_seconds()) < 1e-9
