"""Compacting in batches stores exactly what compacting one monitor-hour per transaction stores.

The oracle is the one-at-a-time path (``compact_monitor_hour`` on each pending monitor-hour, the
way the worker compacted before batches). Both run on the same random history — several
monitors, hours with and without results, late results for hours that already have a block,
results of the hour still being written, equal milliseconds, failures, blips — each inside a
savepoint that is rolled back, and must leave the same blocks, rollups, raw rows and report.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from veilleur.history import jobs
from veilleur.history.jobs import CompactionReport, compact_finished_hours
from veilleur.history.models import ResultBlock, RollupDay
from veilleur.incidents.models import Blip
from veilleur.monitoring.models import CheckResult, Monitor

from .conftest import DAY, MakeMonitor, result_row

pytestmark = pytest.mark.django_db

NOW = DAY + timedelta(hours=4, minutes=10)  # hours 00–03 are finished, 04 is being written

# Per monitor: (hour, how many results) compacted earlier, then (hour, how many) written since.
hours = st.integers(min_value=0, max_value=4)
hour_counts = st.lists(st.tuples(hours, st.integers(min_value=1, max_value=6)), max_size=4)
monitor_history = st.tuples(hour_counts, hour_counts, st.lists(hours, max_size=2))


class Undo(Exception):
    """Rolls a savepoint back once its outcome is read."""


def one_at_a_time(now: datetime) -> CompactionReport:
    """The oracle: every pending monitor-hour in its own transaction, oldest hours first."""
    report = CompactionReport()
    cutoff = jobs.floor_hour(now - jobs.COMPACTION_MARGIN)
    while pending := jobs._oldest_pending_hours(cutoff):
        for item in pending:
            blips = jobs._blip_counts([item.monitor_id], item.hour_start).get(item.monitor_id, 0)
            outcome, moved = jobs.compact_monitor_hour(item, blips)
            jobs._count(item, outcome, moved, report, set())
    return report


def stored() -> dict[str, Any]:
    return {
        "blocks": sorted(
            (m, h, c, f, bytes(d))
            for m, h, c, f, d in ResultBlock.objects.values_list(
                "monitor_id", "hour_start", "count", "failures", "data"
            )
        ),
        "rollups": sorted(
            (m, d, bytes(h)) for m, d, h in RollupDay.objects.values_list("monitor_id", "day", "hours")
        ),
        "raw": sorted(CheckResult.objects.values_list("id", flat=True)),
    }


def outcome_of(compact: Any) -> tuple[tuple[int, int, int, int], dict[str, Any]]:
    try:
        with transaction.atomic():
            report = compact()
            found = ((report.hours, report.results, report.merged, report.failed), stored())
            raise Undo
    except Undo:
        return found


def write_results(monitor: Monitor, counts: list[tuple[int, int]], rng: random.Random) -> None:
    rows = []
    for hour, count in counts:
        for _ in range(count):
            # Few distinct instants, so equal milliseconds (and equal microseconds) happen.
            at = DAY + timedelta(
                hours=hour, minutes=rng.randrange(3), microseconds=rng.choice([0, 400, 999, 1500])
            )
            rows.append(result_row(monitor, at, rng))
    CheckResult.objects.bulk_create(rows)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    histories=st.lists(monitor_history, min_size=1, max_size=4),
    batch=st.integers(1, 5),
    seed=st.integers(0, 99),
)
def test_batches_store_what_one_at_a_time_stores(
    make_monitor: MakeMonitor, histories: list[Any], batch: int, seed: int
) -> None:
    rng = random.Random(seed)
    try:
        with transaction.atomic():
            monitors = [make_monitor(f"m{i}") for i in range(len(histories))]
            for monitor, (earlier, _, _) in zip(monitors, histories, strict=True):
                write_results(monitor, earlier, rng)
            one_at_a_time(NOW)  # the blocks and rollups that were there before
            for monitor, (_, since, blip_hours) in zip(monitors, histories, strict=True):
                write_results(monitor, since, rng)
                for hour in blip_hours:
                    started = DAY + timedelta(hours=hour, minutes=rng.randrange(60))
                    Blip.objects.create(
                        monitor=monitor,
                        started_at=started,
                        ended_at=started + timedelta(seconds=40),
                        error_class="timeout",
                    )

            expected = outcome_of(lambda: one_at_a_time(NOW))
            found = outcome_of(lambda: compact_finished_hours(NOW, batch=batch))

            assert found == expected
            raise Undo
    except Undo:
        pass
