"""The ground truth of a chaos run, and the judgement of what the install recorded against it.

Pure Python: the seeded plan (when each target goes down and comes back, when each fault
strikes), then, once the run is over, the comparison of the true outages with the stored
incidents and of the queued notices with the mail received. Times are seconds from the run's
start in the plan, UTC datetimes once they happened.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Switch:
    """Target ``target`` becomes healthy or not ``at`` seconds into the run."""

    at: float
    target: int
    healthy: bool
    blip: bool = False  # a failure shorter than the confirmation: never an incident


@dataclass(frozen=True)
class Fault:
    at: float
    kind: str  # kill, database, smtp, clock, disk
    role: str = ""
    seconds: float = 0.0  # how long: the restart delay, the outage, the clock step held
    shift: float = 0.0  # a clock step, seconds ahead of the true time


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime | None  # None: still open


def plan_targets(
    rng: random.Random,
    targets: int,
    first: float,
    last: float,
    down: tuple[float, float],
    up: tuple[float, float],
    blip: float,
) -> list[Switch]:
    """Each target's outages between ``first`` and ``last`` seconds, their lengths and the up
    times between them drawn from the ranges; in most up times, one blip of ``blip`` seconds
    well away from both ends. Every target is up before ``first`` and after ``last``."""
    switches: list[Switch] = []
    for target in range(targets):
        at = first + rng.uniform(0, 10)
        while True:
            length = rng.uniform(*down)
            if at + length > last:
                break
            switches += [Switch(at, target, False), Switch(at + length, target, True)]
            rest = rng.uniform(*up)
            if rng.random() < 0.6 and rest >= 4 * blip + 16:
                blip_at = at + length + rng.uniform(8, rest - 8 - blip)
                switches += [Switch(blip_at, target, False, True), Switch(blip_at + blip, target, True, True)]
            at += length + rest
    return sorted(switches, key=lambda switch: switch.at)


def plan_faults(
    rng: random.Random, kinds: Sequence[Fault], transitions: Sequence[float], first: float, gap: float
) -> list[Fault]:
    """``kinds`` in order, each struck a few seconds around a target's going down or coming back
    (during a confirmation or a recovery) after the previous one is over and ``gap`` seconds
    more; at that earliest time when no target changes within 15 s."""
    planned: list[Fault] = []
    earliest = first
    for fault in kinds:
        after = [moment for moment in transitions if earliest + 1 <= moment <= earliest + 15]
        at = max(earliest, after[0] + rng.uniform(-1.0, 4.0)) if after else earliest + rng.uniform(0, 3)
        planned.append(Fault(at, fault.kind, fault.role, fault.seconds, fault.shift))
        earliest = at + fault.seconds + gap
    return planned


def schedule_length(faults: Sequence[Fault], first: float, gap: float, tail: float) -> float:
    """Long enough for every fault of ``plan_faults``, however late each one falls."""
    return first + sum(fault.seconds + gap + 19 for fault in faults) + tail


def outages(switches: Iterable[tuple[datetime, Switch]], blips: bool) -> dict[int, list[Span]]:
    """Each target's true outages (or blips) as they happened: the times the switches were made."""
    opened: dict[int, datetime] = {}
    spans: dict[int, list[Span]] = {}
    for when, switch in switches:
        if switch.blip != blips:
            continue
        if not switch.healthy:
            opened[switch.target] = when
        elif switch.target in opened:
            spans.setdefault(switch.target, []).append(Span(opened.pop(switch.target), when))
    for target, start in opened.items():
        spans.setdefault(target, []).append(Span(start, None))
    return spans


def _overlap(span: Span, other: Span, slack: timedelta) -> bool:
    far = datetime.max.replace(tzinfo=span.start.tzinfo)
    return span.start <= (other.end or far) + slack and other.start - slack <= (span.end or far)


@dataclass
class IncidentJudgement:
    expected: int = 0
    recorded: int = 0
    lost: list[str] = field(default_factory=list)  # true outages without an incident
    false: list[str] = field(default_factory=list)  # incidents without a true outage
    merged: list[str] = field(default_factory=list)  # outages sharing one incident: a recovery missed
    split: list[str] = field(default_factory=list)  # outages with more than one incident
    start_error: float = 0.0  # largest |first_failed_at - true start|, seconds
    end_error: float = 0.0  # largest |recovered_at - true end|, seconds
    worst: list[str] = field(default_factory=list)  # the outages of those two errors


