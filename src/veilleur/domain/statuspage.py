"""What a public status page says about a component and about the whole: Statuspage's words.

A component is a site; a site has one or more monitors. From the monitors' open incidents and
the maintenance in progress this module decides the component's status, the page's overall
status, and the colour band of a day's uptime. Pure: no Django, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


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
