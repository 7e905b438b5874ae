"""The response SLA (DESIGN.md §5): did a human respond before the commitment's due time?"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


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
