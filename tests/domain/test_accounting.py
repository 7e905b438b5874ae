"""Period accounts (DESIGN.md §5): monitored time, downtime, uptime, coverage and what follows."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veilleur.domain.accounting import (
    BlipRecord,
    IncidentKind,
    IncidentRecord,
    MonitorHistory,
    Period,
    PeriodAccount,
    account_period,
    account_site,
    combine_sites,
    daily_breakdown,
    duration_stats,
    percent_rounded_down,
    shown_seconds,
    site_days,
    site_totals_between,
)
from veilleur.domain.maintenance import Interval
from veilleur.domain.plans import DEFAULT_PLANS
from veilleur.domain.sla import SlaOutcome

PARIS = ZoneInfo("Europe/Paris")
PREMIUM = next(plan for plan in DEFAULT_PLANS if plan.key == "premium")
NOVEMBER = Period.month(2026, 11, PARIS)  # 2026-10-31 23:00 UTC to 2026-11-30 23:00 UTC
AFTER_NOVEMBER = datetime(2026, 12, 2, tzinfo=UTC)
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
minute = timedelta(minutes=1)
hour = timedelta(hours=1)
day = timedelta(days=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def down(
    first_failed_at: datetime,
    lasts: timedelta | None,
    *,
    acknowledged_at: datetime | None = None,
    sla_due_at: datetime | None = None,
) -> IncidentRecord:
    """A DOWN incident confirmed a minute after its first failure; ``lasts`` None: still ongoing."""
    return IncidentRecord(
        IncidentKind.DOWN,
        first_failed_at,
        first_failed_at + minute,
        acknowledged_at=acknowledged_at,
        recovered_at=None if lasts is None else first_failed_at + lasts,
        sla_due_at=sla_due_at,
    )


def november(history: MonitorHistory, now: datetime = AFTER_NOVEMBER) -> PeriodAccount:
    return account_period(
        NOVEMBER,
        history,
        now,
        uptime_target_percent=PREMIUM.uptime_target_percent,
        credit_steps=PREMIUM.service_credits,
    )


# --- The golden month -------------------------------------------------------------------------


def test_golden_november() -> None:
    """November 2026 in Paris has no DST change: 30 × 86,400 = 2,592,000 s.

    A 30-minute maintenance window (1,800 s) and a 10-minute no-data gap (600 s) are not monitored:
    monitored = 2,592,000 − 1,800 − 600 = 2,589,600 s.
    Two outages of 7 and 6 minutes outside them: downtime = 420 + 360 = 780 s.
    uptime = 1 − 780 / 2,589,600 = 1 − 1/3,320 = 3,319/3,320 = 99.96987951…% → shown 99.969 %.
    coverage = 2,589,600 / 2,592,000 = 1,079/1,080 = 99.90740…% → shown 99.907 %.
    Premium's 99.9 % target allows 0.1 % of 2,589,600 s = 2,589.6 s; 780 s is 30.1204…% of it →
    shown 30.121 % (rounded up). 99.969 is not below 99.9: no credit.
    """
    history = MonitorHistory(
        created_at=LONG_AGO,
        maintenance=[(utc(2026, 11, 10, 21), utc(2026, 11, 10, 21, 30))],
        no_data_gaps=[(utc(2026, 11, 20, 3), utc(2026, 11, 20, 3, 10))],
        incidents=[down(utc(2026, 11, 4, 9, 12), 7 * minute), down(utc(2026, 11, 17, 14), 6 * minute)],
    )
    account = november(history)
    assert NOVEMBER.length == timedelta(seconds=2_592_000)
    assert account.monitored_seconds == Decimal(2_589_600)
    assert account.downtime_seconds == Decimal(780)
    assert account.uptime == Fraction(3319, 3320)
    assert account.uptime_percent == Decimal("99.969")
    assert account.coverage == Fraction(1079, 1080)
    assert account.coverage_percent == Decimal("99.907")
    assert account.allowed_downtime == timedelta(seconds=2589, microseconds=600_000)
    assert account.budget_used == Fraction(780 * 10, 25896)
    assert account.budget_used_percent == Decimal("30.121")
    assert account.service_credit_percent == 0
    assert account.incident_count == 2 and account.blip_count == 0


# --- Months with a DST change -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "hours"), [(10, 745), (3, 743), (11, 720)], ids=["october", "march", "november"]
)
def test_month_length_follows_dst(month: int, hours: int) -> None:
    period = Period.month(2026, month, PARIS)
    assert period.length == timedelta(hours=hours)
    account = account_period(period, MonitorHistory(created_at=LONG_AGO), utc(2027, 1, 1))
    assert account.monitored == timedelta(hours=hours)
    assert account.uptime_percent == Decimal("100.000") and account.coverage == 1


def test_december_rolls_into_next_year() -> None:
    assert Period.month(2026, 12, PARIS) == Period(utc(2026, 11, 30, 23), utc(2026, 12, 31, 23))


def test_daily_breakdown_over_a_dst_month() -> None:
    october = Period.month(2026, 10, PARIS)
    history = MonitorHistory(created_at=LONG_AGO, incidents=[down(utc(2026, 10, 25, 0, 30), hour)])
    days = daily_breakdown(account_period(october, history, utc(2026, 11, 5)), PARIS)
    assert [d.day for d in days] == [date(2026, 10, n) for n in range(1, 32)]
    change = days[24]
    assert change.monitored == 25 * hour  # the clocks went back: a 25-hour day
    assert change.downtime == hour and change.uptime == Fraction(24, 25)
    assert all(d.uptime == 1 for d in days if d is not change)
    assert sum((d.monitored for d in days), timedelta(0)) == 745 * hour


# --- The rules one by one ---------------------------------------------------------------------


def test_downtime_inside_maintenance_is_not_counted() -> None:
    history = MonitorHistory(
        created_at=LONG_AGO,
        maintenance=[(utc(2026, 11, 5, 22), utc(2026, 11, 5, 23))],
        incidents=[down(utc(2026, 11, 5, 22, 30), hour)],  # 22:30–23:30, half of it in maintenance
    )
    account = november(history)
    assert account.downtime == 30 * minute
    assert account.downtime_intervals == ((utc(2026, 11, 5, 23), utc(2026, 11, 5, 23, 30)),)
    assert account.monitored == NOVEMBER.length - hour


def test_overlapping_exclusions_and_incidents_are_counted_once() -> None:
    history = MonitorHistory(
        created_at=LONG_AGO,
        paused=[(utc(2026, 11, 5, 10), utc(2026, 11, 5, 12))],
        maintenance=[(utc(2026, 11, 5, 11), utc(2026, 11, 5, 13))],
        no_data_gaps=[(utc(2026, 11, 5, 12, 30), utc(2026, 11, 5, 14))],
        incidents=[down(utc(2026, 11, 6, 1), 2 * hour), down(utc(2026, 11, 6, 2), 2 * hour)],
    )
    account = november(history)
    assert account.monitored == NOVEMBER.length - 4 * hour
    assert account.downtime == 3 * hour


def test_ongoing_incident_runs_until_now() -> None:
    now = utc(2026, 11, 15, 12)
    history = MonitorHistory(created_at=LONG_AGO, incidents=[down(utc(2026, 11, 15, 11, 15), None)])
    account = november(history, now)
    assert account.downtime == 45 * minute
    assert account.monitored == now - NOVEMBER.start
    assert account.elapsed == now - NOVEMBER.start and account.coverage == 1
    assert account.mttr is None


def test_monitor_created_mid_month() -> None:
    created = utc(2026, 11, 15, 23)  # midnight, 16 November, in Paris
    history = MonitorHistory(created_at=created, incidents=[down(utc(2026, 11, 16, 8), 10 * minute)])
    account = november(history)
    assert account.monitored == 15 * day
    assert account.coverage == Fraction(1, 2)
    assert account.uptime == 1 - Fraction(10, 15 * 24 * 60)
    days = daily_breakdown(account, PARIS)
    assert days[14].monitored == timedelta(0) and days[14].uptime is None and days[14].coverage == 0
    assert days[15].monitored == day and days[15].downtime == 10 * minute


def test_monitor_deleted_mid_month() -> None:
    history = MonitorHistory(created_at=LONG_AGO, ended_at=utc(2026, 11, 10, 23))
    assert november(history).monitored == 10 * day


def test_paused_week_is_excluded() -> None:
    history = MonitorHistory(created_at=LONG_AGO, paused=[(utc(2026, 11, 8, 23), utc(2026, 11, 15, 23))])
    account = november(history)
    assert account.monitored == 23 * day
    assert account.coverage == Fraction(23, 30)
    assert account.uptime_percent == Decimal("100.000")


def test_degraded_incident_is_never_downtime() -> None:
    slow = IncidentRecord(IncidentKind.DEGRADED, utc(2026, 11, 3, 9), utc(2026, 11, 3, 9, 1))
    account = november(MonitorHistory(created_at=LONG_AGO, incidents=[slow]))
    assert account.downtime == timedelta(0) and account.uptime == 1
    assert account.incident_count == 1 and account.down_incident_count == 0


def test_nothing_monitored_is_not_applicable() -> None:
    history = MonitorHistory(created_at=LONG_AGO, paused=[(utc(2026, 10, 1), utc(2026, 12, 5))])
    account = november(history)
    assert account.monitored == timedelta(0) and account.coverage == 0
    assert account.uptime is None and account.uptime_percent is None
    assert account.service_credit_percent is None and account.budget_used is None


def test_period_not_begun_has_no_coverage() -> None:
    account = november(MonitorHistory(created_at=LONG_AGO), now=utc(2026, 10, 1))
    assert account.uptime is None and account.coverage is None


def test_any_downtime_keeps_uptime_below_100() -> None:
    history = MonitorHistory(created_at=LONG_AGO, incidents=[down(utc(2026, 11, 3), timedelta(seconds=1))])
    assert november(history).uptime_percent == Decimal("99.999")


def test_percent_rounds_down() -> None:
    assert percent_rounded_down(Fraction(999_999, 1_000_000)) == Decimal("99.999")
    assert percent_rounded_down(Fraction(2, 3)) == Decimal("66.666")
    assert percent_rounded_down(Fraction(1)) == Decimal("100.000")


def test_blips_and_incidents_overlapping_the_period_are_listed() -> None:
    history = MonitorHistory(
        created_at=LONG_AGO,
        incidents=[
            down(utc(2026, 10, 31, 22, 50), 20 * minute),  # began in October, Paris time
            down(utc(2026, 10, 20), hour),  # October only
        ],
        blips=[
            BlipRecord(utc(2026, 10, 31, 22, 59), utc(2026, 10, 31, 23, 0, 30)),
            BlipRecord(utc(2026, 11, 30, 22, 59, 50), utc(2026, 11, 30, 23, 0, 20)),
            BlipRecord(utc(2026, 11, 30, 23), utc(2026, 11, 30, 23, 1)),  # December in Paris
        ],
    )
    account = november(history)
    assert account.incident_count == 1 and account.blip_count == 2
    assert account.downtime == 10 * minute  # only its November part


# --- MTTA, MTTR and the response SLA ----------------------------------------------------------


def test_duration_statistics() -> None:
    minutes = [timedelta(minutes=n) for n in (7, 1, 10, 3, 2, 9, 4, 8, 6, 5)]
    stats = duration_stats(minutes)
    assert stats is not None
    assert (stats.count, stats.mean_seconds, stats.median_seconds) == (10, 330.0, 330.0)
    assert stats.p90_seconds == 540.0  # nearest rank: the 9th of 10
    odd = duration_stats([minute, 3 * minute, 20 * minute])
    assert odd is not None and odd.median_seconds == 180.0 and odd.p90_seconds == 1200.0
    assert duration_stats([]) is None


def test_mtta_and_mttr_use_only_acknowledged_and_recovered_incidents() -> None:
    start = utc(2026, 11, 10, 8)
    history = MonitorHistory(
        created_at=LONG_AGO,
        incidents=[
            down(start, 10 * minute, acknowledged_at=start + 5 * minute),  # ack 4 min after confirmation
            down(start + day, 20 * minute, acknowledged_at=start + day + 9 * minute),  # 8 min
            down(start + 2 * day, 30 * minute),  # never acknowledged
            down(AFTER_NOVEMBER - 2 * day, None, acknowledged_at=AFTER_NOVEMBER - 2 * day + 13 * minute),
        ],
    )
    account = november(history)
    assert account.mtta is not None and account.mttr is not None
    assert account.mtta.count == 3 and account.mtta.mean_seconds == 8 * 60
    assert account.mtta.median_seconds == 8 * 60 and account.mtta.p90_seconds == 12 * 60
    assert account.mttr.count == 3 and account.mttr.mean_seconds == 20 * 60
    assert november(MonitorHistory(created_at=LONG_AGO)).mtta is None


def test_mtta_ignores_an_acknowledgement_after_the_recovery() -> None:
    """A 3 a.m. outage healed in 5 minutes and acknowledged at 7 a.m. says nothing of response time."""
    start = utc(2026, 11, 10, 2)
    history = MonitorHistory(
        created_at=LONG_AGO,
        incidents=[
            down(start, 5 * minute, acknowledged_at=start + 4 * hour),  # after the recovery: not counted
            down(start + day, 20 * minute, acknowledged_at=start + day + 3 * minute),  # 2 min
            down(start + 2 * day, 10 * minute, acknowledged_at=start + 2 * day + 10 * minute),  # at recovery
        ],
    )
    account = november(history)
    assert account.mtta is not None
    assert account.mtta.count == 2 and account.mtta.mean_seconds == (2 + 9) * 60 / 2
    late_only = MonitorHistory(created_at=LONG_AGO, incidents=[history.incidents[0]])
    assert november(late_only).mtta is None


@st.composite
def acknowledged_incidents(draw: st.DrawFn) -> list[IncidentRecord]:
    start = utc(2026, 11, 3)
    incidents = []
    for index in range(draw(st.integers(0, 6))):
        first_failed_at = start + index * day + draw(st.integers(0, 3600)) * timedelta(seconds=1)
        lasts = draw(st.none() | st.integers(60, 4 * 3600).map(lambda s: timedelta(seconds=s)))
        ack_after = draw(st.none() | st.integers(0, 5 * 3600).map(lambda s: timedelta(seconds=s)))
        confirmed_at = first_failed_at + minute
        incidents.append(
            IncidentRecord(
                draw(st.sampled_from(list(IncidentKind))),
                first_failed_at,
                confirmed_at,
                acknowledged_at=None if ack_after is None else confirmed_at + ack_after,
                recovered_at=None if lasts is None else first_failed_at + lasts,
            )
        )
    return incidents


@given(acknowledged_incidents())
@settings(max_examples=200, deadline=None)
def test_mtta_counts_the_acknowledgements_that_stopped_the_clock(incidents: list[IncidentRecord]) -> None:
    """Oracle: an acknowledgement counts when there was no recovery yet (none, or a later one)."""
    account = november(
        MonitorHistory(created_at=LONG_AGO, incidents=incidents), now=AFTER_NOVEMBER + 30 * day
    )
    expected = [
        (i.acknowledged_at - i.confirmed_at).total_seconds()
        for i in incidents
        if i.acknowledged_at is not None and (i.recovered_at is None or i.acknowledged_at <= i.recovered_at)
    ]
    if not expected:
        assert account.mtta is None
        return
    assert account.mtta is not None
    assert account.mtta.count == len(expected)
    assert account.mtta.mean_seconds == pytest.approx(sum(expected) / len(expected))
    assert account.mtta.median_seconds == pytest.approx(statistics.median(expected))


def test_sla_outcomes_are_counted() -> None:
    now = utc(2026, 11, 20, 12)
    start = utc(2026, 11, 10, 8)
    history = MonitorHistory(
        created_at=LONG_AGO,
        incidents=[
            down(start, hour, acknowledged_at=start + 10 * minute, sla_due_at=start + 31 * minute),
            down(start + day, hour, acknowledged_at=start + day + hour, sla_due_at=start + day + 31 * minute),
            down(start + 2 * day, 5 * minute, sla_due_at=start + 2 * day + 31 * minute),
            down(now - 10 * minute, None, sla_due_at=now + 21 * minute),
            down(start + 3 * day, 5 * minute),
        ],
    )
    account = november(history, now)
    assert account.sla_outcomes == (
        SlaOutcome.MET,
        SlaOutcome.BREACHED,
        SlaOutcome.MET_RECOVERED,
        SlaOutcome.NONE,
        SlaOutcome.PENDING,
    )
    assert account.sla_counts == {
        SlaOutcome.NONE: 1,
        SlaOutcome.PENDING: 1,
        SlaOutcome.MET: 1,
        SlaOutcome.MET_RECOVERED: 1,
        SlaOutcome.BREACHED: 1,
    }


# --- Service credits and the downtime budget --------------------------------------------------


@pytest.mark.parametrize(
    ("outage", "credit"),
    [
        (timedelta(seconds=2592), 0),  # exactly 99.9 %: not below the target
        (timedelta(seconds=2593), 10),
        (timedelta(hours=7, minutes=12), 10),  # exactly 99.0 %
        (timedelta(hours=7, minutes=13), 25),
        (timedelta(hours=36), 25),  # exactly 95.0 %
        (timedelta(hours=36, seconds=1), 50),  # 94.99996 %, shown 94.999 %
    ],
)
def test_credit_steps(outage: timedelta, credit: int) -> None:
    account = november(MonitorHistory(created_at=LONG_AGO, incidents=[down(utc(2026, 11, 12), outage)]))
    assert account.service_credit_percent == credit


def test_no_target_means_no_credit_and_no_budget() -> None:
    history = MonitorHistory(created_at=LONG_AGO, incidents=[down(utc(2026, 11, 12), day)])
    account = account_period(NOVEMBER, history, AFTER_NOVEMBER)
    assert account.service_credit_percent is None
    assert account.allowed_downtime is None and account.budget_used is None


def test_budget_exhausted() -> None:
    history = MonitorHistory(
        created_at=LONG_AGO, incidents=[down(utc(2026, 11, 12), timedelta(seconds=5184))]
    )
    account = november(history)
    assert account.allowed_downtime == timedelta(seconds=2592)
    assert account.budget_used == 2 and account.budget_used_percent == Decimal("200.000")


# --- Several monitors -------------------------------------------------------------------------


def test_combine_sites_is_time_weighted() -> None:
    whole_month = november(MonitorHistory(created_at=LONG_AGO, incidents=[down(utc(2026, 11, 3), hour)]))
    last_week = november(
        MonitorHistory(
            created_at=utc(2026, 11, 23, 23), blips=[BlipRecord(utc(2026, 11, 25), utc(2026, 11, 25, 0, 1))]
        )
    )
    client = combine_sites(
        [
            account_site(NOVEMBER, AFTER_NOVEMBER, [whole_month]),
            account_site(NOVEMBER, AFTER_NOVEMBER, [last_week]),
        ]
    )
    assert client.monitors == 2
    assert client.monitored == 37 * day and client.downtime == hour
    assert client.uptime == 1 - Fraction(1, 37 * 24)
    assert client.coverage == Fraction(37, 60)
    assert client.incident_count == 1 and client.blip_count == 1
    nothing = combine_sites([])
    assert nothing.uptime is None and nothing.coverage is None


# --- Against a second-by-second oracle --------------------------------------------------------

BASE = utc(2026, 11, 10, 6)
DOWN = IncidentKind.DOWN
Spans = list[tuple[int, int]]  # [start, end) in seconds from the period's start
IncidentDraw = tuple[IncidentKind, int, int | None]  # kind, first failure, duration (None: ongoing)
Scenario = tuple[int, int, int | None, int, dict[str, Spans], list[IncidentDraw]]


def at(offset: int) -> datetime:
    return BASE + timedelta(seconds=offset)


@st.composite
def intervals(draw: st.DrawFn, length: int, most: int = 3) -> Spans:
    starts = st.integers(-1800, length + 1800)
    spans = st.integers(0, 2700)
    return [(s, s + d) for s, d in draw(st.lists(st.tuples(starts, spans), max_size=most))]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    length = draw(st.integers(2 * 3600, 6 * 3600))
    # Half the draws watch the whole period, so most examples have monitored time to account.
    created = draw(st.just(-1) | st.integers(-3600, length))
    ended = draw(st.none() | st.integers(created, length + 3600))
    now = draw(st.just(length + 1) | st.integers(-600, length + 3600))
    excluded = {name: draw(intervals(length)) for name in ("paused", "maintenance", "gaps")}
    incidents = draw(
        st.lists(
            st.tuples(
                st.sampled_from(IncidentKind),
                st.integers(-3600, length + 600),
                st.none() | st.integers(1, 7200),
            ),
            max_size=5,
        )
    )
    return length, created, ended, now, excluded, incidents


def oracle(
    length: int,
    created: int,
    ended: int | None,
    now: int,
    excluded: dict[str, Spans],
    incidents: list[IncidentDraw],
) -> tuple[int, int]:
    """Walk every second of the period and classify it (ignored, excluded, monitored, down)."""

    def inside(spans: Spans, second: int) -> bool:
        return any(begins <= second < ends for begins, ends in spans)

    down_spans = [
        (ff, now if lasts is None else ff + lasts) for kind, ff, lasts in incidents if kind == "down"
    ]
    every_exclusion = [span for spans in excluded.values() for span in spans]
    monitored = downtime = 0
    for second in range(length):
        if second < created or (ended is not None and second >= ended) or second >= now:
            continue
        if inside(every_exclusion, second):
            continue
        monitored += 1
        downtime += inside(down_spans, second)
    return monitored, downtime


def as_utc(spans: Spans) -> list[Interval]:
    return [(at(begins), at(ends)) for begins, ends in spans]


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_matches_the_second_by_second_oracle(scenario: Scenario) -> None:
    length, created, ended, now, excluded, incidents = scenario
    history = MonitorHistory(
        created_at=at(created),
        ended_at=None if ended is None else at(ended),
        paused=as_utc(excluded["paused"]),
        maintenance=as_utc(excluded["maintenance"]),
        no_data_gaps=as_utc(excluded["gaps"]),
        incidents=[
            IncidentRecord(kind, at(ff), at(ff), recovered_at=None if lasts is None else at(ff + lasts))
            for kind, ff, lasts in incidents
        ],
    )
    account = account_period(Period(at(0), at(length)), history, at(now), uptime_target_percent=Decimal(99))
    monitored, downtime = oracle(length, created, ended, now, excluded, incidents)
    assert account.monitored == timedelta(seconds=monitored)
    assert account.downtime == timedelta(seconds=downtime)
    if downtime > 0:
        assert account.uptime_percent is not None and account.uptime_percent < 100
    assert account.coverage is None or 0 <= account.coverage <= 1
    assert (account.uptime is None) == (monitored == 0)
    days = daily_breakdown(account, PARIS)
    assert sum((d.monitored for d in days), timedelta(0)) == account.monitored
    assert sum((d.downtime for d in days), timedelta(0)) == account.downtime


# --- A site: the union of its monitors, against a second-by-second oracle ----------------------

MonitorDraw = tuple[int, dict[str, Spans], list[IncidentDraw]]  # created, exclusions, incidents


@st.composite
def monitor_draws(draw: st.DrawFn, length: int) -> MonitorDraw:
    created = draw(st.just(-1) | st.integers(-3600, length))
    excluded = {name: draw(intervals(length, most=2)) for name in ("maintenance", "gaps")}
    incidents = draw(
        st.lists(
            st.tuples(
                st.sampled_from(IncidentKind),
                st.integers(-1800, length + 600),
                st.none() | st.integers(1, 5400),
            ),
            max_size=3,
        )
    )
    return created, excluded, incidents


@st.composite
def sites(draw: st.DrawFn) -> tuple[int, int, list[MonitorDraw]]:
    length = draw(st.integers(3600, 4 * 3600))
    now = draw(st.just(length + 1) | st.integers(0, length + 3600))
    return length, now, draw(st.lists(monitor_draws(length), min_size=1, max_size=3))


def site_oracle(length: int, now: int, monitors: list[MonitorDraw]) -> tuple[int, int]:
    """Per second: monitored when any monitor is monitored; down when any monitored monitor is
    inside one of its own DOWN incidents."""

    def inside(spans: Spans, second: int) -> bool:
        return any(begins <= second < ends for begins, ends in spans)

    monitored = downtime = 0
    for second in range(min(length, max(now, 0))):
        watching = [
            incidents
            for created, excluded, incidents in monitors
            if second >= created and not inside([s for spans in excluded.values() for s in spans], second)
        ]
        if not watching:
            continue
        monitored += 1
        downtime += any(
            inside(
                [(ff, now if lasts is None else ff + lasts) for kind, ff, lasts in incidents if kind == DOWN],
                second,
            )
            for incidents in watching
        )
    return monitored, downtime


def site_accounts(length: int, now: int, monitors: list[MonitorDraw]) -> list[PeriodAccount]:
    period = Period(at(0), at(length))
    return [
        account_period(
            period,
            MonitorHistory(
                created_at=at(created),
                maintenance=as_utc(excluded["maintenance"]),
                no_data_gaps=as_utc(excluded["gaps"]),
                incidents=[
                    IncidentRecord(
                        kind, at(ff), at(ff), recovered_at=None if lasts is None else at(ff + lasts)
                    )
                    for kind, ff, lasts in incidents
                ],
            ),
            at(now),
        )
        for created, excluded, incidents in monitors
    ]


@settings(max_examples=150, deadline=None)
@given(sites())
def test_a_site_matches_the_second_by_second_oracle(site_draw: tuple[int, int, list[MonitorDraw]]) -> None:
    length, now, monitors = site_draw
    accounts = site_accounts(length, now, monitors)
    site = account_site(Period(at(0), at(length)), at(now), accounts)
    monitored, downtime = site_oracle(length, now, monitors)
    assert site.monitored == timedelta(seconds=monitored)
    assert site.downtime == timedelta(seconds=downtime)
    assert (site.uptime is None) == (monitored == 0)
    if downtime:
        assert site.uptime_percent is not None and site.uptime_percent < 100
    # The incidents' counted durations add up to the downtime plus the overlap counted once.
    counted = sum((part for _incident, part in site.incident_downtime), timedelta(0))
    assert counted - site.overlap == site.downtime and site.overlap >= timedelta(0)
    days = site_days(site, PARIS)
    assert sum((d.monitored for d in days), timedelta(0)) == site.monitored
    assert sum((d.downtime for d in days), timedelta(0)) == site.downtime
    monitored_between, down_between = site_totals_between(site, at(0), at(length))
    assert (monitored_between, down_between) == (site.monitored, site.downtime)


def test_a_site_is_down_while_any_monitor_is_down() -> None:
    """The home page down 25 minutes, the shop watched beside it all month: the site shows those
    25 minutes, not half of them as a time-weighted mean of its two monitors would."""
    home = november(MonitorHistory(created_at=LONG_AGO, incidents=[down(utc(2026, 11, 3, 16), 25 * minute)]))
    shop = november(MonitorHistory(created_at=LONG_AGO))
    site = account_site(NOVEMBER, AFTER_NOVEMBER, [home, shop])
    assert site.downtime == 25 * minute
    assert site.monitored == NOVEMBER.length
    assert site.uptime == 1 - Fraction(25, 30 * 24 * 60)
    mean_of_monitors = (1 - home.downtime / home.monitored + 1 - shop.downtime / shop.monitored) / 2
    assert (
        site.uptime is not None and float(site.uptime) < mean_of_monitors
    )  # the softer figure a mean of monitors would give


def test_overlapping_incidents_of_a_site_count_once() -> None:
    home = november(MonitorHistory(created_at=LONG_AGO, incidents=[down(utc(2026, 11, 3, 16), 20 * minute)]))
    shop = november(
        MonitorHistory(created_at=LONG_AGO, incidents=[down(utc(2026, 11, 3, 16, 10), 20 * minute)])
    )
    site = account_site(NOVEMBER, AFTER_NOVEMBER, [home, shop])
    assert [part for _incident, part in site.incident_downtime] == [20 * minute, 20 * minute]
    assert site.downtime == 30 * minute and site.overlap == 10 * minute


def test_client_headline_is_time_weighted_over_sites() -> None:
    one = account_site(
        NOVEMBER,
        AFTER_NOVEMBER,
        [november(MonitorHistory(created_at=LONG_AGO, incidents=[down(utc(2026, 11, 3), hour)]))],
    )
    other = account_site(
        NOVEMBER, AFTER_NOVEMBER, [november(MonitorHistory(created_at=utc(2026, 11, 23, 23)))]
    )
    client = combine_sites([one, other])
    assert client.monitored == one.monitored + other.monitored
    assert client.downtime == hour and client.uptime == 1 - Fraction(1, 37 * 24)


@given(st.lists(st.integers(0, 10**10), max_size=8))
def test_shown_seconds_add_up_to_the_shown_total(micros: list[int]) -> None:
    durations = [timedelta(microseconds=m) for m in micros]
    shown = shown_seconds(durations)
    total = sum(durations, timedelta(0))
    assert sum(shown) == int(total.total_seconds() // 1) == total // timedelta(seconds=1)
    for exact, printed in zip(durations, shown, strict=True):
        assert abs(printed - exact.total_seconds()) < 1
