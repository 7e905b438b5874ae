"""Per-region figures of monitors (checkers in several regions), read from the stored results.

Shown only where more than one region checked: a one-region install (every checker in the
default region, or one named region) reads nothing here and shows nothing new. The regions ever
seen come from the checkers' heartbeats (checker/regions.py), a table of a few rows: with one
region or none, nothing else is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from veilleur.domain.regional import RegionalCheck, RegionSummary, summarise
from veilleur.history import read as history
from veilleur.monitoring.models import CheckerHeartbeat


def several_regions_known() -> bool:
    """Whether checkers of more than one region have ever run here (within the heartbeats kept)."""
    return CheckerHeartbeat.objects.values("region").distinct().count() > 1


def region_summaries(monitor_ids: list[int], start: datetime, end: datetime) -> list[RegionSummary]:
    """Per-region figures of these monitors' checks with ``start <= checked_at < end``; empty
    unless more than one region checked them then."""
    if not monitor_ids or not several_regions_known():
        return []
    summaries = summarise(check for monitor_id in monitor_ids for check in _checks(monitor_id, start, end))
    return summaries if len(summaries) > 1 else []


def _checks(monitor_id: int, start: datetime, end: datetime) -> Iterator[RegionalCheck]:
    cursor = None
    while True:
        page = history.results(monitor_id, start, end, cursor=cursor, limit=history.MAX_LIMIT)
        for record in page.results:
            yield RegionalCheck(
                region=record.region,
                checked_at=record.checked_at,
                ok=record.ok,
                total_ms=record.total_ms,
                confirmation=record.confirmation,
                in_maintenance=record.in_maintenance,
            )
        if page.next_cursor is None:
            return
        cursor = page.next_cursor
