"""What the staff overview says about a site right now, and the heartbeat bars beside it.

A site's state comes from its monitors: their pause flags, their open incidents, the maintenance
window in progress and how recent their last check is. Pure: no Django, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# A monitor with no result for longer than this many intervals (plus the margin) has no data:
# the same threshold as a no-data gap in the accounting rules (DESIGN §5).
STALE_INTERVALS = 2
STALE_MARGIN = timedelta(seconds=30)


class SiteState(StrEnum):
    DOWN = "down"
    PARTIAL = "partial"  # failing from some regions while most succeed (checkers in several regions)
    DEGRADED = "degraded"
    NO_DATA = "no_data"
    MAINTENANCE = "maintenance"
    PAUSED = "paused"
    UP = "up"


# Problems first: the order of the overview's default sort, worst first.
PROBLEM_RANK = {state: rank for rank, state in enumerate(SiteState)}


@dataclass(frozen=True)
class MonitorFacts:
    paused: bool
    interval: timedelta
    last_checked_at: datetime | None
    open_down: bool  # in a confirmed outage now
    open_degraded: bool  # in a "slow but up" incident now
    open_partial: bool = False  # in a partial outage now (some regions fail, most succeed)


def is_stale(monitor: MonitorFacts, now: datetime) -> bool:
    """No check yet, or none for longer than a no-data gap lasts."""
    if monitor.last_checked_at is None:
        return True
    return now - monitor.last_checked_at > STALE_INTERVALS * monitor.interval + STALE_MARGIN


def site_state(monitors: list[MonitorFacts], in_maintenance: bool, now: datetime) -> SiteState:
    """Nothing watched: no data. All paused: paused. A window in progress wins over failures (no
    incident opens during one). Then down, partial outage, degraded, no recent check, up."""
    checked = [monitor for monitor in monitors if not monitor.paused]
    if not monitors:
        return SiteState.NO_DATA
    if not checked:
        return SiteState.PAUSED
    if in_maintenance:
        return SiteState.MAINTENANCE
    if any(monitor.open_down for monitor in checked):
        return SiteState.DOWN
    if any(monitor.open_partial for monitor in checked):
        return SiteState.PARTIAL
    if any(monitor.open_degraded for monitor in checked):
        return SiteState.DEGRADED
    if any(is_stale(monitor, now) for monitor in checked):
        return SiteState.NO_DATA
    return SiteState.UP


class Beat(StrEnum):
    """One hour's bar: no check, every check passed, or some failed."""

    NONE = "none"
    OK = "ok"
    FAILED = "failed"


def beat_of(checks: int, failures: int) -> Beat:
    if checks == 0:
        return Beat.NONE
    return Beat.FAILED if failures else Beat.OK
