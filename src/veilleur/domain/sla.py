"""The response SLA (DESIGN.md §5): did a human respond before the commitment's due time?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from veilleur.domain.businesstime import BusinessCalendar

WARN_AT_FRACTION = 0.75


class SlaOutcome(StrEnum):
    NONE = "none"  # no response commitment applied to this incident
    PENDING = "pending"  # not acknowledged, still before the due time
    MET = "met"  # acknowledged at or before the due time
    MET_RECOVERED = "met_recovered"  # recovered before the due time without an acknowledgement
    BREACHED = "breached"  # acknowledged late, or not at all by the due time


def sla_outcome(
    due_at: datetime | None, acknowledged_at: datetime | None, recovered_at: datetime | None, now: datetime
) -> SlaOutcome:
    if due_at is None:
        return SlaOutcome.NONE
    if acknowledged_at is not None and acknowledged_at <= due_at:
        return SlaOutcome.MET
    if acknowledged_at is None and recovered_at is not None and recovered_at <= due_at:
        return SlaOutcome.MET_RECOVERED
    if acknowledged_at is None and now < due_at:
        return SlaOutcome.PENDING
    return SlaOutcome.BREACHED


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
