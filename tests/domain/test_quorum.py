"""Confirmation across regions (domain/quorum.py), against brute-force oracles:

- one region alone behaves exactly as the local state machine (domain/incidents.py);
- a round's verdict is the majority rule written out plainly;
- with every region's health fixed, the rounds end within a bound, on the verdict the plain rule
  gives, and the incidents' timestamps and alternation keep the state machine's guarantees.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veilleur.domain.incidents import (
    Blip,
    IncidentOpened,
    IncidentRecovered,
    MonitorState,
    Result,
    replay,
)
from veilleur.domain.quorum import (
    Ask,
    PartialChanged,
    PartialEnded,
    PartialOpened,
    RegionCheck,
    judge,
    step_regions,
)

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
REGIONS = ["eu-west", "us-east", "ap-south", "sa-east", "af-south"]


def result(i: int, ok: bool, maintenance: bool = False) -> Result:
    at = T0 + timedelta(seconds=3 * i)
    return Result(
        at=at,
        ok=ok,
        error_class="" if ok else "timeout",
        message="" if ok else "no answer",
        in_maintenance=maintenance,
        completed_at=at + timedelta(milliseconds=700),
    )


# --- one region: the local state machine, exactly -------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    checks=st.lists(st.tuples(st.booleans(), st.booleans()), max_size=40),
    confirmations=st.integers(0, 3),
)
def test_alone_a_region_steps_exactly_as_the_local_state_machine(
    checks: list[tuple[bool, bool]], confirmations: int
) -> None:
    results = [result(i, ok, maintenance) for i, (ok, maintenance) in enumerate(checks)]
    expected_state, expected_events = replay(results, confirmations)
    state, failing, round_ = MonitorState(), frozenset[str](), tuple[RegionCheck, ...]()
    events: list[object] = []
    for item in results:
        check = RegionCheck("eu-west", item)
        stepped = step_regions(state, failing, round_, check, {"eu-west"}, confirmations)
        state, failing, round_ = stepped.state, stepped.failing, stepped.round
        events += stepped.events
        if stepped.ask is not None:
            assert stepped.ask == Ask(only_region="eu-west")
    assert events == expected_events
    assert state.incident_open == expected_state.incident_open
    assert state.wants_confirmation == expected_state.wants_confirmation
    assert failing == frozenset()


# --- a round's verdict: the plain majority rule ---------------------------------------------


def plain_verdict(
    round_: list[tuple[str, bool]], alive: set[str], confirmations: int
) -> tuple[str, object]:
    """The rule as a reader states it, for two regions or more."""
    regions = alive | {region for region, _ in round_}
    last: dict[str, bool] = {}
    for region, ok in round_:
        last[region] = ok
    failing = [region for region in regions if region in last and last[region] is False]
    if len(failing) > len(regions) / 2:
        return ("down", None)
    if any(region not in last for region in regions):
        return ("ask-others", frozenset(last))
    for region in sorted(failing):
        own = [ok for r, ok in round_ if r == region]
        tail = own[-(1 + confirmations) :]
        if len(tail) < 1 + confirmations or any(tail):
            return ("ask-region", region)
    return ("settled", frozenset(failing))


@settings(max_examples=500, deadline=None)
@given(
    round_=st.lists(st.tuples(st.sampled_from(REGIONS), st.booleans()), min_size=1, max_size=12),
    alive=st.sets(st.sampled_from(REGIONS), max_size=5),
    confirmations=st.integers(0, 3),
)
def test_the_verdict_of_a_round_is_the_majority_rule(
    round_: list[tuple[str, bool]], alive: set[str], confirmations: int
) -> None:
    if len(alive | {region for region, _ in round_}) < 2:
        return  # one region: the local rules, tested above
    verdict = judge(round_, alive, False, frozenset(), confirmations)
    expected = plain_verdict(round_, alive, confirmations)
    if expected[0] == "down":
        assert verdict.settled and verdict.down
    elif expected[0] == "ask-others":
        assert verdict.ask == Ask(not_regions=expected[1])  # type: ignore[arg-type]
    elif expected[0] == "ask-region":
        assert verdict.ask == Ask(only_region=expected[1])  # type: ignore[arg-type]
    else:
        assert verdict.settled and not verdict.down and verdict.failing == expected[1]


# --- rounds in a world where each region's health is fixed ----------------------------------


def run_world(
    health: dict[str, bool], confirmations: int, checks: int, seed: int, picture_down: bool = False
) -> tuple[list[object], list[RegionCheck], MonitorState, frozenset[str], int]:
    """Checks made as the rounds ask (any allowed region otherwise), each region seeing its fixed
    health; the events, the checks, the final state, failing regions and the longest round."""
    rng = random.Random(seed)
    alive = set(health)
    state, failing, round_ = MonitorState(), frozenset[str](), tuple[RegionCheck, ...]()
    ask: Ask | None = None
    events: list[object] = []
    made: list[RegionCheck] = []
    longest = 0
    for i in range(checks):
        if ask is not None and ask.only_region:
            region = ask.only_region
        else:
            allowed = sorted(alive - (ask.not_regions if ask else frozenset()))
            assert allowed, "a round asked no region that exists"
            region = rng.choice(allowed)
        check = RegionCheck(region, result(i, health[region]))
        made.append(check)
        stepped = step_regions(state, failing, round_, check, alive, confirmations)
        state, failing, round_, ask = stepped.state, stepped.failing, stepped.round, stepped.ask
        longest = max(longest, len(round_))
        events += stepped.events
    return events, made, state, failing, longest


def assert_well_formed(events: list[object]) -> None:
    """DOWN incidents and partial outages alternate open/close, with ordered timestamps."""
    down_open = partial_open = False
    for event in events:
        if isinstance(event, IncidentOpened):
            assert not down_open
            assert event.first_failed_at <= event.confirmed_at
            down_open, opened_at = True, event.first_failed_at
        elif isinstance(event, IncidentRecovered):
            assert down_open and event.first_failed_at == opened_at
            assert event.first_failed_at < event.recovered_at <= event.resolved_at
            down_open = False
        elif isinstance(event, Blip):
            assert not down_open and event.started_at <= event.ended_at
        elif isinstance(event, PartialOpened):
            assert not partial_open and not down_open and event.regions
            assert event.first_failed_at <= event.confirmed_at
            partial_open = True
        elif isinstance(event, PartialChanged):
            assert partial_open and event.regions
        elif isinstance(event, PartialEnded):
            assert partial_open and event.recovered_at <= event.resolved_at
            partial_open = False


@settings(max_examples=300, deadline=None)
@given(
    health=st.dictionaries(st.sampled_from(REGIONS), st.booleans(), min_size=2, max_size=5),
    confirmations=st.integers(0, 2),
    seed=st.integers(0, 10_000),
)
def test_with_fixed_health_the_rounds_settle_on_the_majority_rule(
    health: dict[str, bool], confirmations: int, seed: int
) -> None:
    n = len(health)
    events, made, state, failing, longest = run_world(health, confirmations, 40, seed)
    assert_well_formed(events)
    # A round asks each region once, then each failing region for its own re-checks.
    assert longest <= n + n * (1 + confirmations)
    failing_regions = {region for region, ok in health.items() if not ok}
    down = 2 * len(failing_regions) > n
    if confirmations == 0:
        return  # no confirmation: plain local steps, tested above
    assert state.incident_open == down
    if down:
        assert failing == frozenset()
        opened = [e for e in events if isinstance(e, IncidentOpened)]
        assert len(opened) == 1
        # Confirmed by another region: the round that opened it saw two regions fail at least.
        confirming = [c for c in made if c.result.at <= opened[0].confirmed_at and not c.result.ok]
        assert len({c.region for c in confirming}) >= 2
    elif failing_regions and any(not c.result.ok for c in made):
        assert failing == frozenset(failing_regions)
        assert not any(isinstance(e, IncidentOpened) for e in events)
    else:
        assert failing == frozenset() and not state.incident_open


@settings(max_examples=200, deadline=None)
@given(
    health=st.dictionaries(st.sampled_from(REGIONS), st.booleans(), min_size=2, max_size=5),
    flips=st.lists(st.tuples(st.integers(0, 60), st.sampled_from(REGIONS)), max_size=8),
    confirmations=st.integers(1, 2),
    seed=st.integers(0, 10_000),
)
def test_health_changing_anywhere_keeps_the_incidents_well_formed(
    health: dict[str, bool], flips: list[tuple[int, str]], confirmations: int, seed: int
) -> None:
    rng = random.Random(seed)
    alive = set(health)
    state, failing, round_ = MonitorState(), frozenset[str](), tuple[RegionCheck, ...]()
    ask: Ask | None = None
    events: list[object] = []
    for i in range(60):
        for at, region in flips:
            if at == i and region in health:
                health[region] = not health[region]
        if ask is not None and ask.only_region:
            region = ask.only_region
        else:
            region = rng.choice(sorted(alive - (ask.not_regions if ask else frozenset())))
        stepped = step_regions(
            state, failing, round_, RegionCheck(region, result(i, health[region])), alive, confirmations
        )
        state, failing, round_, ask = stepped.state, stepped.failing, stepped.round, stepped.ask
        events += stepped.events
        # Downtime is only ever a DOWN incident: a partial outage never opens while one is open.
        assert not (state.incident_open and failing)
    assert_well_formed(events)


def test_one_region_failing_of_three_is_a_partial_outage_not_down() -> None:
    health = {"eu-west": False, "us-east": True, "ap-south": True}
    events, _, state, failing, _ = run_world(health, 1, 12, seed=3)
    assert not state.incident_open and failing == {"eu-west"}
    assert [type(e) for e in events] == [PartialOpened]


def test_a_failure_seen_from_two_regions_of_two_is_down() -> None:
    events, made, state, _, _ = run_world({"eu-west": False, "us-east": False}, 2, 4, seed=1)
    opened = [e for e in events if isinstance(e, IncidentOpened)]
    assert state.incident_open and len(opened) == 1
    # One failure from each region, whatever the plan's number of local confirmations.
    assert opened[0].first_failed_at == made[0].result.at
    assert opened[0].confirmed_at == made[1].result.known_at and made[0].region != made[1].region


def test_confirmations_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="confirmations"):
        step_regions(MonitorState(), frozenset(), (), RegionCheck("a", result(0, False)), {"a", "b"}, -1)
