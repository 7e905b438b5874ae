"""Reading results page by page across blocks and raw rows; rollups by hour and by local day."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from veilleur.domain.histogram import RELATIVE_ERROR, nearest_rank
from veilleur.history.jobs import compact_finished_hours
from veilleur.history.read import results, rollups
from veilleur.incidents.models import Blip
from veilleur.monitoring.models import CheckResult, Monitor

from .conftest import DAY, AddResults, result_row

pytestmark = pytest.mark.django_db


def pages(monitor: Monitor, start: datetime, end: datetime, limit: int) -> list[list[object]]:
    found, cursor = [], None
    while True:
        page = results(monitor.pk, start, end, cursor=cursor, limit=limit)
        found.append(list(page.results))
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


def test_pages_cover_everything_once_in_time_order_with_ties(
    monitor: Monitor, add_results: AddResults
) -> None:
    rows = add_results(monitor, DAY + timedelta(hours=8), hours=2)
    # Two regions checking at the very same millisecond, several times.
    rng = random.Random(5)
    twins = [result_row(monitor, rows[i].checked_at, rng, region="us-east") for i in (3, 4, 150)]
    CheckResult.objects.bulk_create(twins)
    compact_finished_hours(now=DAY + timedelta(hours=9, minutes=10))  # 08:00 compacted, 09:00 hot
    for limit in (1, 3, 4, 100):
        found = [r for page in pages(monitor, DAY, DAY + timedelta(days=1), limit) for r in page]
        assert len(found) == 243
        assert [r.checked_at for r in found] == sorted(r.checked_at for r in found)
        assert len({(r.checked_at, r.region) for r in found}) == 243


def test_bounds_are_half_open_at_millisecond_precision(monitor: Monitor, add_results: AddResults) -> None:
    rows = add_results(monitor, DAY + timedelta(hours=8))
    compact_finished_hours(now=DAY + timedelta(hours=12))
    start = rows[10].checked_at.replace(microsecond=rows[10].checked_at.microsecond // 1000 * 1000)
    end = rows[20].checked_at.replace(microsecond=rows[20].checked_at.microsecond // 1000 * 1000)
    found = results(monitor.pk, start, end, limit=1000).results
    assert len(found) == 10
    assert found[0].checked_at == start


def test_a_page_costs_a_fixed_number_of_queries(monitor: Monitor, add_results: AddResults) -> None:
    add_results(monitor, DAY, hours=10)
    compact_finished_hours(now=DAY + timedelta(hours=9, minutes=10))
    with CaptureQueriesContext(connection) as queries:
        page = results(monitor.pk, DAY, DAY + timedelta(days=1), limit=1000)
    assert len(page.results) == 1000
    assert len(queries) <= 5  # raw rows, then blocks 4 at a time


def test_bad_arguments_are_refused(monitor: Monitor) -> None:
    with pytest.raises(ValueError, match="cursor"):
        results(monitor.pk, DAY, DAY + timedelta(days=1), cursor="nope")
    with pytest.raises(ValueError, match="limit"):
        results(monitor.pk, DAY, DAY + timedelta(days=1), limit=0)
    with pytest.raises(ValueError, match="zone"):
        rollups(monitor.pk, DAY, DAY + timedelta(days=1), zone="Mars/Olympus")
    with pytest.raises(ValueError, match="granularity"):
        rollups(monitor.pk, DAY, DAY + timedelta(days=1), granularity="week")  # type: ignore[arg-type]


def test_hourly_percentiles_and_apdex(monitor: Monitor) -> None:
    rng = random.Random(3)
    hour = DAY + timedelta(hours=8)
    totals = [int(rng.lognormvariate(6, 0.5)) for _ in range(120)]
    CheckResult.objects.bulk_create(
        result_row(monitor, hour + timedelta(seconds=30 * i), rng, ok=True, total_ms=t, ttfb_ms=t)
        for i, t in enumerate(totals)
    )
    compact_finished_hours(now=DAY + timedelta(hours=12))

    [bucket] = rollups(monitor.pk, hour, hour + timedelta(hours=1))

    assert (bucket.checks, bucket.failures) == (120, 0)
    for estimate, q in ((bucket.p50_ms, 0.5), (bucket.p95_ms, 0.95), (bucket.p99_ms, 0.99)):
        exact = nearest_rank([float(t) for t in totals], q)
        assert estimate is not None and abs(estimate - exact) / exact <= RELATIVE_ERROR
    satisfied = sum(t <= 500 for t in totals)
    tolerating = sum(500 < t <= 2000 for t in totals)
    assert bucket.apdex == pytest.approx((satisfied + tolerating / 2) / 120)


def test_rollups_read_the_same_before_and_after_compaction(monitor: Monitor, add_results: AddResults) -> None:
    add_results(monitor, DAY + timedelta(hours=6), hours=4)
    Blip.objects.create(
        monitor=monitor,
        started_at=DAY + timedelta(hours=7, minutes=3),
        ended_at=DAY + timedelta(hours=7, minutes=4),
        error_class="timeout",
    )
    span = (DAY, DAY + timedelta(days=1))
    before = (rollups(monitor.pk, *span), rollups(monitor.pk, *span, granularity="day"))
    compact_finished_hours(now=DAY + timedelta(hours=9, minutes=30))
    after = (rollups(monitor.pk, *span), rollups(monitor.pk, *span, granularity="day"))
    assert before == after
    assert len(after[0]) == 24 and after[1][0].checks == 480
    assert after[0][5].checks == 0 and after[0][5].p50_ms is None and after[0][5].apdex is None


def test_day_buckets_in_paris_across_the_october_change(monitor: Monitor, add_results: AddResults) -> None:
    # 2026-10-25: Paris goes from UTC+2 to UTC+1, so that local day lasts 25 hours.
    start = datetime(2026, 10, 24, 22, tzinfo=UTC)  # local midnight of the 25th
    add_results(monitor, start - timedelta(hours=2), hours=29, every=timedelta(minutes=1))
    compact_finished_hours(now=start + timedelta(days=2))

    days = rollups(monitor.pk, start, start + timedelta(hours=25), granularity="day", zone="Europe/Paris")

    assert [d.end - d.start for d in days] == [timedelta(hours=25)]
    assert days[0].start == start and days[0].checks == 25 * 60
    before = rollups(monitor.pk, start - timedelta(hours=1), start, granularity="day", zone="Europe/Paris")
    assert before[0].end == start and before[0].checks == 120  # 22:00–24:00 local on the 24th


def test_day_buckets_in_kathmandu_start_at_the_nearest_hour(monitor: Monitor) -> None:
    # Local midnight in Kathmandu (UTC+05:45) is 18:15 UTC the day before: the bucket starts at 18:00.
    days = rollups(monitor.pk, DAY, DAY + timedelta(days=2), granularity="day", zone="Asia/Kathmandu")
    assert days[0].start == datetime(2026, 3, 1, 18, tzinfo=UTC)
    assert all(d.end - d.start == timedelta(days=1) for d in days)
    assert days[-1].end >= DAY + timedelta(days=2)
