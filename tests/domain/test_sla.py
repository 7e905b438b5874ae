"""SLA outcomes, as DESIGN.md §5 defines them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import assume, given
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
    # The clock stopped at the recovery: the acknowledgement after it is recorded, changes nothing.
    assert sla_outcome(DUE, DUE - minute, DUE - 2 * minute, DUE) is SlaOutcome.MET_RECOVERED
    assert sla_outcome(DUE, DUE + 4 * 60 * minute, DUE - 55 * minute, DUE + 5 * 60 * minute) is (
        SlaOutcome.MET_RECOVERED
    )
    # An acknowledgement before a late recovery stopped the clock in time.
    assert sla_outcome(DUE, DUE - minute, DUE + minute, DUE + minute) is SlaOutcome.MET
    assert sla_outcome(DUE, DUE - minute, DUE - minute, DUE) is SlaOutcome.MET  # a tie is the human's


offsets = st.none() | st.integers(-120, 120).map(lambda m: DUE + m * minute)


def oracle(due: datetime, acked: datetime | None, recovered: datetime | None, now: datetime) -> SlaOutcome:
    """The rule walked minute by minute: the clock runs until the first acknowledgement or
    recovery; what stopped it, and whether that was by the due time, decides."""
    instant = DUE - 200 * minute
    while instant <= max(now, due) + minute:
        stopped_by_ack = acked is not None and acked <= instant
        stopped_by_recovery = recovered is not None and recovered <= instant
        if stopped_by_ack or stopped_by_recovery:
            if instant > due:
                return SlaOutcome.BREACHED
            return SlaOutcome.MET if stopped_by_ack else SlaOutcome.MET_RECOVERED
        if instant >= now:
            return SlaOutcome.PENDING if instant < due else SlaOutcome.BREACHED
        instant += minute
    raise AssertionError("the walk always ends")


@given(offsets, offsets, st.integers(-120, 120).map(lambda m: DUE + m * minute))
def test_outcome_equals_the_minute_walk(
    acked: datetime | None, recovered: datetime | None, now: datetime
) -> None:
    assume(all(event is None or event <= now for event in (acked, recovered)))  # nothing from the future
    assert sla_outcome(DUE, acked, recovered, now) is oracle(DUE, acked, recovered, now)


@given(st.integers(-120, 120).map(lambda m: DUE + m * minute), st.integers(0, 600).map(lambda m: m * minute))
def test_an_acknowledgement_after_the_recovery_changes_nothing(recovered: datetime, later: timedelta) -> None:
    """Acknowledged from the mail hours after the site came back: the outcome stays as it was."""
    acked = recovered + later + timedelta(seconds=1)
    now = acked + minute
    assert sla_outcome(DUE, acked, recovered, now) is sla_outcome(DUE, None, recovered, now)


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
