"""The page's figures are the accounting engine's, on the same facts (DESIGN.md §5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.statuspages.conftest import PageWorld, open_incident
from veilleur.clients.models import MaintenanceWindow
from veilleur.domain.accounting import (
    IncidentKind,
    IncidentRecord,
    MonitorHistory,
    Period,
    account_period,
)
from veilleur.domain.statuspage import ComponentStatus, UptimeBand
from veilleur.monitoring.models import Monitor, NoDataGap
from veilleur.statuspages.data import page_data

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)  # the page's 90 days span the end of DST (25 Oct)
CREATED = datetime(2026, 7, 1, tzinfo=UTC)


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def history(world: PageWorld) -> PageWorld:
    Monitor.objects.filter(site__client=world.page.client).update(created_at=CREATED)
    open_incident(world.shop_monitor, _utc(2026, 10, 25, 0, 30), recovered=_utc(2026, 10, 25, 1, 10))
    open_incident(world.shop_monitor, _utc(2026, 11, 2, 9, 0))  # ongoing at NOW
    NoDataGap.objects.create(
        monitor=world.shop_monitor, started_at=_utc(2026, 10, 1, 3), ended_at=_utc(2026, 10, 1, 5)
    )
    MaintenanceWindow.objects.create(
        client=world.page.client,
        key="nightly",
        title="Nightly backup",
        start_date=date(2026, 8, 1),
        start_time=time(3, 0),
        duration_minutes=15,
        rrule="FREQ=DAILY",
    )
    return world


def _engine(window_start: datetime) -> Period:
    return Period(window_start, NOW)


def test_rolling_uptime_equals_the_engine_on_that_window(history: PageWorld) -> None:
    data = page_data(history.page, NOW)
    shop = data.components[0]
    facts = MonitorHistory(
        created_at=CREATED,
        maintenance=[
            (datetime.combine(day, time(3, 0), PARIS), datetime.combine(day, time(3, 15), PARIS))
            for day in (date(2026, 8, 1) + timedelta(days=n) for n in range(100))
        ],
        no_data_gaps=[(_utc(2026, 10, 1, 3), _utc(2026, 10, 1, 5))],
        incidents=[
            IncidentRecord(
                IncidentKind.DOWN,
                _utc(2026, 10, 25, 0, 30),
                _utc(2026, 10, 25, 0, 30, 30),
                recovered_at=_utc(2026, 10, 25, 1, 10),
            ),
            IncidentRecord(IncidentKind.DOWN, _utc(2026, 11, 2, 9, 0), _utc(2026, 11, 2, 9, 0, 30)),
        ],
    )
    for label, length in (
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("30d", timedelta(days=30)),
        ("90d", timedelta(days=90)),
    ):
        expected = account_period(_engine(NOW - length), facts, NOW).uptime_percent
        assert shop.uptime[label] == expected, label
    assert shop.uptime["24h"] is not None and shop.uptime["24h"] < 100
    assert data.components[1].uptime["90d"] == 100


def test_ninety_local_day_bars_with_the_outages_of_each_day(history: PageWorld) -> None:
    shop = page_data(history.page, NOW).components[0]
    assert len(shop.days) == 90
    assert shop.days[-1].day == date(2026, 11, 2) and shop.days[0].day == date(2026, 8, 5)
    dst_day = next(bar for bar in shop.days if bar.day == date(2026, 10, 25))
    # 00:30–01:10 UTC is 02:30–02:10 local across the change: one 40-minute outage that day.
    assert dst_day.downtime == timedelta(minutes=40)
    assert [(s.start, s.end) for s in dst_day.outages] == [
        (_utc(2026, 10, 25, 0, 30), _utc(2026, 10, 25, 1, 10))
    ]
    assert dst_day.band in (UptimeBand.POOR, UptimeBand.FAIR)
    assert shop.days[-1].outages[0].ongoing
    quiet_day = next(bar for bar in shop.days if bar.day == date(2026, 9, 15))
    assert quiet_day.band is UptimeBand.PERFECT and quiet_day.outages == ()


def test_days_before_the_monitor_existed_have_no_data(history: PageWorld) -> None:
    Monitor.objects.filter(pk=history.blog_monitor.pk).update(created_at=_utc(2026, 10, 31, 12))
    blog = page_data(history.page, NOW).components[1]
    assert blog.days[0].band is UptimeBand.NO_DATA and blog.days[0].uptime_percent is None
    assert blog.days[-1].band is UptimeBand.PERFECT


def test_status_incidents_and_maintenance(history: PageWorld) -> None:
    data = page_data(history.page, NOW)
    assert [c.status for c in data.components] == [ComponentStatus.MAJOR_OUTAGE, ComponentStatus.OPERATIONAL]
    assert data.overall is ComponentStatus.PARTIAL_OUTAGE
    assert [i.status for i in data.active_incidents] == ["investigating"]
    assert [i.status for i in data.past_incidents] == ["resolved"]
    upcoming = data.maintenance[0]
    assert upcoming.title == "Nightly backup" and not upcoming.in_progress
    assert upcoming.start == datetime(2026, 11, 3, 3, 0, tzinfo=PARIS)
    assert upcoming.components == ("Web shop (public)", "Bakery blog (public)")
    assert data.next_change_at == upcoming.start
