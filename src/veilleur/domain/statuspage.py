"""What a public status page says about a component and about the whole: Statuspage's words.

A component is a site; a site has one or more monitors. From the monitors' open incidents and
the maintenance in progress this module decides the component's status, the page's overall
status, and the colour band of a day's uptime. Pure: no Django, no clock.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

Interval = tuple[datetime, datetime]
_ZERO = timedelta(0)


class ComponentStatus(StrEnum):
    OPERATIONAL = "operational"
    UNDER_MAINTENANCE = "under_maintenance"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"


# Worst last: the page's overall status is the worst of its components'.
_SEVERITY = {status: rank for rank, status in enumerate(ComponentStatus)}


@dataclass(frozen=True)
class ComponentFacts:
    """What is true of one component right now."""

    monitors: int  # monitors checking the site (paused ones excluded)
    down: int  # of those, with an open "down" incident
    degraded: int  # of those, with an open "degraded" incident and not down
    in_maintenance: bool  # a maintenance window covering the site is in progress


def component_status(facts: ComponentFacts) -> ComponentStatus:
    """Down everywhere is a major outage, down somewhere a partial one. Maintenance wins over
    failures, as no incident opens during a window and the failures are expected."""
    if facts.in_maintenance:
        return ComponentStatus.UNDER_MAINTENANCE
    if facts.monitors and facts.down >= facts.monitors:
        return ComponentStatus.MAJOR_OUTAGE
    if facts.down:
        return ComponentStatus.PARTIAL_OUTAGE
    if facts.degraded:
        return ComponentStatus.DEGRADED_PERFORMANCE
    return ComponentStatus.OPERATIONAL


def overall_status(statuses: Iterable[ComponentStatus]) -> ComponentStatus:
    """The worst component's status; a major outage of some components but not all is, for the
    page as a whole, a partial outage."""
    listed = list(statuses)
    if not listed:
        return ComponentStatus.OPERATIONAL
    worst = max(listed, key=_SEVERITY.__getitem__)
    if worst is ComponentStatus.MAJOR_OUTAGE and any(s is not worst for s in listed):
        return ComponentStatus.PARTIAL_OUTAGE
    return worst


class UptimeBand(StrEnum):
    """The colour of one day's bar."""

    NO_DATA = "none"
    PERFECT = "perfect"  # 100 %
    GOOD = "good"  # 99.9 % and above
    FAIR = "fair"  # 99 % and above
    POOR = "poor"  # 95 % and above
    BAD = "bad"  # below


def uptime_band(percent: Decimal | None) -> UptimeBand:
    """``percent`` as shown (rounded down, so any downtime is below 100)."""
    if percent is None:
        return UptimeBand.NO_DATA
    if percent >= 100:
        return UptimeBand.PERFECT
    if percent >= Decimal("99.9"):
        return UptimeBand.GOOD
    if percent >= 99:
        return UptimeBand.FAIR
    if percent >= 95:
        return UptimeBand.POOR
    return UptimeBand.BAD


def totals_per_day(intervals: Sequence[Interval], bounds: Sequence[datetime]) -> list[timedelta]:
    """How much of ``intervals`` (sorted, disjoint UTC [start, end)) falls in each day, the days
    being the consecutive spans between ``bounds`` (n + 1 ascending instants for n days).

    One walk over both lists instead of clipping every interval to every day: a page of 500
    components has 45,000 day bars, and clipping each cost as much as the rest of the page."""
    days = len(bounds) - 1
    totals = [_ZERO] * max(days, 0)
    for begins, ends in intervals:
        index = max(bisect_right(bounds, begins) - 1, 0)
        while index < days and bounds[index] < ends:
            part = min(ends, bounds[index + 1]) - max(begins, bounds[index])
            if part > _ZERO:
                totals[index] += part
            index += 1
    return totals


def band_runs(bands: Sequence[UptimeBand]) -> list[tuple[UptimeBand, int, int]]:
    """Consecutive days of the same band as (band, first day's index, number of days): what a
    compact day strip draws, one shape per run instead of one element per day."""
    runs: list[tuple[UptimeBand, int, int]] = []
    for index, band in enumerate(bands):
        if runs and runs[-1][0] is band:
            runs[-1] = (band, runs[-1][1], runs[-1][2] + 1)
        else:
            runs.append((band, index, 1))
    return runs


def bands_of_runs(runs: Sequence[tuple[UptimeBand, int, int]]) -> list[UptimeBand]:
    """The day-by-day bands a list of runs stands for (the inverse of ``band_runs``)."""
    return [band for band, _first, length in runs for _ in range(length)]


def totals_within(intervals: Sequence[Interval], windows: Sequence[Interval]) -> list[timedelta]:
    """How much of ``intervals`` (sorted, disjoint) falls inside each of ``windows``: the rolling
    windows beside a component (24 hours … 90 days), from running sums instead of clipping the
    whole list once per window."""
    ends = [end for _start, end in intervals]
    running = [_ZERO]
    for start, end in intervals:
        running.append(running[-1] + (end - start))

    def before(moment: datetime) -> timedelta:
        index = bisect_right(ends, moment)  # intervals over by ``moment``
        total = running[index]
        if index < len(intervals) and intervals[index][0] < moment:
            total += moment - intervals[index][0]
        return total

    return [before(end) - before(start) if start < end else _ZERO for start, end in windows]
