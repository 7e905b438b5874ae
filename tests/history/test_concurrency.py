"""Two workers compacting at once never double-count (PostgreSQL: row locks with SKIP LOCKED)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from veilleur.domain.rollups import unpack_day
from veilleur.history.jobs import CompactionReport, compact_finished_hours
from veilleur.history.models import ResultBlock, RollupDay
from veilleur.monitoring.models import CheckResult

from .conftest import DAY, AddResults, MakeMonitor

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers on its single lock")
def test_two_workers_at_once(make_monitor: MakeMonitor, add_results: AddResults) -> None:
    for i in range(30):
        add_results(make_monitor(f"m{i}"), DAY + timedelta(hours=6), hours=3, seed=i)
    reports: list[CompactionReport] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            barrier.wait()
            reports.append(compact_finished_hours(now=DAY + timedelta(hours=12)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    leftover = compact_finished_hours(now=DAY + timedelta(hours=12))  # whatever both skipped
    moved = sum(r.results for r in [*reports, leftover])
    assert moved == 30 * 360
    assert not CheckResult.objects.exists()
    assert ResultBlock.objects.count() == 90
    assert set(ResultBlock.objects.values_list("count", flat=True)) == {120}
    for row in RollupDay.objects.all():
        assert sorted((h, r.checks) for h, r in unpack_day(bytes(row.hours)).items()) == [
            (6, 120),
            (7, 120),
            (8, 120),
        ]
