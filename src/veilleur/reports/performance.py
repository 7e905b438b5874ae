"""The monthly report's performance figures for plans with performance monitoring: where the
time of the month's checks went, phase by phase, and the month's lab page metrics (medians of the
days measured). Facts of the month only: a phase without samples or a month without a lab
measurement says so, it is never shown as zero."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from veilleur.domain.rollups import PHASES, HourRollup
from veilleur.lab.models import LabRun, LabStatus


@dataclass(frozen=True)
class PhaseLine:
    phase: str  # dns_ms, connect_ms, tls_ms, ttfb_ms
    samples: int
    per_check_ms: float  # the mean over all sampled checks, one that skipped the phase counting 0


@dataclass(frozen=True)
class LabMonth:
    days_measured: int
    ttfb_ms: float | None  # medians over the days measured
    lcp_ms: float | None
    cls: float | None
    transferred_bytes: float | None
    request_count: float | None


@dataclass(frozen=True)
class SitePerformance:
    phases: tuple[PhaseLine, ...]  # the phases the month's checks went through, in order
    lab: LabMonth

    @property
    def mean_to_first_byte_ms(self) -> float:
        return sum(line.per_check_ms for line in self.phases)

    @property
    def largest(self) -> PhaseLine | None:
        return max(self.phases, key=lambda line: line.per_check_ms, default=None)


def site_performance(month: HourRollup, lab_runs: Sequence[LabRun]) -> SitePerformance:
    """``month`` is the site's month of rollups combined; ``lab_runs`` its lab rows of the month."""
    lines = tuple(
        PhaseLine(phase, month.phases[phase].count, month.phase_share_ms(phase) or 0.0)
        for phase in PHASES
        if month.phases[phase].count
    )
    return SitePerformance(lines, lab_month(lab_runs))


def lab_month(runs: Sequence[LabRun]) -> LabMonth:
    measured = [run for run in runs if run.status == LabStatus.MEASURED]

    def median(name: str) -> float | None:
        values = [getattr(run, name) for run in measured if getattr(run, name) is not None]
        return float(statistics.median(values)) if values else None

    return LabMonth(
        days_measured=len(measured),
        ttfb_ms=median("ttfb_ms"),
        lcp_ms=median("lcp_ms"),
        cls=median("cls"),
        transferred_bytes=median("transferred_bytes"),
        request_count=median("request_count"),
    )


def lab_runs_by_site(site_ids: Sequence[int], start: datetime, end: datetime) -> dict[int, list[LabRun]]:
    """Lab rows of the sites measured within ``[start, end)`` (one query)."""
    found: dict[int, list[LabRun]] = defaultdict(list)
    rows = LabRun.objects.filter(site_id__in=site_ids, finished_at__gte=start, finished_at__lt=end)
    for run in rows.order_by("day"):
        found[run.site_id].append(run)
    return found
