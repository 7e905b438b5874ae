"""The incident state machine: from a monitor's check results to incidents and blips.

Pure: it is fed one result at a time, in time order, and returns the new state with what
happened. The state is a small value the caller stores with the results (one transaction), so a
checker killed at any moment restarts exactly where the last committed result left it.

The rules (DESIGN.md §5):
- A failure is re-checked at once: ``confirmations`` more consecutive failures open an incident.
  A success before then ends the streak as a *blip* (counts zero downtime, but is listed).
- An open incident recovers after ``1 + confirmations`` consecutive successes; a failure in
  between means it was never recovered.
- The incident's downtime runs from the first failed check of the streak that got confirmed to
  the first successful check of the confirmed recovery.
- During a maintenance window results are kept and marked, and no incident opens: a failure
  neither starts nor continues a streak (a pending streak ends as a blip). An incident already
  open stays open and may recover.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class Phase(StrEnum):
    UP = "up"
    CONFIRMING_DOWN = "confirming_down"  # failures seen, not yet confirmed
    DOWN = "down"  # an incident is open
    CONFIRMING_UP = "confirming_up"  # an incident is open and successes are being confirmed


@dataclass(frozen=True)
class Result:
    """One check result as the state machine needs it."""

    at: datetime
    ok: bool
    error_class: str = ""
    status_code: int | None = None
    message: str = ""
    in_maintenance: bool = False
    completed_at: datetime | None = None  # when the verdict was known; ``at`` when unknown

    @property
    def known_at(self) -> datetime:
        return self.completed_at or self.at


@dataclass(frozen=True)
class Cause:
    error_class: str
    status_code: int | None
    message: str

    @classmethod
    def of(cls, result: Result) -> Cause:
        return cls(result.error_class, result.status_code, result.message)


@dataclass(frozen=True)
class MonitorState:
    phase: Phase = Phase.UP
    streak: int = 0  # consecutive results of the kind being confirmed
    streak_started_at: datetime | None = None  # first failure (down) or first success (up) of the streak
    cause: Cause | None = None  # the first failure of the current failing streak or open incident
    incident_started_at: datetime | None = None  # first_failed_at of the open incident

    @property
    def incident_open(self) -> bool:
        return self.phase in (Phase.DOWN, Phase.CONFIRMING_UP)

    @property
    def wants_confirmation(self) -> bool:
        """True while a streak awaits confirmation: the checker re-checks at once."""
        return self.phase in (Phase.CONFIRMING_DOWN, Phase.CONFIRMING_UP)


@dataclass(frozen=True)
class IncidentOpened:
    first_failed_at: datetime
    confirmed_at: datetime  # when the confirming check completed
    cause: Cause


@dataclass(frozen=True)
class IncidentRecovered:
    first_failed_at: datetime
    recovered_at: datetime  # the first successful check of the confirmed recovery
    resolved_at: datetime  # the check that confirmed it


@dataclass(frozen=True)
class Blip:
    """A failing streak that was not confirmed: zero downtime, listed all the same."""

    started_at: datetime
    ended_at: datetime
    cause: Cause


Event = IncidentOpened | IncidentRecovered | Blip


def step(state: MonitorState, result: Result, confirmations: int) -> tuple[MonitorState, Event | None]:
    """Feed one result (in time order); returns the new state and the event it caused, if any."""
    if confirmations < 0:
        raise ValueError("confirmations must be zero or more")
    if state.incident_open:
        return _step_while_down(state, result, confirmations)
    return _step_while_up(state, result, confirmations)


def _step_while_up(
    state: MonitorState, result: Result, confirmations: int
) -> tuple[MonitorState, Event | None]:
    if result.ok or result.in_maintenance:
        if state.phase is Phase.CONFIRMING_DOWN:
            assert state.streak_started_at is not None and state.cause is not None
            return MonitorState(), Blip(state.streak_started_at, result.at, state.cause)
        return MonitorState(), None
    if state.phase is Phase.UP:
        state = MonitorState(Phase.CONFIRMING_DOWN, 0, result.at, Cause.of(result))
    state = replace(state, streak=state.streak + 1)
    if state.streak < 1 + confirmations:
        return state, None
    assert state.streak_started_at is not None and state.cause is not None
    # Confirmed when the confirming check completed: for a site that hangs, a timeout after its start.
    opened = IncidentOpened(state.streak_started_at, result.known_at, state.cause)
    return MonitorState(Phase.DOWN, 0, None, state.cause, state.streak_started_at), opened


def _step_while_down(
    state: MonitorState, result: Result, confirmations: int
) -> tuple[MonitorState, Event | None]:
    down = MonitorState(Phase.DOWN, 0, None, state.cause, state.incident_started_at)
    if not result.ok:
        return down, None
    if state.phase is Phase.DOWN:
        state = replace(state, phase=Phase.CONFIRMING_UP, streak=0, streak_started_at=result.at)
    state = replace(state, streak=state.streak + 1)
    if state.streak < 1 + confirmations:
        return state, None
    assert state.streak_started_at is not None and state.incident_started_at is not None
    recovered = IncidentRecovered(state.incident_started_at, state.streak_started_at, result.at)
    return MonitorState(), recovered


def replay(
    results: list[Result], confirmations: int, state: MonitorState | None = None
) -> tuple[MonitorState, list[Event]]:
    """Feed a whole sequence; handy for tests and for rebuilding state from stored results."""
    current = state or MonitorState()
    events: list[Event] = []
    for result in results:
        current, event = step(current, result, confirmations)
        if event is not None:
            events.append(event)
    return current, events