def judge_incidents(
    truth: dict[int, list[Span]], recorded: dict[int, list[Span]], slack: timedelta
) -> IncidentJudgement:
    """Match each target's true outages with its recorded incidents: an incident belongs to the
    outages it overlaps; one that overlaps none belongs to those it comes within ``slack`` of (a
    check's interval, its confirmation, a checker taking over a dead one's monitors)."""
    judgement = IncidentJudgement()
    for target in sorted(set(truth) | set(recorded)):
        true_spans, incidents = truth.get(target, []), recorded.get(target, [])
        judgement.expected += len(true_spans)
        judgement.recorded += len(incidents)
        belongs = {n: _outages_of(incident, true_spans, slack) for n, incident in enumerate(incidents)}
        for number, outage in enumerate(true_spans):
            label = f"target {target} down {outage.start:%H:%M:%S}"
            matched = [n for n, owners in belongs.items() if number in owners]
            if not matched:
                judgement.lost.append(label)
            elif len(matched) > 1:
                judgement.split.append(f"{label}: {len(matched)} incidents")
            else:
                _measure(judgement, outage, incidents[matched[0]], label)
        for n, owners in belongs.items():
            start = f"target {target} incident from {incidents[n].start:%H:%M:%S}"
            if not owners:
                judgement.false.append(start)
            elif len(owners) > 1:
                judgement.merged.append(f"{start}: spans {len(owners)} outages, a recovery missed")
    return judgement


def _outages_of(incident: Span, outages: list[Span], slack: timedelta) -> list[int]:
    overlapping = [n for n, outage in enumerate(outages) if _overlap(outage, incident, timedelta(0))]
    return overlapping or [n for n, outage in enumerate(outages) if _overlap(outage, incident, slack)]


def _measure(judgement: IncidentJudgement, outage: Span, incident: Span, label: str) -> None:
    if not judgement.worst:
        judgement.worst = ["", ""]
    start_error = abs((incident.start - outage.start).total_seconds())
    if start_error >= judgement.start_error:
        judgement.start_error, judgement.worst[0] = start_error, label
    if outage.end is not None and incident.end is not None:
        end_error = abs((incident.end - outage.end).total_seconds())
        if end_error >= judgement.end_error:
            judgement.end_error, judgement.worst[1] = end_error, f"{label} up {outage.end:%H:%M:%S}"


@dataclass(frozen=True)
class Notice:
    incident: int
    kind: str
    state: str
    message_id: str


@dataclass
class NoticeJudgement:
    queued: int = 0
    delivered: int = 0
    lost: list[str] = field(default_factory=list)
    duplicates: int = 0
    missing: list[str] = field(default_factory=list)  # incidents without their notice queued


def judge_notices(
    notices: Sequence[Notice], received: Sequence[str], incidents: dict[int, bool]
) -> NoticeJudgement:
    """Every queued notice sent and received (by its Message-ID), repeats counted; every incident
    (id → recovered) with its alert, and its recovery notice once recovered."""
    judgement = NoticeJudgement(queued=len(notices))
    counts = Counter(message_id.strip("<>") for message_id in received)
    for notice in notices:
        arrived = counts.get(notice.message_id.strip("<>"), 0)
        if notice.state != "sent" or not arrived:
            judgement.lost.append(
                f"incident {notice.incident} {notice.kind}: {notice.state}, {arrived} received"
            )
        else:
            judgement.delivered += 1
            judgement.duplicates += arrived - 1
    kinds = {(notice.incident, notice.kind) for notice in notices}
    for incident, recovered in sorted(incidents.items()):
        needed = ["incident_confirmed"] + (["incident_recovered"] if recovered else [])
        judgement.missing += [
            f"incident {incident}: no {kind} notice" for kind in needed if (incident, kind) not in kinds
        ]
    return judgement


def first_after(samples: Sequence[tuple[datetime, bool]], moment: datetime) -> float | None:
    """Seconds from ``moment`` to the first sample after it that holds; None if none does."""
    for when, holds in samples:
        if when >= moment and holds:
            return (when - moment).total_seconds()
    return None
