"""Phase timings of a site over a range: where the time of its checks goes, per hour or per day.

Read from the hourly rollups of all the site's monitors (``read.site_hourly_rollups``, which
also rolls up hours still in raw rows), so the site page, the monthly report and the API agree.
Means are exact (``domain.rollups`` keeps a count and a sum per phase and hour).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Literal

from veilleur.clients.models import Site
from veilleur.domain.rollups import PHASES, HourRollup, combine_all
from veilleur.history import read
from veilleur.monitoring.models import Monitor

# Names of the phases outside the code (API fields, templates): the record field without "_ms".
PHASE_NAMES = {phase: phase.removesuffix("_ms") for phase in PHASES}


@dataclass(frozen=True)
class PhaseFigures:
    samples: int  # checks that went through the phase
    mean_ms: float | None  # their mean time in it
    per_check_ms: float | None  # the mean over all sampled checks, a check that skipped it counting 0


@dataclass(frozen=True)
class PhaseBucket:
    start: datetime
    end: datetime
    checks: int  # successful regular checks: those the phases sample
    phases: dict[str, PhaseFigures]  # keyed by PHASE_NAMES values: dns, connect, tls, ttfb

    @property
    def measured(self) -> bool:
        return any(figures.samples for figures in self.phases.values())


def figures_of(rollup: HourRollup) -> dict[str, PhaseFigures]:
    return {
        PHASE_NAMES[phase]: PhaseFigures(
            samples=rollup.phases[phase].count,
            mean_ms=rollup.phases[phase].mean_ms,
            per_check_ms=rollup.phase_share_ms(phase),
        )
        for phase in PHASES
    }


def site_phase_buckets(
    site: Site,
    start: datetime,
    end: datetime,
    granularity: Literal["hour", "day"] = "day",
    zone: str | None = None,
    monitors: Sequence[Monitor] | None = None,
) -> list[PhaseBucket]:
    """Every whole hour or day (calendar days of ``zone``, the client's by default) overlapping
    ``[start, end)``, empty ones included."""
    zone_name = zone or site.client.time_zone
    bounds = read.bucket_bounds(start, end, granularity, zone_name)
    if len(bounds) < 2:
        return []
    chosen = monitors if monitors is not None else list(Monitor.objects.filter(site=site))
    by_hour = read.site_hourly_rollups([m.pk for m in chosen], site.apdex_threshold_ms, bounds[0], bounds[-1])
    buckets = []
    for bucket_start, bucket_end in pairwise(bounds):
        rollup = _combined(by_hour, bucket_start, bucket_end)
        buckets.append(PhaseBucket(bucket_start, bucket_end, rollup.latency.count, figures_of(rollup)))
    return buckets


def _combined(by_hour: dict[datetime, HourRollup], start: datetime, end: datetime) -> HourRollup:
    return combine_all(_within(by_hour, start, end))


def _within(by_hour: dict[datetime, HourRollup], start: datetime, end: datetime) -> Iterable[HourRollup]:
    return (rollup for hour, rollup in by_hour.items() if start <= hour < end)
