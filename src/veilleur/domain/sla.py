"""The response SLA (DESIGN.md §5): did a human respond before the commitment's due time?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from veilleur.domain.businesstime import BusinessCalendar

WARN_AT_FRACTION = 0.75


class SlaOutcome(StrEnum):
    NONE = "none"  # no response commitment applied to this incident
    PENDING = "pending"  # the clock is still running, before the due time
    MET = "met"  # the clock stopped at an acknowledgement, at or before the due time
    MET_RECOVERED = "met_recovered"  # the clock stopped at the recovery, at or before the due time
    BREACHED = "breached"  # the clock stopped after the due time, or still runs past it


def clock_stopped_at(acknowledged_at: datetime | None, recovered_at: datetime | None) -> datetime | None:
    """The clock stops at the first of a human acknowledgement or the confirmed recovery: once the
    site is back, nothing is left to respond to, so a later acknowledgement changes nothing."""
    stops = [at for at in (acknowledged_at, recovered_at) if at is not None]
    return min(stops) if stops else None


def sla_outcome(
    due_at: datetime | None, acknowledged_at: datetime | None, recovered_at: datetime | None, now: datetime
) -> SlaOutcome:
    """The one rule every report, page, API answer and notice follows (DESIGN.md §5)."""
    if due_at is None:
        return SlaOutcome.NONE
    stopped_at = clock_stopped_at(acknowledged_at, recovered_at)
    if stopped_at is None:
        return SlaOutcome.PENDING if now < due_at else SlaOutcome.BREACHED
    if stopped_at > due_at:
        return SlaOutcome.BREACHED
    # An acknowledgement at the very instant of the recovery is the human response.
    return SlaOutcome.MET if stopped_at == acknowledged_at else SlaOutcome.MET_RECOVERED


def clock_running(acknowledged_at: datetime | None, recovered_at: datetime | None, now: datetime) -> bool:
    """True while neither an acknowledgement nor the recovery has stopped the clock by ``now``."""
    stopped_at = clock_stopped_at(acknowledged_at, recovered_at)
    return stopped_at is None or stopped_at > now


@dataclass(frozen=True)
class SlaClock:
    started_at: datetime
    warn_at: datetime
    due_at: datetime


def sla_clock(confirmed_at: datetime, target: timedelta, calendar: BusinessCalendar) -> SlaClock:
    """The clock starts at the confirmation, or at the calendar's next opening; warning and due
    times are reached after 75 % and 100 % of the target in the calendar's open time (a 24/7
    calendar makes that real time). Raises NoOpeningError for a calendar that never opens."""
    started_at = calendar.next_opening(confirmed_at)
    return SlaClock(
        started_at=started_at,
        warn_at=calendar.add_business(started_at, target * WARN_AT_FRACTION),
        due_at=calendar.add_business(started_at, target),
    )
