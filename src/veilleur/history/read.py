"""Reading history: raw results across blocks and hot rows, and rollups by hour or by day.

Both functions make a fixed number of queries whatever the range (no query per block, hour or
result beyond the batches documented below), each served by an index: ``result_monitor_time``
on raw results, the (monitor, hour_start) primary key of blocks, the unique (monitor, day)
index on rollups, ``blip_monitor_start`` on blips.
"""

from __future__ import annotations

import heapq
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Count
from django.db.models.functions import TruncHour

from veilleur.domain.resultcodec import ResultRecord, decode_results, from_epoch_ms, to_epoch_ms
from veilleur.domain.rollups import HourRollup, combine_all, rollup_hour, unpack_day
from veilleur.domain.timezones import local_to_utc, utc_to_local
from veilleur.history.jobs import HOUR, RESULT_FIELDS, floor_hour, record_of_row
from veilleur.history.models import ResultBlock, RollupDay
from veilleur.incidents.models import Blip
from veilleur.monitoring.models import CheckResult, Monitor

BLOCK_BATCH = 4  # blocks fetched per query while filling a page (a block is ~120 results at 30 s)
MAX_LIMIT = 1000
ATTEMPTS = 5
CURSOR = re.compile(r"^(\d{1,15})\.(\d{1,9})$")


# --- raw results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultsPage:
    results: list[ResultRecord]
    next_cursor: str | None  # None on the last page


class HistoryChanged(Exception):
    """Compaction moved results while a page was being read (retried internally)."""


def results(
    monitor_id: int, start: datetime, end: datetime, *, cursor: str | None = None, limit: int = 100
) -> ResultsPage:
    """The monitor's results with ``start <= checked_at < end``, oldest first, ``limit`` at a time.

    Results come from result blocks and from raw rows not yet compacted alike, at millisecond
    precision (the bounds too), so a page reads the same before and after compaction. Results
    with the same millisecond keep a fixed order (block before late rows, then row id). Pass the
    returned ``next_cursor`` to get the following page.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
    start_ms, end_ms = to_epoch_ms(start), to_epoch_ms(end)
    from_ms, skip = _parse_cursor(cursor) if cursor else (start_ms, 0)
    from_ms = max(from_ms, start_ms)
    for _attempt in range(ATTEMPTS):
        try:
            return _read_page(monitor_id, from_ms, skip, end_ms, limit)
        except HistoryChanged:
            continue
    raise HistoryChanged("results kept moving while being read; try again")


def _parse_cursor(cursor: str) -> tuple[int, int]:
    match = CURSOR.match(cursor)
    if match is None:
        raise ValueError(f"invalid cursor {cursor!r}")
    return int(match[1]), int(match[2])


def _read_page(monitor_id: int, from_ms: int, skip: int, end_ms: int, limit: int) -> ResultsPage:
    wanted = skip + limit + 1  # one more than the page tells whether another page follows
    hot = _hot_records(monitor_id, from_ms, end_ms, wanted)
    hours_read: set[datetime] = set()
    blocks = _block_records(monitor_id, from_ms, end_ms, hours_read)
    # heapq.merge is stable: on equal times, block records (the first stream) come first.
    merged = heapq.merge(blocks, (record for _, record in hot), key=lambda r: r.checked_at)
    taken: list[ResultRecord] = []
    for record in merged:
        if to_epoch_ms(record.checked_at) >= end_ms or len(taken) == wanted:
            break
        taken.append(record)
    _check_unchanged(hot, hours_read)
    page = taken[skip : skip + limit]
    more = len(taken) > skip + limit
    return ResultsPage(page, _cursor_after(page, from_ms, skip) if more else None)


def _hot_records(monitor_id: int, from_ms: int, end_ms: int, wanted: int) -> list[tuple[int, ResultRecord]]:
    rows = (
        CheckResult.objects.filter(
            monitor_id=monitor_id,
            checked_at__gte=from_epoch_ms(from_ms),
            checked_at__lt=from_epoch_ms(end_ms),
        )
        .order_by("checked_at", "id")
        .values_list(*RESULT_FIELDS)[:wanted]
    )
    return [(row[0], record_of_row(row)) for row in rows]


def _block_records(
    monitor_id: int, from_ms: int, end_ms: int, hours_read: set[datetime]
) -> Iterator[ResultRecord]:
    """Records of the blocks from ``from_ms``'s hour on, fetched lazily a few blocks per query."""
    after = floor_hour(from_epoch_ms(from_ms)) - HOUR
    end = from_epoch_ms(end_ms)
    while True:
        batch = list(
            ResultBlock.objects.filter(monitor_id=monitor_id, hour_start__gt=after, hour_start__lt=end)
            .order_by("hour_start")
            .values_list("hour_start", "data")[:BLOCK_BATCH]
        )
        for hour_start, data in batch:
            hours_read.add(hour_start)
            for record in decode_results(bytes(data)):
                if to_epoch_ms(record.checked_at) >= from_ms:
                    yield record
        if len(batch) < BLOCK_BATCH:
            return
        after = batch[-1][0]


