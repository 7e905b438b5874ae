"""Confirmation across regions: a failure seen from one region is confirmed from the others.

Pure, like ``domain.incidents``, whose states and events it uses. With checkers in several
regions, what a monitor's incidents say is decided by *rounds*:

- The *standing picture* is what the monitor is known to be: up, down (a DOWN incident is open),
  or up with a *partial outage* (some regions fail while most succeed).
- A check that disagrees with the picture (a failure from a region that should succeed, a success
  while down or from a region that was failing) starts a round. The round asks, one check at a
  time, every live region that has not answered yet (``Ask.not_regions``), then each failing
  region for its own re-checks (``Ask.only_region``), and ends as soon as the verdict is sure:

  * a strict majority of the regions (live, or answered in this round) fail: the site is DOWN;
  * otherwise, once every region answered: the regions whose last check failed, each after
    ``1 + confirmations`` failures in a row, are in a *partial outage*; none: the site is up.

- A region alone (no other region live, none answered) falls back to local re-checks, exactly
  as ``domain.incidents.step``: ``1 + confirmations`` results in a row that disagree with the
  picture change it; one that agrees ends the round.

Downtime stays what DESIGN.md §5 says: only a confirmed DOWN counts; a partial outage is its own
incident kind, like a slowdown. The timestamps keep their meaning: a DOWN incident runs from the
first failed check of the round that confirmed it to the first success of the round that
confirmed its recovery, and is confirmed when the deciding check completed.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from veilleur.domain.incidents import (
    Blip,
    Cause,
    Event,
    IncidentOpened,
    IncidentRecovered,
    MonitorState,
    Phase,
    Result,
)

REGION_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")


def validate_region(name: str) -> str:
    """The region name, or a ValueError saying what is wrong with it (empty: the default region)."""
    if name and not REGION_NAME.fullmatch(name):
        raise ValueError(
            f"invalid region {name!r}: up to 32 lower-case letters, digits and hyphens, "
            "starting with a letter or digit (e.g. eu-west)"
        )
    return name


@dataclass(frozen=True)
class RegionCheck:
    """One check of a round: the region it was made from and what it saw."""

    region: str
    result: Result


@dataclass(frozen=True)
class Ask:
    """Who makes the next check of a round: only ``only_region`` when set, else any region but
    those of ``not_regions`` (empty: anyone, the local fallback)."""

    only_region: str | None = None
    not_regions: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Verdict:
    """A round's verdict: ``ask`` while it goes on; once settled, down or the failing regions."""

    ask: Ask | None = None
    down: bool = False
    failing: frozenset[str] = frozenset()

    @property
    def settled(self) -> bool:
        return self.ask is None


def judge(
    round_: Sequence[tuple[str, bool]],
    alive: Collection[str],
    picture_down: bool,
    failing: Collection[str],
    confirmations: int,
) -> Verdict:
    """The verdict of a round (its checks in order as (region, ok)) given the live regions and
    the standing picture (down, or the regions of a partial outage)."""
    latest: dict[str, list[bool]] = {}
    for region, ok in round_:
        latest.setdefault(region, []).append(ok)
    regions = set(alive) | set(latest)
    need = 1 + confirmations
    if len(regions) <= 1:
        return _judge_alone(round_, picture_down, frozenset(failing), need)
    now_failing = {region for region, seen in latest.items() if not seen[-1]}
    if 2 * len(now_failing) > len(regions):
        return Verdict(down=True)
    unheard = regions - set(latest)
    if unheard:
        return Verdict(ask=Ask(not_regions=frozenset(latest)))
    unsure = sorted(region for region in now_failing if _trailing(latest[region], False) < need)
    if unsure:
        return Verdict(ask=Ask(only_region=unsure[0]))
    return Verdict(failing=frozenset(now_failing))


def _judge_alone(
    round_: Sequence[tuple[str, bool]], picture_down: bool, failing: frozenset[str], need: int
) -> Verdict:
    """One region: local re-checks, as ``domain.incidents.step`` does them."""
    region, ok = round_[-1]
    expected = not picture_down and region not in failing
    if ok == expected:  # agrees with the picture: the round ends, nothing changed
        return Verdict(down=picture_down, failing=failing)
    if _trailing([seen for _, seen in round_], ok) < need:
        return Verdict(ask=Ask(only_region=region))
    if not ok:
        return Verdict(down=True)
    return Verdict(failing=failing - {region})


def _trailing(seen: Sequence[bool], value: bool) -> int:
    count = 0
    for item in reversed(seen):
        if item != value:
            break
        count += 1
    return count


@dataclass(frozen=True)
class PartialOpened:
    """Some regions fail while most succeed: a partial outage (never downtime)."""

    first_failed_at: datetime
    confirmed_at: datetime
    cause: Cause
    regions: frozenset[str]


@dataclass(frozen=True)
class PartialChanged:
    """The partial outage goes on, from other regions."""

    regions: frozenset[str]


