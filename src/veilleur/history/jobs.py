"""The worker's storage jobs: compact finished hours of raw results, expire old result blocks.

``compact_finished_hours`` moves each finished monitor-hour of ``CheckResult`` rows into a
:class:`ResultBlock`, writes that hour's rollup, and deletes the rows. Monitor-hours of the same
hour go in batches (``BATCH`` monitors), one transaction per batch and a fixed number of
set-based statements in it: a worker killed at any line leaves every monitor-hour of the batch
either fully compacted or untouched, and running the job again picks up where it stopped. If a
batch fails, its monitor-hours are redone one per transaction (``compact_monitor_hour``), so one
bad hour is logged and left alone while the others go on. An hour that already has a block
(results that arrived late, after their hour was compacted) is merged into it and its rollup is
recomputed from the merged results, so a re-run never counts anything twice.

Several workers at once: on PostgreSQL each transaction first takes its monitors' rows with
``FOR NO KEY UPDATE SKIP LOCKED`` (the weakest lock that excludes another compaction; the
checker's result inserts only need ``FOR KEY SHARE`` on it and are not blocked), so a second
worker skips the batch the first is working on and takes the next one: the workers share the
hour batch by batch, and anything one sees afterwards reads the other's committed work. The
(monitor, hour_start) primary key of blocks is the backstop.
SQLite has no row locks: Veilleur opens its transactions with ``BEGIN IMMEDIATE``, which takes
the database's single write lock, so the transactions of two workers simply run one after the
other and the second finds the rows already moved.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, OuterRef, Subquery

from veilleur.domain.resultcodec import ResultRecord, decode_results, encode_results, truncate_to_ms
from veilleur.domain.rollups import HourRollup, pack_day, rollup_hour, unpack_day
from veilleur.history.models import ResultBlock, RollupDay
from veilleur.incidents.models import Blip
from veilleur.monitoring.models import CheckResult, Monitor
from veilleur.outage import is_database_unavailable

logger = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
# Results of an hour keep landing for a little while after it ends: the checker writes in
# batches, and a confirmation check can run just after the hour. Wait this long before closing it.
COMPACTION_MARGIN = timedelta(minutes=5)
# Bounds the number of values in one IN (…) list (SQLite allows 32,766 in recent versions, 999 in old ones).
CHUNK = 500
# Monitor-hours compacted in one transaction: one transaction per monitor-hour costs about 11 ms on
# PostgreSQL, most of it round trips and commits (bench/README.md, "Data at scale").
BATCH = 200

RESULT_FIELDS = (
    "id",
    "checked_at",
    "ok",
    "confirmation",
    "in_maintenance",
    "error_class",
    "status_code",
    "dns_ms",
    "connect_ms",
    "tls_ms",
    "ttfb_ms",
    "total_ms",
    "message",
    "region",
)


@dataclass
class CompactionReport:
    hours: int = 0  # monitor-hours compacted
    results: int = 0  # result rows moved into blocks
    merged: int = 0  # of those monitor-hours, how many already had a block (late results)
    skipped: int = 0  # monitor-hours another worker held
    failed: int = 0  # monitor-hours that raised; left untouched for the next run
    failed_monitors: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class RetentionReport:
    blocks_deleted: int
    kept_from: datetime  # the oldest hour whose block is kept


class Outcome(Enum):
    COMPACTED = "compacted"
    MERGED = "merged"
    NOTHING = "nothing"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class PendingHour:
    monitor_id: int
    hour_start: datetime
    apdex_threshold_ms: int


def floor_hour(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def compact_finished_hours(
    now: datetime, margin: timedelta = COMPACTION_MARGIN, batch: int = BATCH
) -> CompactionReport:
    """Compact every monitor-hour that ended at least ``margin`` before ``now``.

    Monitor-hours of the same hour go ``batch`` at a time, one transaction each.
    """
    cutoff = floor_hour(now - margin)
    report = CompactionReport()
    done_with: set[int] = set()  # monitors skipped or failed this run: retried next run, not now
    while True:
        pending = [p for p in _oldest_pending_hours(cutoff) if p.monitor_id not in done_with]
        if not pending:
            return report
        for hour_start, group in _by_hour(pending).items():
            for start in range(0, len(group), batch):
                _compact_batch_and_count(hour_start, group[start : start + batch], report, done_with)


def _oldest_pending_hours(cutoff: datetime) -> list[PendingHour]:
    """For each monitor with raw results before ``cutoff``, the hour of its oldest one.

    One query: a correlated ``ORDER BY checked_at LIMIT 1`` per monitor, served by the
    (monitor, checked_at) index, so the cost is one index probe per monitor whatever the size
    of the results table.
    """
    results = CheckResult.objects.filter(monitor=OuterRef("pk"))
    oldest = results.order_by("checked_at").values("checked_at")[:1]
    rows = (
        Monitor.objects.order_by()
        .annotate(oldest_result=Subquery(oldest))
        .filter(oldest_result__lt=cutoff)
        .values_list("pk", "oldest_result", "site__apdex_threshold_ms")
    )
    return [PendingHour(pk, floor_hour(oldest_at), threshold) for pk, oldest_at, threshold in rows]


def _by_hour(pending: list[PendingHour]) -> dict[datetime, list[PendingHour]]:
    groups: dict[datetime, list[PendingHour]] = defaultdict(list)
    for item in sorted(pending, key=lambda p: (p.hour_start, p.monitor_id)):
        groups[item.hour_start].append(item)
    return groups


def _blip_counts(monitor_ids: list[int], hour_start: datetime) -> dict[int, int]:
    """Blips that started in the hour, per monitor (one grouped query per chunk of monitors)."""
    counts: dict[int, int] = {}
    for chunk in _chunks(monitor_ids):
        rows = (
            Blip.objects.filter(
                monitor_id__in=chunk, started_at__gte=hour_start, started_at__lt=hour_start + HOUR
            )
            .order_by()
            .values_list("monitor_id")
            .annotate(blips=Count("id"))
        )
        counts.update(dict(rows))
    return counts


def _compact_batch_and_count(
    hour_start: datetime, items: list[PendingHour], report: CompactionReport, done_with: set[int]
) -> None:
    try:
        outcomes = compact_hour_batch(hour_start, items)
    except Exception as exc:
        if is_database_unavailable(exc):
            raise  # no hour can be compacted: the worker waits for the database
        # One bad monitor-hour must not hold back the others of its batch: redo them one by one,
        # so only the bad one is left for the next run (and logged with its monitor).
        logger.warning(
            "compacting %s monitor-hours at %s together failed; one at a time", len(items), hour_start
        )
        blips = _blip_counts([p.monitor_id for p in items], hour_start)
        for item in items:
            _compact_and_count(item, blips.get(item.monitor_id, 0), report, done_with)
        return
    for item in items:
        outcome, moved = outcomes[item.monitor_id]
        _count(item, outcome, moved, report, done_with)


def _compact_and_count(item: PendingHour, blips: int, report: CompactionReport, done_with: set[int]) -> None:
    try:
        outcome, moved = compact_monitor_hour(item, blips)
    except Exception as exc:
        if is_database_unavailable(exc):
            raise
        logger.exception("compacting monitor %s at %s failed", item.monitor_id, item.hour_start)
        report.failed += 1
        report.failed_monitors.append(item.monitor_id)
        done_with.add(item.monitor_id)
        return
    _count(item, outcome, moved, report, done_with)


def _count(
    item: PendingHour, outcome: Outcome, moved: int, report: CompactionReport, done_with: set[int]
) -> None:
    if outcome is Outcome.SKIPPED:
        report.skipped += 1
        done_with.add(item.monitor_id)
    elif outcome is Outcome.NOTHING:
        done_with.add(item.monitor_id)  # moved by another worker meanwhile; its next hours wait
    elif outcome in (Outcome.COMPACTED, Outcome.MERGED):
        report.hours += 1
        report.results += moved
        report.merged += outcome is Outcome.MERGED


def compact_hour_batch(hour_start: datetime, items: Sequence[PendingHour]) -> dict[int, tuple[Outcome, int]]:
    """Move one hour of raw results of several monitors into blocks and rollups, atomically.

    The steps of :func:`compact_monitor_hour`, set-based: one statement each to claim the
    monitors, read their rows, read their blocks, read their rollup days, insert the new blocks,
    insert and update the rollup days, and delete the rows (plus one update per block that
    already existed, which only late results cause). Returns each monitor's outcome and how
    many rows it moved.
    """
    outcomes = {item.monitor_id: (Outcome.SKIPPED, 0) for item in items}
    with transaction.atomic():
        claimed = _claim_monitors(list(outcomes))
        outcomes.update({monitor_id: (Outcome.NOTHING, 0) for monitor_id in claimed})
        rows = _hot_rows_of(sorted(claimed), hour_start)
        work = [item for item in items if item.monitor_id in rows]
        if not work:
            return outcomes
        ids = [item.monitor_id for item in work]
        blocks = {
            b.monitor_id: b for b in ResultBlock.objects.filter(monitor_id__in=ids, hour_start=hour_start)
        }
        days = {r.monitor_id: r for r in RollupDay.objects.filter(monitor_id__in=ids, day=hour_start.date())}
        blips = _blip_counts(ids, hour_start)
        new_blocks: list[ResultBlock] = []
        new_days: list[RollupDay] = []
        for item in work:
            block, day_row = blocks.get(item.monitor_id), days.get(item.monitor_id)
            records = _merged_records(block, rows[item.monitor_id])
            if block is None:
                new_blocks.append(
                    ResultBlock(monitor_id=item.monitor_id, hour_start=hour_start, **_block_fields(records))
                )
            else:
                _update_block(item, records)
            rollup = rollup_hour(records, item.apdex_threshold_ms, blips.get(item.monitor_id, 0))
            packed = _day_with_hour(day_row, hour_start, rollup)
            if day_row is None:
                new_days.append(RollupDay(monitor_id=item.monitor_id, day=hour_start.date(), hours=packed))
            else:
                day_row.hours = packed
            outcomes[item.monitor_id] = (
                Outcome.MERGED if block else Outcome.COMPACTED,
                len(rows[item.monitor_id]),
            )
        ResultBlock.objects.bulk_create(new_blocks)
        RollupDay.objects.bulk_create(new_days)
        RollupDay.objects.bulk_update(list(days.values()), ["hours"])
        _delete_results([row[0] for item in work for row in rows[item.monitor_id]])
    return outcomes


def compact_monitor_hour(item: PendingHour, blips: int) -> tuple[Outcome, int]:
    """Move one monitor-hour of raw results into its block and rollup, atomically.

    The one-at-a-time path: used when a batch fails, to find the monitor-hour at fault.
    """
    with transaction.atomic():
        if not _claim_monitors([item.monitor_id]):
            return Outcome.SKIPPED, 0
        rows = _hot_rows_of([item.monitor_id], item.hour_start).get(item.monitor_id)
        if not rows:
            return Outcome.NOTHING, 0  # another worker got there first
        block = ResultBlock.objects.filter(monitor_id=item.monitor_id, hour_start=item.hour_start).first()
        records = _merged_records(block, rows)
        if block is None:
            ResultBlock.objects.create(
                monitor_id=item.monitor_id, hour_start=item.hour_start, **_block_fields(records)
            )
        else:
            _update_block(item, records)
        _store_rollup(item.monitor_id, item.hour_start, rollup_hour(records, item.apdex_threshold_ms, blips))
        _delete_results([row[0] for row in rows])
    return (Outcome.MERGED if block else Outcome.COMPACTED), len(rows)


def _claim_monitors(monitor_ids: list[int]) -> set[int]:
    """Lock monitors' rows against other compactions (a no-op on SQLite, see the module doc).

    Returns the monitors claimed; those another worker holds are left out, without waiting.
    """
    claimed = Monitor.objects.select_for_update(no_key=True, skip_locked=True).filter(pk__in=monitor_ids)
    return set(claimed.order_by().values_list("pk", flat=True))


def _hot_rows_of(monitor_ids: list[int], hour_start: datetime) -> dict[int, list[tuple[Any, ...]]]:
    """The raw rows of the hour, per monitor, each monitor's in (checked_at, id) order."""
    if not monitor_ids:
        return {}
    rows = CheckResult.objects.filter(
        monitor_id__in=monitor_ids, checked_at__gte=hour_start, checked_at__lt=hour_start + HOUR
    ).order_by("monitor_id", "checked_at", "id")
    by_monitor: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for monitor_id, *fields in rows.values_list("monitor_id", *RESULT_FIELDS):
        by_monitor[monitor_id].append(tuple(fields))
    return by_monitor


