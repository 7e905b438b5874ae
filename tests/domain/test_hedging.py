"""Hedged confirmation: when re-checks start, which are kept, and what the state machine makes of
them, against an oracle that reads the rules off a simulated timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from veilleur.domain.hedging import (
    MIN_GAIN_FACTOR,
    Timed,
    hedge_starts,
    in_record_order,
    kept_rechecks,
    worth_hedging,
)
from veilleur.domain.incidents import (
    Blip,
    Cause,
    IncidentOpened,
    MonitorState,
    Phase,
    Result,
    replay,
)

T0 = datetime(2026, 10, 1, 12, tzinfo=UTC)
seconds = st.floats(min_value=0.0, max_value=60.0, allow_nan=False)


@given(
    timeout=st.floats(min_value=0.5, max_value=60.0),
    confirmations=st.integers(0, 5),
    after=st.floats(min_value=-1.0, max_value=30.0),
    spacing=st.floats(min_value=-1.0, max_value=5.0),
)
def test_re_checks_start_well_before_the_timeout_a_little_apart(
    timeout: float, confirmations: int, after: float, spacing: float
) -> None:
    starts = hedge_starts(timeout, confirmations, after, spacing)
    # Brute force: every candidate start, one per confirmation, kept when it beats the timeout.
    expected = []
    if after > 0 and after * MIN_GAIN_FACTOR <= timeout:
        for index in range(confirmations):
            candidate = after + index * (spacing if spacing > 0 else 0.0)
            if candidate < timeout:
                expected.append(candidate)
    assert starts == expected
    assert len(starts) <= confirmations
    assert all(after <= start < timeout for start in starts)
    assert starts == sorted(starts)


@given(phase=st.sampled_from(list(Phase)), confirmations=st.integers(0, 5), in_maintenance=st.booleans())
def test_only_a_check_whose_failure_waits_for_confirmation_is_hedged(
    phase: Phase, confirmations: int, in_maintenance: bool
) -> None:
    hedged = worth_hedging(MonitorState(phase=phase), confirmations, in_maintenance)
    assert hedged == (phase is Phase.UP and confirmations > 0 and not in_maintenance)


@dataclass(frozen=True)
class Probe:
    """One simulated check: started ``start`` s after the first, answered ``duration`` s later."""

    start: float
    duration: float
    ok: bool

    def timed(self) -> Timed:
        begins = T0 + timedelta(seconds=self.start)
        return Timed(begins, begins + timedelta(seconds=self.duration), self.ok)


@st.composite
def hedged_checks(draw: st.DrawFn) -> tuple[int, Probe, list[Probe]]:
    """A first check and the re-checks that started while it was unanswered (the checker starts
    one only then), each with its own outcome and duration up to the timeout."""
    confirmations = draw(st.integers(1, 5))
    timeout = draw(st.floats(min_value=1.0, max_value=30.0))
    starts = hedge_starts(timeout, confirmations, draw(st.floats(0.1, 10.0)), draw(st.floats(0.0, 2.0)))
    first = Probe(0.0, draw(st.floats(min_value=0.0, max_value=timeout)), draw(st.booleans()))
    rechecks = [
        Probe(start, draw(st.floats(min_value=0.0, max_value=timeout)), draw(st.booleans()))
        for start in starts
        if start < first.duration
    ]
    return confirmations, first, rechecks


def as_results(checks: list[Timed]) -> list[Result]:
    return [
        Result(
            at=check.started_at,
            ok=check.ok,
            error_class="" if check.ok else "timeout",
            completed_at=check.completed_at,
        )
        for check in checks
    ]


@given(hedged_checks())
def test_hedged_re_checks_confirm_exactly_as_the_rules_say(case: tuple[int, Probe, list[Probe]]) -> None:
    confirmations, first, rechecks = case
    kept = kept_rechecks(first.ok, [probe.timed() for probe in rechecks])
    ordered = in_record_order(first.timed(), kept)
    state, events = replay(as_results(ordered), confirmations)

    # The oracle, read off the timeline: a success of the first check drops every re-check; a
    # failure is followed by its re-checks in the order they started; an incident opens when the
    # first 1 + confirmations of those all failed, downtime from the first check's start,
    # confirmed when the last verdict needed was in (the latest answer among them).
    if first.ok:
        assert kept == [] and events == [] and state == MonitorState()
        return
    sequence = [first, *sorted(rechecks, key=lambda probe: probe.start)]
    assert [check.started_at for check in ordered] == [probe.timed().started_at for probe in sequence]
    pairs = zip(ordered, sequence, strict=True)
    assert all(check.completed_at >= probe.timed().completed_at for check, probe in pairs)
    needed = sequence[: 1 + confirmations]
    if all(not probe.ok for probe in needed) and len(needed) == 1 + confirmations:
        known = max(probe.timed().completed_at for probe in needed)
        assert events == [IncidentOpened(T0, known, Cause("timeout", None, ""))]
        assert state.phase is Phase.DOWN and state.incident_started_at == T0
        return
    # Not confirmed: fewer checks than 1 + confirmations in the sequence (the re-checks that
    # did not start are made later, one at a time), so no incident; each failing run that a
    # success ends is a blip, and a failing run at the end awaits confirmation.
    assert (events, state) == scan_without_incident(sequence)


def scan_without_incident(sequence: list[Probe]) -> tuple[list[Blip], MonitorState]:
    blips: list[Blip] = []
    run: list[Probe] = []
    for probe in sequence:
        if probe.ok:
            if run:
                blips.append(Blip(run[0].timed().started_at, probe.timed().started_at, cause_of(run[0])))
            run = []
        else:
            run.append(probe)
    if not run:
        return blips, MonitorState()
    started = run[0].timed().started_at
    return blips, MonitorState(Phase.CONFIRMING_DOWN, len(run), started, cause_of(run[0]))


def cause_of(probe: Probe) -> Cause:
    return Cause("" if probe.ok else "timeout", None, "")


@given(
    confirmations=st.integers(1, 5),
    timeout=st.integers(4, 60),
    after=st.floats(0.1, 2.0),
    spacing=st.floats(0.0, 0.5),
)
def test_a_hung_site_is_confirmed_about_one_timeout_after_its_first_check(
    confirmations: int, timeout: int, after: float, spacing: float
) -> None:
    """Every check times out: the incident is confirmed when the last re-check gives up, the
    last start plus one timeout, instead of 1 + confirmations timeouts in a row."""
    starts = hedge_starts(timeout, confirmations, after, spacing)
    first = Probe(0.0, timeout, False)
    rechecks = [Probe(start, timeout, False) for start in starts]
    ordered = in_record_order(first.timed(), kept_rechecks(False, [probe.timed() for probe in rechecks]))
    _, events = replay(as_results(ordered), confirmations)
    if len(starts) < confirmations:
        assert events == []
        return
    (opened,) = events
    assert isinstance(opened, IncidentOpened)
    assert opened.first_failed_at == T0
    assert opened.confirmed_at == T0 + timedelta(seconds=starts[-1] + timeout)
    assert opened.confirmed_at - T0 < timedelta(seconds=timeout * (1 + confirmations))