@dataclass(frozen=True)
class PartialEnded:
    recovered_at: datetime  # the first check of the round that ended it
    resolved_at: datetime  # the check that ended it


RegionalEvent = Event | PartialOpened | PartialChanged | PartialEnded


@dataclass(frozen=True)
class RegionalStep:
    state: MonitorState
    failing: frozenset[str]  # regions of the partial outage now open (empty: none)
    round: tuple[RegionCheck, ...]  # the round going on (empty: none)
    ask: Ask | None  # who confirms next, while a round goes on
    events: list[RegionalEvent] = field(default_factory=list)


def effective_ok(result: Result, picture_down: bool) -> bool:
    """As ``domain.incidents``: a failure during maintenance starts nothing, but an open
    incident stays open through it."""
    return result.ok or (result.in_maintenance and not picture_down)


def step_regions(
    state: MonitorState,
    failing: frozenset[str],
    round_: tuple[RegionCheck, ...],
    check: RegionCheck,
    alive: Collection[str],
    confirmations: int,
) -> RegionalStep:
    """Feed one check (in time order) with the regions live now; the new state and events."""
    if confirmations < 0:
        raise ValueError("confirmations must be zero or more")
    picture_down = state.incident_open
    ok = effective_ok(check.result, picture_down)
    expected = not picture_down and check.region not in failing
    if not round_ and ok == expected:
        return RegionalStep(_settled_state(state), failing, (), None)
    round_ = (*round_, check)
    seen = [(c.region, effective_ok(c.result, picture_down)) for c in round_]
    verdict = judge(seen, alive, picture_down, failing, confirmations)
    if not verdict.settled:
        return RegionalStep(_pending_state(state, round_, picture_down), failing, round_, verdict.ask)
    return _settle(state, failing, round_, verdict, picture_down)


def _settled_state(state: MonitorState) -> MonitorState:
    if state.incident_open:
        return MonitorState(Phase.DOWN, 0, None, state.cause, state.incident_started_at)
    return MonitorState()


def _pending_state(state: MonitorState, round_: tuple[RegionCheck, ...], picture_down: bool) -> MonitorState:
    first = round_[0].result
    if picture_down:
        return MonitorState(
            Phase.CONFIRMING_UP, len(round_), first.at, state.cause, state.incident_started_at
        )
    # A round of a partial outage may start with a success (from a failing region): its cause
    # is then empty until a failure is seen.
    first_failure = _first_failure(round_, picture_down)
    cause = Cause.of(first_failure.result if first_failure else first)
    return MonitorState(Phase.CONFIRMING_DOWN, len(round_), first.at, cause)


def _first_failure(
    round_: tuple[RegionCheck, ...], picture_down: bool, regions: Collection[str] | None = None
) -> RegionCheck | None:
    for c in round_:
        if not effective_ok(c.result, picture_down) and (regions is None or c.region in regions):
            return c
    return None


def _first_success(round_: tuple[RegionCheck, ...], picture_down: bool) -> RegionCheck | None:
    for c in round_:
        if effective_ok(c.result, picture_down):
            return c
    return None


def _settle(
    state: MonitorState,
    failing: frozenset[str],
    round_: tuple[RegionCheck, ...],
    verdict: Verdict,
    picture_down: bool,
) -> RegionalStep:
    last = round_[-1].result
    events: list[RegionalEvent] = []
    if verdict.down:
        if picture_down:  # the success that started the round was not confirmed
            return RegionalStep(_settled_state(state), frozenset(), (), None)
        if failing:  # the partial outage became a full one
            events.append(PartialEnded(round_[0].result.at, last.at))
        first = _first_failure(round_, picture_down)
        assert first is not None  # a majority failed in this round
        cause = Cause.of(first.result)
        events.append(IncidentOpened(first.result.at, last.known_at, cause))
        return RegionalStep(
            MonitorState(Phase.DOWN, 0, None, cause, first.result.at), frozenset(), (), None, events
        )
    if picture_down:
        recovered = _first_success(round_, picture_down)
        assert recovered is not None and state.incident_started_at is not None
        events.append(IncidentRecovered(state.incident_started_at, recovered.result.at, last.at))
    elif not failing and not verdict.failing:
        first = _first_failure(round_, picture_down)
        assert first is not None  # a round from the up picture starts with a failure
        events.append(Blip(first.result.at, last.at, Cause.of(first.result)))
    if verdict.failing and not failing:
        first = _first_failure(round_, picture_down, verdict.failing)
        assert first is not None
        events.append(PartialOpened(first.result.at, last.known_at, Cause.of(first.result), verdict.failing))
    elif verdict.failing and verdict.failing != failing:
        events.append(PartialChanged(verdict.failing))
    elif failing and not verdict.failing:
        healed = next((c for c in round_ if c.region in failing and c.result.ok), round_[0])
        events.append(PartialEnded(healed.result.at, last.at))
    return RegionalStep(MonitorState(), verdict.failing, (), None, events)
