"""The incident state machine, against an oracle written as a scan over the whole sequence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from veilleur.domain.incidents import (
    Blip,
    Cause,
    Event,
    IncidentOpened,
    IncidentRecovered,
    MonitorState,
    Phase,
    Result,
    replay,
    step,
)

T0 = datetime(2026, 10, 1, tzinfo=UTC)


def results_from(pattern: str, maintenance: str = "") -> list[Result]:
    """'.' success, 'x' failure; an 'm' at the same index in ``maintenance`` marks a window."""
    return [
        Result(
            at=T0 + timedelta(seconds=30 * i),
            ok=mark == ".",
            error_class="" if mark == "." else "http_status",
            status_code=200 if mark == "." else 500,
            in_maintenance=i < len(maintenance) and maintenance[i] == "m",
        )
        for i, mark in enumerate(pattern)
    ]


def oracle(results: list[Result], confirmations: int) -> list[Event]:
    """The definition, read directly: a run of 1+N eligible failures opens an incident at its first
    failure; the first run of 1+N successes after the confirmation recovers it."""
    need = 1 + confirmations
    events: list[Event] = []
    i = 0
    while i < len(results):
        if results[i].ok or results[i].in_maintenance:
            i += 1
            continue
        j = i
        while j < len(results) and not results[j].ok and not results[j].in_maintenance:
            j += 1
        cause_result = results[i]
        if j - i < need:
            if j < len(results):
                events.append(Blip(results[i].at, results[j].at, _cause(cause_result)))
            i = j
            continue
        events.append(IncidentOpened(results[i].at, results[i + confirmations].at, _cause(cause_result)))
        k = i + need
        while k + need <= len(results) and not all(r.ok for r in results[k : k + need]):
            k += 1
        if k + need > len(results):
            break
        events.append(IncidentRecovered(results[i].at, results[k].at, results[k + confirmations].at))
        i = k + need
    return events


def _cause(result: Result) -> Cause:
    return Cause.of(result)


def test_single_failure_is_a_blip() -> None:
    state, events = replay(results_from("..x..."), confirmations=2)
    assert state.phase is Phase.UP
    assert events == [Blip(T0 + timedelta(seconds=60), T0 + timedelta(seconds=90), events[0].cause)]  # type: ignore[union-attr]


def test_confirmed_outage_opens_then_recovers() -> None:
    results = results_from("..xxxxx...")
    state, events = replay(results, confirmations=2)
    opened, recovered = events
    assert isinstance(opened, IncidentOpened) and isinstance(recovered, IncidentRecovered)
    assert opened.first_failed_at == results[2].at and opened.confirmed_at == results[4].at
    assert opened.cause.status_code == 500
    assert recovered.recovered_at == results[7].at and recovered.resolved_at == results[9].at
    assert state == MonitorState()


def test_flapping_recovery_keeps_the_incident_open() -> None:
    results = results_from("xxx.x..x...")
    _, events = replay(results, confirmations=2)
    assert [type(e) for e in events] == [IncidentOpened, IncidentRecovered]
    assert events[1].recovered_at == results[8].at  # type: ignore[union-attr]


def test_no_incident_opens_in_maintenance() -> None:
    _, events = replay(results_from("xxxxxx...", "mmmmmm"), confirmations=2)
    assert events == []


def test_streak_interrupted_by_maintenance_is_a_blip() -> None:
    _, events = replay(results_from("xxxx", "..mm"), confirmations=2)
    assert [type(e) for e in events] == [Blip]


def test_zero_confirmations_opens_at_once() -> None:
    state, events = replay(results_from("x"), confirmations=0)
    assert state.incident_open and isinstance(events[0], IncidentOpened)


def test_wants_confirmation_while_streak_pending() -> None:
    state, _ = step(MonitorState(), results_from("x")[0], confirmations=2)
    assert state.wants_confirmation


sequences = st.integers(0, 3).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.tuples(st.booleans(), st.integers(0, 9).map(lambda v: v == 0)), max_size=80),
    )
)


def _build(marks: list[tuple[bool, bool]]) -> list[Result]:
    return [
        Result(
            at=T0 + timedelta(seconds=7 * i), ok=ok, error_class="" if ok else "timeout", in_maintenance=maint
        )
        for i, (ok, maint) in enumerate(marks)
    ]


@given(sequences)
def test_machine_matches_the_oracle(case: tuple[int, list[tuple[bool, bool]]]) -> None:
    confirmations, marks = case
    results = _build(marks)
    assert replay(results, confirmations)[1] == oracle(results, confirmations)


@given(sequences)
def test_incidents_never_overlap_and_timestamps_are_ordered(
    case: tuple[int, list[tuple[bool, bool]]],
) -> None:
    confirmations, marks = case
    _, events = replay(_build(marks), confirmations)
    last_end = None
    opened: IncidentOpened | None = None
    for event in events:
        if isinstance(event, IncidentOpened):
            assert opened is None, "an incident opened while another was open"
            assert event.first_failed_at <= event.confirmed_at
            assert last_end is None or last_end <= event.first_failed_at
            opened = event
        elif isinstance(event, IncidentRecovered):
            assert opened is not None and event.first_failed_at == opened.first_failed_at
            assert opened.confirmed_at < event.recovered_at <= event.resolved_at
            last_end, opened = event.recovered_at, None
        else:
            assert opened is None and event.started_at < event.ended_at


@given(sequences, st.integers(0, 80))
def test_restarting_from_stored_state_changes_nothing(
    case: tuple[int, list[tuple[bool, bool]]], cut: int
) -> None:
    """A checker killed between two results resumes from the state stored with the last one."""
    confirmations, marks = case
    results = _build(marks)
    cut = min(cut, len(results))
    state, first = replay(results[:cut], confirmations)
    _, rest = replay(results[cut:], confirmations, state)
    assert first + rest == replay(results, confirmations)[1]