def _check_unchanged(hot: list[tuple[int, ResultRecord]], hours_read: set[datetime]) -> None:
    """Raise if raw rows we read were compacted into a block we read later (they'd show twice).

    Rows of an hour that also has a block are normally late results not merged yet; if some of
    them are gone now, a compaction ran between our queries.
    """
    overlapping = [row_id for row_id, record in hot if floor_hour(record.checked_at) in hours_read]
    if overlapping and CheckResult.objects.filter(id__in=overlapping).count() != len(overlapping):
        raise HistoryChanged


def _cursor_after(page: list[ResultRecord], from_ms: int, skip: int) -> str:
    last_ms = to_epoch_ms(page[-1].checked_at)
    same = sum(1 for record in page if to_epoch_ms(record.checked_at) == last_ms)
    if last_ms == from_ms:
        same += skip
    return f"{last_ms}.{same}"


# --- rollups ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RollupBucket:
    start: datetime
    end: datetime
    checks: int
    failures: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    apdex: float | None


def rollups(
    monitor_id: int,
    start: datetime,
    end: datetime,
    granularity: Literal["hour", "day"] = "hour",
    zone: str = "UTC",
) -> list[RollupBucket]:
    """Checks, failures, latency percentiles and Apdex per hour or per day, for every bucket
    that overlaps ``[start, end)`` (whole buckets, empty ones included).

    Days are calendar days in the IANA ``zone`` (25 hours on the day clocks go back). Rollups are
    hourly, so in zones whose offset is not a whole number of hours (Asia/Kathmandu, +05:45) a
    day starts at the UTC hour boundary nearest to local midnight. Hours not compacted yet are
    rolled up on the fly from the raw rows, so recent buckets are complete too. Percentiles are
    estimates within ``domain.histogram.RELATIVE_ERROR``.
    """
    bounds = bucket_bounds(start, end, granularity, zone)
    if len(bounds) < 2:
        return []
    return buckets_of(hourly_rollups(monitor_id, bounds[0], bounds[-1]), bounds)


def bucket_bounds(
    start: datetime, end: datetime, granularity: Literal["hour", "day"] = "hour", zone: str = "UTC"
) -> list[datetime]:
    """The boundaries of the whole hour or day buckets that cover ``[start, end)``."""
    return _bucket_bounds(start, end, granularity, _zone(zone))


def buckets_of(by_hour: dict[datetime, HourRollup], bounds: list[datetime]) -> list[RollupBucket]:
    """Buckets between consecutive ``bounds`` from hourly rollups already read (``hourly_rollups``),
    for callers that also need the hours themselves and should not read them twice."""
    return [_bucket(by_hour, bucket_start, bucket_end) for bucket_start, bucket_end in pairwise(bounds)]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _bucket_bounds(start: datetime, end: datetime, granularity: str, zone: ZoneInfo) -> list[datetime]:
    if granularity == "hour":
        first, step = floor_hour(start), HOUR
        return [first + i * step for i in range(_hours_between(first, end) + 1)]
    if granularity != "day":
        raise ValueError(f"granularity must be 'hour' or 'day', got {granularity!r}")
    local_day = utc_to_local(start, zone).date()
    bounds = [_day_start(local_day, zone)]
    while bounds[-1] < end:
        local_day += timedelta(days=1)
        bounds.append(_day_start(local_day, zone))
    if bounds[0] > start:  # the nearest-hour rounding moved the day's start past ``start``
        bounds.insert(0, _day_start(local_day - timedelta(days=len(bounds)), zone))
    return bounds


