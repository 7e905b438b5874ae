"""Result blocks expire after the raw retention; rollups stay."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from veilleur.history.jobs import apply_retention, compact_finished_hours, raw_retention_days
from veilleur.history.models import ResultBlock, RollupDay
from veilleur.history.read import rollups
from veilleur.monitoring.models import Monitor

from .conftest import DAY, AddResults, MakeMonitor

pytestmark = pytest.mark.django_db


def test_blocks_older_than_the_retention_go_and_rollups_stay(
    monitor: Monitor, make_monitor: MakeMonitor, add_results: AddResults
) -> None:
    add_results(monitor, DAY, hours=3, every=timedelta(minutes=5))
    other = make_monitor("shop")
    add_results(other, DAY + timedelta(hours=2), every=timedelta(minutes=5))
    compact_finished_hours(now=DAY + timedelta(hours=4))
    before = rollups(monitor.pk, DAY, DAY + timedelta(days=1), granularity="day")

    # 14 days after 01:00 the first hour (00:00–01:00) is out, the next two are not.
    report = apply_retention(now=DAY + timedelta(days=14, hours=1, minutes=30), batch=1)

    assert report.blocks_deleted == 1
    assert report.kept_from == DAY + timedelta(hours=1)
    assert [b.hour_start for b in ResultBlock.objects.filter(monitor=monitor).order_by("hour_start")] == [
        DAY + timedelta(hours=1),
        DAY + timedelta(hours=2),
    ]
    assert RollupDay.objects.count() == 2
    assert rollups(monitor.pk, DAY, DAY + timedelta(days=1), granularity="day") == before
    assert apply_retention(now=DAY + timedelta(days=30), batch=1).blocks_deleted == 3
    assert not ResultBlock.objects.exists()


def test_retention_follows_the_setting(settings: Any) -> None:
    assert raw_retention_days() == 14
    settings.VEILLEUR_RAW_RETENTION_DAYS = 30
    assert raw_retention_days() == 30


def test_deleting_a_monitor_deletes_its_history(monitor: Monitor, add_results: AddResults) -> None:
    add_results(monitor, DAY, hours=2, every=timedelta(minutes=5))
    compact_finished_hours(now=DAY + timedelta(hours=4))
    monitor.delete()
    assert not ResultBlock.objects.exists() and not RollupDay.objects.exists()