def _merged_records(block: ResultBlock | None, rows: list[tuple[Any, ...]]) -> list[ResultRecord]:
    earlier = decode_results(bytes(block.data)) if block else []
    # Stable sort: on equal milliseconds the block's records stay first, as the read API merges.
    return sorted([*earlier, *(record_of_row(row) for row in rows)], key=lambda r: r.checked_at)


def record_of_row(row: Sequence[object]) -> ResultRecord:
    """A ``CheckResult`` row read with ``RESULT_FIELDS`` as a record, at millisecond precision."""
    values = dict(zip(RESULT_FIELDS, row, strict=True))
    del values["id"]
    checked_at = values.pop("checked_at")
    assert isinstance(checked_at, datetime)
    return ResultRecord(checked_at=truncate_to_ms(checked_at), **values)  # type: ignore[arg-type]


def _block_fields(records: list[ResultRecord]) -> dict[str, Any]:
    return {
        "count": len(records),
        "failures": sum(not r.ok for r in records),
        "data": encode_results(records),
    }


def _update_block(item: PendingHour, records: list[ResultRecord]) -> None:
    ResultBlock.objects.filter(monitor_id=item.monitor_id, hour_start=item.hour_start).update(
        **_block_fields(records)
    )


def _day_with_hour(row: RollupDay | None, hour_start: datetime, rollup: HourRollup) -> bytes:
    hours = unpack_day(bytes(row.hours)) if row else {}
    hours[hour_start.hour] = rollup
    return pack_day(hours)


