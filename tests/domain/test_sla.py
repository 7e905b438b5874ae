"""SLA outcomes, as DESIGN.md §5 defines them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from veilleur.domain.businesstime import BusinessCalendar
from veilleur.domain.sla import SlaOutcome, sla_clock, sla_outcome

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


PARIS_HOURS = {day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def paris(*args: int) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo("Europe/Paris")).astimezone(UTC)


def test_standard_plan_friday_evening_is_due_monday_morning() -> None:
    calendar = BusinessCalendar.from_stored("Europe/Paris", PARIS_HOURS, [])
    clock = sla_clock(paris(2026, 11, 27, 17, 55), timedelta(hours=1), calendar)
    assert clock.started_at == paris(2026, 11, 27, 17, 55)
    assert clock.warn_at == paris(2026, 11, 30, 9, 40)
    assert clock.due_at == paris(2026, 11, 30, 9, 55)


def test_christmas_eve_after_closing_is_due_after_the_holidays() -> None:
    calendar = BusinessCalendar.from_stored("Europe/Paris", PARIS_HOURS, ["2026-12-25", "2027-01-01"])
    clock = sla_clock(paris(2026, 12, 24, 18, 30), timedelta(hours=1), calendar)
    assert clock.started_at == paris(2026, 12, 28, 9, 0)
    assert clock.due_at == paris(2026, 12, 28, 10, 0)


def test_premium_is_thirty_minutes_whatever_the_day() -> None:
    clock = sla_clock(paris(2026, 12, 25, 3, 10), timedelta(minutes=30), BusinessCalendar.always_open())
    assert clock.due_at == paris(2026, 12, 25, 3, 40)
    assert clock.warn_at == paris(2026, 12, 25, 3, 32, 30)
