"""Per-region figures of a monitor's checks over a period: what each region saw, and how fast.

Pure. Regular checks only (confirming checks are extra checks made because something changed,
and would weigh a failing region twice); checks during maintenance are left out, as everywhere.
The success ratio is a share of checks, not an uptime: uptime is time-based and site-wide
(DESIGN.md §5); this says how often each region found the site answering.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RegionalCheck:
    region: str
    checked_at: datetime
    ok: bool
    total_ms: int | None
    confirmation: bool = False
    in_maintenance: bool = False


@dataclass(frozen=True)
class RegionSummary:
    region: str
    checks: int
    failures: int
    success_ratio: float | None  # None without a check
    p50_ms: int | None  # of the successful checks' total response times
    p95_ms: int | None
    last_checked_at: datetime | None
    last_ok: bool | None
    last_total_ms: int | None


def nearest_rank(sorted_values: list[int], fraction: float) -> int | None:
    """The nearest-rank percentile: the smallest value with at least ``fraction`` of them at or below."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def summarise(checks: Iterable[RegionalCheck]) -> list[RegionSummary]:
    """One summary per region seen, by region name."""
    by_region: dict[str, list[RegionalCheck]] = {}
    for check in checks:
        if check.confirmation or check.in_maintenance:
            continue
        by_region.setdefault(check.region, []).append(check)
    return [_summary(region, by_region[region]) for region in sorted(by_region)]


def _summary(region: str, checks: list[RegionalCheck]) -> RegionSummary:
    failures = sum(1 for check in checks if not check.ok)
    times = sorted(check.total_ms for check in checks if check.ok and check.total_ms is not None)
    last = max(checks, key=lambda check: check.checked_at)
    return RegionSummary(
        region=region,
        checks=len(checks),
        failures=failures,
        success_ratio=(len(checks) - failures) / len(checks),
        p50_ms=nearest_rank(times, 0.5),
        p95_ms=nearest_rank(times, 0.95),
        last_checked_at=last.checked_at,
        last_ok=last.ok,
        last_total_ms=last.total_ms,
    )
