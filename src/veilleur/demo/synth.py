"""Synthetic check results for one monitor, as the checker would have stored them.

Pure: given the monitor's cadence, its site's typical latency, the spans when the site is really
down, its maintenance spans and the spans when our own checker was stopped, it walks the
monitor's slots, runs a confirmation re-check after a failure (and after the first success of a
recovery) as the checker does, and feeds every result through ``domain.incidents.replay``, so the
incidents and blips are exactly the ones the checker would have made.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from veilleur.domain.incidents import Event, MonitorState, Result, replay
from veilleur.domain.maintenance import Interval
from veilleur.domain.resultcodec import ResultRecord
from veilleur.domain.schedule import no_data_threshold, slot_at_or_after

CONFIRM_DELAY = timedelta(seconds=3)


@dataclass(frozen=True)
class Failure:
    """What a check sees while the site is down."""

    error_class: str
    status_code: int | None
    message: str
    total_ms: int | None


FAILURES = (
    Failure("http_status", 503, "HTTP 503 Service Unavailable", 180),
    Failure("http_status", 500, "HTTP 500 Internal Server Error", 240),
    Failure("timeout", None, "no response within 10 s", None),
    Failure("refused", None, "connection refused", None),
    Failure("http_status", 502, "HTTP 502 Bad Gateway", 95),
)


@dataclass(frozen=True)
class Outage:
    start: datetime
    end: datetime
    failure: Failure


@dataclass(frozen=True)
class MonitorScenario:
    monitor_id: int
    interval_seconds: int
    confirmations: int
    median_ms: int
    spread: float
    outages: tuple[Outage, ...]  # sorted, disjoint
    blips: tuple[tuple[datetime, Failure], ...]  # single failed checks, sorted
    maintenance: tuple[Interval, ...]  # sorted, disjoint
    checker_stopped: tuple[Interval, ...]  # sorted, disjoint
    slow_days: dict[int, float] = field(default_factory=dict)  # days since start → latency factor


@dataclass
class Simulation:
    records: list[ResultRecord]
    events: list[Event]
    gaps: list[Interval]
    state: MonitorState


def simulate(scenario: MonitorScenario, start: datetime, end: datetime, rng: random.Random) -> Simulation:
    """Every result of the monitor in ``[start, end)``, its incident events and no-data gaps."""
    interval = timedelta(seconds=scenario.interval_seconds)
    slot = slot_at_or_after(start, scenario.monitor_id, scenario.interval_seconds)
    threshold = no_data_threshold(scenario.interval_seconds)
    records: list[ResultRecord] = []
    events: list[Event] = []
    gaps: list[Interval] = []
    state = MonitorState()
    outages = _Spans([(o.start, o.end) for o in scenario.outages])
    maintenance = _Spans(list(scenario.maintenance))
    stopped = _Spans(list(scenario.checker_stopped))
    blip_times = [at for at, _ in scenario.blips]
    blip_failures = [failure for _, failure in scenario.blips]
    mu = math.log(scenario.median_ms)
    previous: datetime | None = None

    def check(at: datetime, confirmation: bool, failure: Failure | None) -> None:
        nonlocal state, previous
        if previous is not None and at - previous > threshold:
            gaps.append((previous, at))
        previous = at
        in_maintenance = maintenance.covers(at)
        if failure is None:
            factor = scenario.slow_days.get((at - start).days, 1.0)
            record = _success(at, confirmation, in_maintenance, mu, scenario.spread, factor, rng)
        else:
            record = ResultRecord(
                checked_at=at,
                ok=False,
                confirmation=confirmation,
                in_maintenance=in_maintenance,
                error_class=failure.error_class,
                status_code=failure.status_code,
                total_ms=failure.total_ms,
                ttfb_ms=failure.total_ms,
                message=failure.message,
            )
        records.append(record)
        result = Result(
            at=at,
            ok=record.ok,
            error_class=record.error_class,
            status_code=record.status_code,
            message=record.message,
            in_maintenance=in_maintenance,
        )
        state, happened = replay([result], scenario.confirmations, state)
        events.extend(happened)

    while slot < end:
        if stopped.covers(slot):
            slot += interval
            continue
        at = slot + timedelta(milliseconds=rng.randrange(5, 400))
        if at >= end:
            break
        outage = outages.index_covering(at)
        failure = (
            scenario.outages[outage].failure
            if outage is not None
            else _blip_at(blip_times, blip_failures, slot, interval)
        )
        check(at, False, failure)
        # The checker re-checks at once while a change of state awaits confirmation, unless
        # the next regular slot comes first.
        following = slot + interval
        while state.wants_confirmation:
            at = at + CONFIRM_DELAY + timedelta(milliseconds=rng.randrange(0, 200))
            if at >= following or at >= end:
                break
            outage = outages.index_covering(at)
            check(at, True, scenario.outages[outage].failure if outage is not None else None)
        slot = following
    return Simulation(records, events, gaps, state)


def _blip_at(
    times: list[datetime], failures: list[Failure], slot: datetime, interval: timedelta
) -> Failure | None:
    """The blip planted in this slot, if any (blip times fall anywhere in their slot)."""
    position = bisect_right(times, slot + interval) - 1
    if position >= 0 and slot <= times[position] < slot + interval:
        return failures[position]
    return None


def _success(
    at: datetime,
    confirmation: bool,
    in_maintenance: bool,
    mu: float,
    spread: float,
    factor: float,
    rng: random.Random,
) -> ResultRecord:
    total = max(20, int(rng.lognormvariate(mu, spread) * factor))
    dns = rng.randrange(1, 12)
    connect = rng.randrange(8, 35)
    tls = rng.randrange(18, 55)
    ttfb = max(dns + connect + tls + 5, total - rng.randrange(3, 40))
    return ResultRecord(
        checked_at=at,
        ok=True,
        confirmation=confirmation,
        in_maintenance=in_maintenance,
        status_code=200,
        dns_ms=dns,
        connect_ms=connect,
        tls_ms=tls,
        ttfb_ms=ttfb,
        total_ms=max(total, ttfb),
    )


class _Spans:
    """Sorted disjoint spans, asked about instants in increasing order (a moving pointer)."""

    def __init__(self, spans: list[Interval]) -> None:
        self.spans = spans
        self.position = 0

    def index_covering(self, instant: datetime) -> int | None:
        while self.position < len(self.spans) and self.spans[self.position][1] <= instant:
            self.position += 1
        if self.position < len(self.spans) and self.spans[self.position][0] <= instant:
            return self.position
        return None

    def covers(self, instant: datetime) -> bool:
        return self.index_covering(instant) is not None
