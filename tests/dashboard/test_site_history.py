"""A site's response times on its staff page merge its monitors' hours, compacted or not, into
the figures each monitor's own rollups give; its 90 day bars are its status page's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.dashboard.conftest import World
from veilleur.domain.rollups import combine_all
from veilleur.history import read
from veilleur.history.jobs import compact_finished_hours
from veilleur.history.models import RollupDay
from veilleur.monitoring.models import CheckResult, Monitor
from veilleur.statuspages.data import page_data, site_day_bars
from veilleur.statuspages.models import StatusComponent, StatusPage

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)


def test_site_hours_are_the_merge_of_its_monitors_hours(world: World) -> None:
    second = Monitor.objects.create(agency=world.agency, site=world.site, key="cart", url=world.site.url)
    rows = [
        CheckResult(
            monitor=monitor,
            checked_at=START + timedelta(minutes=7 * i),
            ok=i % 11 != 0,
            total_ms=90 + (i * 53) % 700,
        )
        for i in range(60)
        for monitor in (world.monitor, second)
    ]
    CheckResult.objects.bulk_create(rows)
    compact_finished_hours(START + timedelta(hours=4))  # the first hours packed, the last ones still raw
    assert RollupDay.objects.filter(monitor=second).exists()
    assert CheckResult.objects.filter(monitor=second).exists()
    end = START + timedelta(hours=8)

    merged = read.site_hourly_rollups(
        [world.monitor.pk, second.pk], world.site.apdex_threshold_ms, START, end
    )
    first = read.hourly_rollups(world.monitor.pk, START, end)
    other = read.hourly_rollups(second.pk, START, end)
    assert sorted(merged) == sorted(set(first) | set(other))
    for hour, rollup in merged.items():
        expected = combine_all(r for r in (first.get(hour), other.get(hour)) if r is not None)
        assert (rollup.checks, rollup.failures) == (expected.checks, expected.failures)
        assert rollup.latency.quantile(0.95) == expected.latency.quantile(0.95)
    assert sum(rollup.checks for rollup in merged.values()) == 120


def test_day_bars_are_the_status_pages(world: World) -> None:
    page = StatusPage.objects.create(agency=world.agency, client=world.client, slug="page", title="Page")
    StatusComponent.objects.create(agency=world.agency, page=page, site=world.site)
    now = START + timedelta(hours=8)
    (component,) = page_data(page, now).components
    bars = site_day_bars(world.client, [world.site], [world.monitor], now)[world.site.pk]
    assert bars == component.days
