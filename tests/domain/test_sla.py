"""SLA outcomes, as DESIGN.md §5 defines them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from veilleur.domain.sla import SlaOutcome, sla_outcome

DUE = datetime(2026, 11, 30, 8, 55, tzinfo=UTC)
minute = timedelta(minutes=1)


def test_outcomes() -> None:
    assert sla_outcome(None, None, None, DUE) is SlaOutcome.NONE
    assert sla_outcome(DUE, DUE, None, DUE + minute) is SlaOutcome.MET  # at the due time is in time
    assert sla_outcome(DUE, DUE + minute, None, DUE + minute) is SlaOutcome.BREACHED
    assert sla_outcome(DUE, None, DUE - minute, DUE + minute) is SlaOutcome.MET_RECOVERED
    assert sla_outcome(DUE, None, None, DUE - minute) is SlaOutcome.PENDING
    assert sla_outcome(DUE, None, None, DUE) is SlaOutcome.BREACHED
    assert sla_outcome(DUE, None, DUE + minute, DUE + 2 * minute) is SlaOutcome.BREACHED
    # An acknowledgement in time counts as met even if the site recovered earlier.
    assert sla_outcome(DUE, DUE - minute, DUE - 2 * minute, DUE) is SlaOutcome.MET


offsets = st.none() | st.integers(-120, 120).map(lambda m: DUE + m * minute)


@given(offsets, offsets, st.integers(-120, 120).map(lambda m: DUE + m * minute))
def test_pending_only_before_due_and_met_only_with_ack_in_time(
    acked: datetime | None, recovered: datetime | None, now: datetime
) -> None:
    outcome = sla_outcome(DUE, acked, recovered, now)
    if outcome is SlaOutcome.PENDING:
        assert now < DUE and acked is None
    if outcome is SlaOutcome.MET:
        assert acked is not None and acked <= DUE
    if outcome is SlaOutcome.BREACHED:
        late_ack = acked is not None and acked > DUE
        recovered_in_time = recovered is not None and recovered <= DUE
        assert late_ack or (acked is None and now >= DUE and not recovered_in_time)