def _hours_between(first: datetime, end: datetime) -> int:
    """How many whole hours from ``first`` (an hour boundary) cover up to ``end``."""
    return max(0, -(-(end - first) // HOUR))


def _day_start(local_day: date, zone: ZoneInfo) -> datetime:
    """Local midnight as a UTC instant, at the nearest hour boundary."""
    midnight = local_to_utc(datetime.combine(local_day, time()), zone)
    rounded = floor_hour(midnight)
    return rounded + HOUR if midnight - rounded >= timedelta(minutes=30) else rounded


def hourly_rollups(monitor_id: int, first: datetime, end: datetime) -> dict[datetime, HourRollup]:
    """Stored rollups of the range, plus hours still in raw rows rolled up on the fly."""
    stored = _stored_rollups(monitor_id, first, end)
    for hour_start, pending in _pending_rollups(monitor_id, first, end, stored).items():
        stored[hour_start] = stored[hour_start].combine(pending) if hour_start in stored else pending
    return stored


def site_hourly_rollups(
    monitor_ids: list[int], threshold_ms: int, first: datetime, end: datetime
) -> dict[datetime, HourRollup]:
    """The hours of several monitors of one site merged into one rollup per hour (a site's
    response times), in a fixed number of queries whatever the number of monitors."""
    merged: dict[datetime, list[HourRollup]] = defaultdict(list)
    days = RollupDay.objects.filter(
        monitor_id__in=monitor_ids, day__gte=first.date(), day__lte=(end - timedelta(microseconds=1)).date()
    ).values_list("day", "hours")
    for day, packed in days:
        midnight = datetime.combine(day, time(), tzinfo=UTC)
        for hour, rollup in unpack_day(bytes(packed)).items():
            hour_start = midnight + hour * HOUR
            if first <= hour_start < end:
                merged[hour_start].append(rollup)
    rows = (
        CheckResult.objects.filter(monitor_id__in=monitor_ids, checked_at__gte=first, checked_at__lt=end)
        .order_by("checked_at", "id")
        .values_list(*RESULT_FIELDS)
    )
    pending: dict[datetime, list[ResultRecord]] = defaultdict(list)
    for row in rows:
        record = record_of_row(row)
        pending[floor_hour(record.checked_at)].append(record)
    for hour_start, records in pending.items():
        # Blips are counted by the compaction; a chart reads only checks and response times.
        merged[hour_start].append(rollup_hour(records, threshold_ms))
    return {hour: combine_all(rollups) for hour, rollups in merged.items()}


def _stored_rollups(monitor_id: int, first: datetime, end: datetime) -> dict[datetime, HourRollup]:
    days = RollupDay.objects.filter(
        monitor_id=monitor_id, day__gte=first.date(), day__lte=(end - timedelta(microseconds=1)).date()
    ).values_list("day", "hours")
    by_hour: dict[datetime, HourRollup] = {}
    for day, packed in days:
        midnight = datetime.combine(day, time(), tzinfo=UTC)
        for hour, rollup in unpack_day(bytes(packed)).items():
            hour_start = midnight + hour * HOUR
            if first <= hour_start < end:
                by_hour[hour_start] = rollup
    return by_hour


def _pending_rollups(
    monitor_id: int, first: datetime, end: datetime, stored: dict[datetime, HourRollup]
) -> dict[datetime, HourRollup]:
    rows = (
        CheckResult.objects.filter(monitor_id=monitor_id, checked_at__gte=first, checked_at__lt=end)
        .order_by("checked_at", "id")
        .values_list(*RESULT_FIELDS)
    )
    by_hour: dict[datetime, list[ResultRecord]] = defaultdict(list)
    for row in rows:
        record = record_of_row(row)
        by_hour[floor_hour(record.checked_at)].append(record)
    if not by_hour:
        return {}
    threshold = Monitor.objects.filter(pk=monitor_id).values_list("site__apdex_threshold_ms", flat=True).get()
    blips = _blips_per_hour(monitor_id, min(by_hour), max(by_hour) + HOUR)
    return {
        # A stored hour already counted its blips; late rows only add their checks.
        hour_start: rollup_hour(records, threshold, 0 if hour_start in stored else blips.get(hour_start, 0))
        for hour_start, records in by_hour.items()
    }


def _blips_per_hour(monitor_id: int, first: datetime, end: datetime) -> dict[datetime, int]:
    rows = (
        Blip.objects.filter(monitor_id=monitor_id, started_at__gte=first, started_at__lt=end)
        .order_by()
        .annotate(hour=TruncHour("started_at", tzinfo=UTC))
        .values_list("hour")
        .annotate(blips=Count("id"))
    )
    return {hour: count for hour, count in rows}


def _bucket(by_hour: dict[datetime, HourRollup], start: datetime, end: datetime) -> RollupBucket:
    total = combine_all(by_hour[h] for h in _hours(start, end) if h in by_hour)
    return RollupBucket(
        start=start,
        end=end,
        checks=total.checks,
        failures=total.failures,
        p50_ms=total.latency.quantile(0.50),
        p95_ms=total.latency.quantile(0.95),
        p99_ms=total.latency.quantile(0.99),
        apdex=total.apdex,
    )


def _hours(start: datetime, end: datetime) -> Iterator[datetime]:
    hour = start
    while hour < end:
        yield hour
        hour += HOUR