def _store_rollup(monitor_id: int, hour_start: datetime, rollup: HourRollup) -> None:
    day: date = hour_start.date()
    row = RollupDay.objects.filter(monitor_id=monitor_id, day=day).first()
    if row is None:
        RollupDay.objects.create(
            monitor_id=monitor_id, day=day, hours=_day_with_hour(None, hour_start, rollup)
        )
    else:
        RollupDay.objects.filter(pk=row.pk).update(hours=_day_with_hour(row, hour_start, rollup))


def _delete_results(ids: list[int]) -> None:
    """Delete raw rows by id, in one statement whatever their number (the ids go as one array).

    By id, not by time range: a row inserted after we read the hour must stay for the next run.
    """
    table = CheckResult._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", [ids])
        else:
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT value FROM json_each(%s))", [json.dumps(ids)]
            )


def _chunks(values: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


# --- retention ----------------------------------------------------------------------------


def raw_retention_days() -> int:
    """How many days raw results are kept (``VEILLEUR_RAW_RETENTION_DAYS``, 14 by default)."""
    return int(settings.VEILLEUR_RAW_RETENTION_DAYS)


def apply_retention(now: datetime, days: int | None = None, batch: int = CHUNK) -> RetentionReport:
    """Delete result blocks whose whole hour is older than the raw retention; rollups stay.

    One statement per ``batch`` monitors, ``monitor_id IN (…) AND hour_start <= …``: served by
    the blocks' (monitor, hour_start) key, and short enough that SQLite's write lock is never
    held for long. (Blocks of deleted monitors went with them, by cascade.)
    """
    keep_days = raw_retention_days() if days is None else days
    cutoff = floor_hour(now - timedelta(days=keep_days)) - HOUR  # hours ending at or before now − retention
    monitor_ids = list(Monitor.objects.order_by("pk").values_list("pk", flat=True))
    deleted = 0
    for start in range(0, len(monitor_ids), batch):
        chunk = monitor_ids[start : start + batch]
        deleted += ResultBlock.objects.filter(monitor_id__in=chunk, hour_start__lte=cutoff).delete()[0]
    return RetentionReport(blocks_deleted=deleted, kept_from=cutoff + HOUR)
