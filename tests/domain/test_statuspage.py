"""A status page's words and figures: component and overall status, colour bands, and the
rolling-window figures cut from a longer account (checked minute by minute)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from veilleur.domain.accounting import (
    IncidentKind,
    IncidentRecord,
    MonitorHistory,
    Period,
    account_period,
    totals_between,
)
from veilleur.domain.statuspage import (
    ComponentFacts,
    ComponentStatus,
    UptimeBand,
    component_status,
    overall_status,
    uptime_band,
)

S = ComponentStatus
START = datetime(2026, 3, 28, tzinfo=UTC)  # spans the European DST change
MINUTES = 3 * 24 * 60


def test_component_status_follows_its_monitors() -> None:
    assert component_status(ComponentFacts(2, 0, 0, False)) is S.OPERATIONAL
    assert component_status(ComponentFacts(2, 0, 1, False)) is S.DEGRADED_PERFORMANCE
    assert component_status(ComponentFacts(2, 1, 1, False)) is S.PARTIAL_OUTAGE
    assert component_status(ComponentFacts(2, 2, 0, False)) is S.MAJOR_OUTAGE
    assert component_status(ComponentFacts(1, 1, 0, True)) is S.UNDER_MAINTENANCE
    assert component_status(ComponentFacts(0, 0, 0, False)) is S.OPERATIONAL


def test_overall_status_is_the_worst_and_a_partial_major_outage_is_partial() -> None:
    assert overall_status([]) is S.OPERATIONAL
    assert overall_status([S.OPERATIONAL, S.DEGRADED_PERFORMANCE]) is S.DEGRADED_PERFORMANCE
    assert overall_status([S.UNDER_MAINTENANCE, S.OPERATIONAL]) is S.UNDER_MAINTENANCE
    assert overall_status([S.MAJOR_OUTAGE, S.MAJOR_OUTAGE]) is S.MAJOR_OUTAGE
    assert overall_status([S.MAJOR_OUTAGE, S.OPERATIONAL]) is S.PARTIAL_OUTAGE


@given(st.lists(st.sampled_from(list(ComponentStatus)), min_size=1, max_size=8))
def test_overall_is_operational_only_when_every_component_is(statuses: list[ComponentStatus]) -> None:
    overall = overall_status(statuses)
    assert (overall is S.OPERATIONAL) == all(status is S.OPERATIONAL for status in statuses)
    assert overall in statuses or overall is S.PARTIAL_OUTAGE


def test_uptime_bands() -> None:
    assert uptime_band(None) is UptimeBand.NO_DATA
    assert uptime_band(Decimal(100)) is UptimeBand.PERFECT
    assert uptime_band(Decimal("99.999")) is UptimeBand.GOOD
    assert uptime_band(Decimal("99.9")) is UptimeBand.GOOD
    assert uptime_band(Decimal("99.899")) is UptimeBand.FAIR
    assert uptime_band(Decimal("95")) is UptimeBand.POOR
    assert uptime_band(Decimal("94.999")) is UptimeBand.BAD


def _minute(index: int) -> datetime:
    return START + timedelta(minutes=index)


spans = st.tuples(st.integers(0, MINUTES - 1), st.integers(1, 600)).map(
    lambda pair: (pair[0], min(MINUTES, pair[0] + pair[1]))
)


@settings(max_examples=120, deadline=None)
@given(
    created=st.integers(0, MINUTES // 2),
    incidents=st.lists(spans, max_size=4),
    maintenance=st.lists(spans, max_size=3),
    gaps=st.lists(spans, max_size=3),
    window=spans,
)
def test_a_window_cut_from_a_longer_account_equals_a_minute_by_minute_count(
    created: int,
    incidents: list[tuple[int, int]],
    maintenance: list[tuple[int, int]],
    gaps: list[tuple[int, int]],
    window: tuple[int, int],
) -> None:
    now = _minute(MINUTES)
    history = MonitorHistory(
        created_at=_minute(created),
        maintenance=[(_minute(a), _minute(b)) for a, b in maintenance],
        no_data_gaps=[(_minute(a), _minute(b)) for a, b in gaps],
        incidents=[
            IncidentRecord(IncidentKind.DOWN, _minute(a), _minute(a), recovered_at=_minute(b))
            for a, b in incidents
        ],
    )
    account = account_period(Period(_minute(0), now), history, now)
    monitored, downtime = totals_between(account, _minute(window[0]), _minute(window[1]))

    def inside(minute: int, intervals: list[tuple[int, int]]) -> bool:
        return any(a <= minute < b for a, b in intervals)

    expected_monitored = expected_down = 0
    for minute in range(*window):
        if minute < created or inside(minute, maintenance) or inside(minute, gaps):
            continue
        expected_monitored += 1
        expected_down += inside(minute, incidents)
    assert monitored == timedelta(minutes=expected_monitored)
    assert downtime == timedelta(minutes=expected_down)
