"""When maintenance windows happen, as UTC intervals.

A window starts at a wall time in the client's zone and lasts a real duration; a recurring
window repeats its wall time by an RFC 5545 RRULE in that zone, so "every Tuesday at 22:00"
stays at 22:00 across DST changes. Wall times follow ``domain.timezones``: a start inside a DST
gap begins when the gap ends, an ambiguous one at the earlier instant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from veilleur.domain.timezones import local_to_utc, utc_to_local

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class WindowRule:
    start_local: datetime  # naive wall time in ``zone``
    duration: timedelta
    zone: ZoneInfo
    rrule: str = ""


def occurrences(rule: WindowRule, start: datetime, end: datetime) -> list[Interval]:
    """The window's occurrences that overlap the UTC interval [start, end), in time order."""
    if rule.duration <= timedelta(0):
        raise ValueError("a maintenance window lasts a positive duration")
    result = []
    for wall in _wall_starts(rule, start, end):
        begins = local_to_utc(wall, rule.zone)
        ends = begins + rule.duration
        if begins < end and ends > start:
            result.append((begins, ends))
    return result


def _wall_starts(rule: WindowRule, start: datetime, end: datetime) -> Iterable[datetime]:
    if not rule.rrule:
        return [rule.start_local]
    # Widen the local search by the duration and a day either side: offsets never exceed a day.
    local_from = utc_to_local(start, rule.zone) - rule.duration - timedelta(days=1)
    local_to = utc_to_local(end, rule.zone) + timedelta(days=1)
    recurrence = rrulestr(rule.rrule, dtstart=rule.start_local)
    return recurrence.between(local_from, local_to, inc=True)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of intervals, as sorted disjoint intervals."""
    merged: list[Interval] = []
    for begins, ends in sorted(intervals):
        if merged and begins <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], ends))
        else:
            merged.append((begins, ends))
    return merged


def covers(intervals: list[Interval], instant: datetime) -> bool:
    return any(begins <= instant < ends for begins, ends in intervals)
