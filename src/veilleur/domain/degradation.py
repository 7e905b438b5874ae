"""Degraded performance: when a site that is up is slow enough, for long enough, to be an incident.

A regular check that succeeded is *slow* when either rule holds:

- **threshold**: its total time is above the site's threshold (the plan's default unless the
  site sets its own);
- **baseline**: the p95 of the successful checks of the last 15 minutes (this one included) is
  above ``baseline_factor`` times the monitor's usual p95 (14 full UTC days of rollups). No
  baseline until enough history exists (:data:`MIN_BASELINE_DAYS` days holding
  :data:`MIN_BASELINE_SAMPLES` samples), and no 15-minute p95 on fewer than
  :data:`MIN_WINDOW_SAMPLES` checks: a new site is judged on its threshold only.

A DEGRADED incident opens at the ``after_checks``-th slow check in a row (its start is the first
of them) and clears at the ``after_checks``-th normal check in a row (its recovery is the first
of those). A failed check is the DOWN machinery's business: it is not judged here, neither
extending a slow streak nor breaking it, so a site that is slow, fails once and stays slow is one
streak. The caller passes regular checks only: confirmation re-checks would weigh a moment twice,
and planned work (maintenance windows) is not the site's usual speed.

Slow-but-up is never downtime (DESIGN.md §5): nothing here feeds uptime.
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from veilleur.domain.histogram import LatencyHistogram

BASELINE_WINDOW = timedelta(minutes=15)
BASELINE_QUANTILE = 0.95
BASELINE_DAYS = 14
# A usual speed needs a few days behind it (weekday and weekend, day and night) and enough
# checks: 3 days and 1,000 samples is under 2 days of checks at 60 s, 9 hours at 30 s, so the
# day count decides for the plans that monitor performance.
MIN_BASELINE_DAYS = 3
MIN_BASELINE_SAMPLES = 1000
# A p95 of fewer checks than this is one slow answer, not a trend.
MIN_WINDOW_SAMPLES = 5


@dataclass(frozen=True)
class TimedCheck:
    """A regular check outside maintenance: when it completed, whether it succeeded, its total time."""

    at: datetime
    ok: bool
    total_ms: int | None


@dataclass(frozen=True)
class SlownessRule:
    above_ms: int
    after_checks: int
    baseline_factor: float
    baseline_p95_ms: float | None  # None: not enough history for the baseline rule

    @property
    def baseline_limit_ms(self) -> float | None:
        return None if self.baseline_p95_ms is None else self.baseline_factor * self.baseline_p95_ms


@dataclass(frozen=True)
class DegradedSpan:
    """A degraded-performance incident's timestamps; ``resolved_at`` None while it lasts."""

    first_slow_at: datetime
    confirmed_at: datetime
    recovered_at: datetime | None = None
    resolved_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


def judged(check: TimedCheck) -> bool:
    """Only successful checks with a total time are judged; failures belong to DOWN incidents."""
    return check.ok and check.total_ms is not None


def slowness(checks: Sequence[TimedCheck], rule: SlownessRule) -> list[bool | None]:
    """For each check (oldest first): slow, normal, or None when it is not judged.

    The 15-minute p95 is kept in a sorted window that checks enter and leave once each, so the
    whole sequence costs O(n log n) rather than a sort per check.
    """
    limit = rule.baseline_limit_ms
    window: list[int] = []
    entered: deque[TimedCheck] = deque()
    flags: list[bool | None] = []
    for check in checks:
        if not judged(check):
            flags.append(None)
            continue
        assert check.total_ms is not None
        insort(window, check.total_ms)
        entered.append(check)
        while entered[0].at <= check.at - BASELINE_WINDOW:
            gone = entered.popleft()
            assert gone.total_ms is not None
            del window[bisect_left(window, gone.total_ms)]
        over_threshold = check.total_ms > rule.above_ms
        over_baseline = (
            limit is not None
            and len(window) >= MIN_WINDOW_SAMPLES
            and window[_nearest_rank_index(len(window))] > limit
        )
        flags.append(over_threshold or over_baseline)
    return flags


def _nearest_rank_index(count: int) -> int:
    return max(1, math.ceil(BASELINE_QUANTILE * count)) - 1


def degraded_spans(
    checks: Sequence[TimedCheck],
    flags: Sequence[bool | None],
    after_checks: int,
    open_span: DegradedSpan | None = None,
) -> list[DegradedSpan]:
    """The degraded spans the checks make, oldest first; ``open_span`` is one still open before
    the first check (its clearing streak starts again with these checks). The last span may be
    open."""
    if after_checks < 1:
        raise ValueError("after_checks is at least 1")
    spans: list[DegradedSpan] = []
    current = open_span
    streak_start: datetime | None = None
    streak = 0
    for check, slow in zip(checks, flags, strict=True):
        if slow is None:
            continue
        # Open: count normal checks in a row; closed: slow ones.
        counts = (not slow) if current is not None else slow
        if not counts:
            streak, streak_start = 0, None
            continue
        streak += 1
        streak_start = streak_start or check.at
        if streak < after_checks:
            continue
        if current is None:
            current = DegradedSpan(first_slow_at=streak_start, confirmed_at=check.at)
        else:
            spans.append(replace(current, recovered_at=streak_start, resolved_at=check.at))
            current = None
        streak, streak_start = 0, None
    if current is not None and current is not open_span:
        spans.append(current)
    return spans


def baseline_p95(days: Iterable[LatencyHistogram]) -> float | None:
    """The usual p95 from the histograms of the last :data:`BASELINE_DAYS` UTC days (one per day
    with samples), or None while history is too short to say what usual is."""
    filled = [day for day in days if day.count]
    merged = LatencyHistogram.merge_all(filled)
    if len(filled) < MIN_BASELINE_DAYS or merged.count < MIN_BASELINE_SAMPLES:
        return None
    return merged.quantile(BASELINE_QUANTILE)
