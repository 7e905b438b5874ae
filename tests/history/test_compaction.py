"""Compaction moves finished hours of raw results into blocks and rollups, exactly once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from veilleur.domain.resultcodec import ResultRecord, truncate_to_ms
from veilleur.domain.rollups import unpack_day
from veilleur.history import jobs
from veilleur.history.jobs import compact_finished_hours
from veilleur.history.models import ResultBlock, RollupDay
from veilleur.history.read import ResultsPage, results
from veilleur.monitoring.models import CheckResult, Monitor

from .conftest import DAY, AddResults, MakeMonitor

pytestmark = pytest.mark.django_db


def read_all(monitor: Monitor, limit: int = 7) -> list[Any]:
    found, cursor = [], None
    while True:
        page: ResultsPage = results(monitor.pk, DAY, DAY + timedelta(days=1), cursor=cursor, limit=limit)
        found.extend(page.results)
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


def test_finished_hours_move_into_blocks_and_read_the_same(monitor: Monitor, add_results: AddResults) -> None:
    add_results(monitor, DAY + timedelta(hours=8), hours=3)  # 08:00–11:00
    before = read_all(monitor)
    assert len(before) == 360

    report = compact_finished_hours(now=DAY + timedelta(hours=10, minutes=6))

    assert (report.hours, report.results, report.failed) == (2, 240, 0)
    assert sorted(b.hour_start.hour for b in ResultBlock.objects.all()) == [8, 9]
    assert CheckResult.objects.count() == 120  # 10:00–11:00 is still being written
    assert read_all(monitor) == before
    assert read_all(monitor, limit=1000) == before


def test_an_hour_waits_for_the_margin(monitor: Monitor, add_results: AddResults) -> None:
    add_results(monitor, DAY + timedelta(hours=8))
    assert compact_finished_hours(now=DAY + timedelta(hours=9, minutes=4)).hours == 0
    assert compact_finished_hours(now=DAY + timedelta(hours=9, minutes=5)).hours == 1


def test_block_and_rollup_contents(monitor: Monitor, add_results: AddResults) -> None:
    rows = add_results(monitor, DAY + timedelta(hours=8))
    compact_finished_hours(now=DAY + timedelta(hours=12))
    block = ResultBlock.objects.get()
    failures = sum(not r.ok for r in rows)
    assert (block.count, block.failures) == (120, failures)
    hour = unpack_day(bytes(RollupDay.objects.get(day=DAY.date()).hours))[8]
    assert (hour.checks, hour.failures, hour.apdex_samples) == (120, failures, 120)
    assert hour.apdex_threshold_ms == 500
    assert hour.latency.count == 120 - failures
    assert len(block.data) < 120 * 10  # a few bytes per check instead of a row each
    successes = [r for r in rows if r.ok]
    for phase in ("dns_ms", "connect_ms", "tls_ms", "ttfb_ms"):
        values = [getattr(r, phase) for r in successes]
        assert hour.phases[phase].count == len(values)
        assert hour.phases[phase].sum_ms == sum(values)


def test_rerun_changes_nothing(monitor: Monitor, add_results: AddResults) -> None:
    add_results(monitor, DAY + timedelta(hours=8), hours=2)
    now = DAY + timedelta(hours=12)
    compact_finished_hours(now=now)
    blocks = list(ResultBlock.objects.order_by("hour_start").values_list("count", "data"))
    rollups = bytes(RollupDay.objects.get().hours)

    again = compact_finished_hours(now=now)

    assert (again.hours, again.results) == (0, 0)
    assert list(ResultBlock.objects.order_by("hour_start").values_list("count", "data")) == blocks
    assert bytes(RollupDay.objects.get().hours) == rollups


def test_late_results_merge_into_their_hour(monitor: Monitor, add_results: AddResults) -> None:
    add_results(monitor, DAY + timedelta(hours=8))
    compact_finished_hours(now=DAY + timedelta(hours=12))
    late = add_results(monitor, DAY + timedelta(hours=8, minutes=10, seconds=5), hours=0.001, seed=9)
    before = read_all(monitor)

    report = compact_finished_hours(now=DAY + timedelta(hours=12))

    assert (report.hours, report.merged, report.results) == (1, 1, len(late))
    assert ResultBlock.objects.get().count == 120 + len(late)
    assert unpack_day(bytes(RollupDay.objects.get().hours))[8].checks == 120 + len(late)
    assert read_all(monitor) == before


class Killed(BaseException):
    """Stands for the process being killed: not an Exception, so nothing catches it."""


def fail_on_call(monkeypatch: pytest.MonkeyPatch, target: str, call: int, error: BaseException) -> None:
    original = getattr(jobs, target)
    calls = {"n": 0}

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == call:
            raise error
        return original(*args, **kwargs)

    monkeypatch.setattr(jobs, target, wrapper)


@pytest.mark.parametrize(("batch", "killed_call", "compacted_first"), [(1, 2, True), (jobs.BATCH, 1, False)])
def test_crash_leaves_each_hour_fully_compacted_or_untouched(
    make_monitor: MakeMonitor,
    add_results: AddResults,
    monkeypatch: pytest.MonkeyPatch,
    batch: int,
    killed_call: int,
    compacted_first: bool,
) -> None:
    first, second = make_monitor("home"), make_monitor("shop")
    add_results(first, DAY + timedelta(hours=8))
    add_results(second, DAY + timedelta(hours=8), seed=1)
    expected = {m.pk: read_all(m) for m in (first, second)}
    # Dies after writing blocks and rollups, before deleting the rows: with one monitor-hour per
    # transaction, the second one's; with both in one batch, the batch's.
    fail_on_call(monkeypatch, "_delete_results", call=killed_call, error=Killed())

    with pytest.raises(Killed):
        compact_finished_hours(now=DAY + timedelta(hours=12), batch=batch)

    assert ResultBlock.objects.filter(monitor=first).count() == int(compacted_first)
    assert CheckResult.objects.filter(monitor=first).count() == (0 if compacted_first else 120)
    assert not ResultBlock.objects.filter(monitor=second).exists()
    assert not RollupDay.objects.filter(monitor=second).exists()
    assert CheckResult.objects.filter(monitor=second).count() == 120

    monkeypatch.undo()
    report = compact_finished_hours(now=DAY + timedelta(hours=12), batch=batch)
    assert (report.hours, report.results) == (1 if compacted_first else 2, 120 if compacted_first else 240)
    assert {m.pk: read_all(m) for m in (first, second)} == expected
    assert [b.count for b in ResultBlock.objects.all()] == [120, 120]


def test_a_failing_hour_is_logged_and_the_others_go_on(
    make_monitor: MakeMonitor, add_results: AddResults, monkeypatch: pytest.MonkeyPatch
) -> None:
    monitors = [make_monitor(f"m{i}") for i in range(3)]
    rows = {m.pk: add_results(m, DAY + timedelta(hours=8), seed=i) for i, m in enumerate(monitors)}
    bad_times = {truncate_to_ms(r.checked_at) for r in rows[monitors[1].pk]}
    original = jobs._block_fields

    def refuse_the_bad_hour(records: list[ResultRecord]) -> dict[str, Any]:
        if any(r.checked_at in bad_times for r in records):
            raise RuntimeError("disk full")
        return original(records)

    monkeypatch.setattr(jobs, "_block_fields", refuse_the_bad_hour)

    report = compact_finished_hours(now=DAY + timedelta(hours=12))

    assert (report.hours, report.failed) == (2, 1)
    assert report.failed_monitors == [monitors[1].pk]
    assert CheckResult.objects.filter(monitor=monitors[1]).count() == 120
    assert not ResultBlock.objects.filter(monitor=monitors[1]).exists()
    assert not RollupDay.objects.filter(monitor=monitors[1]).exists()
    for good in (monitors[0], monitors[2]):
        assert not CheckResult.objects.filter(monitor=good).exists()
        assert ResultBlock.objects.get(monitor=good).count == 120


def _compaction_queries(monitors: list[Monitor], add_results: AddResults, day: timedelta) -> int:
    for i, m in enumerate(monitors):
        add_results(m, DAY + day + timedelta(hours=6), hours=2, every=timedelta(seconds=10), seed=i)
    with CaptureQueriesContext(connection) as queries:
        report = compact_finished_hours(now=DAY + day + timedelta(hours=12), batch=len(monitors))
    assert (report.hours, report.results) == (2 * len(monitors), len(monitors) * 720)
    return len(queries)


def test_queries_do_not_grow_with_results_or_monitors(
    make_monitor: MakeMonitor, add_results: AddResults
) -> None:
    few = _compaction_queries([make_monitor(f"a{i}") for i in range(2)], add_results, timedelta(days=0))
    many = _compaction_queries([make_monitor(f"b{i}") for i in range(7)], add_results, timedelta(days=1))
    assert few == many
    # Per batch: claim, rows, blocks, rollup days, blips, insert blocks, insert or update the
    # rollup days, delete, and the savepoint; per round: find pending hours. Never per result.
    assert many <= 2 * 11 + 3
