"""Hourly rollups: what stays of a monitor's results once the raw results have expired.

One :class:`HourRollup` per monitor and UTC hour holds counts, the Apdex tallies judged with the
site's threshold T at roll-up time, and the latency histogram. Rollups of any hours combine by
addition, so a day, a month or a year is computed from them without the raw results.

Which checks count where (DESIGN.md §5):

- ``checks`` and ``failures`` count every stored check; ``maintenance_checks`` and
  ``confirmation_checks`` are the subsets run in a maintenance window or to confirm a change;
- Apdex and the latency histogram sample only *regular* checks outside maintenance: a
  confirmation re-check would weigh an outage twice, and planned work is not the site's usual
  speed. A failed sample is frustrated; a successful one is judged on ``total_ms`` (one without
  a total time is not sampled). The histogram holds successful samples' ``total_ms``.

Phase timings (where the time goes): the same successful regular samples also feed one
:class:`PhaseAggregate` per phase of the check (DNS, TCP connect, TLS handshake, time to first
byte; see ``probes.outcome.PhaseTimings``): a count and a sum, so the mean of any span is exact.
Means rather than percentiles because means add up (:meth:`HourRollup.phase_share_ms`: the
phases' shares of a check stack to its mean time to first byte) and because they are cheap:
about 240 bytes per monitor-day, against 1.1 KB for a histogram per phase and hour
(bench/README.md, "phase timings"). A phase a check did not go through (no DNS for an IP
address, no TLS for http://) is simply not sampled for it, so each phase has its own count.

A UTC day of rollups is stored packed in one value (:func:`pack_day`), see bench/README.md
("storage") for why one row per monitor-day rather than per monitor-hour. Format 2 added the
phases; days stored in format 1 still read, with no phase samples.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields

from veilleur.domain.apdex import ApdexZone, apdex, apdex_zone
from veilleur.domain.binary import VarintReader, pack, unpack, write_varint
from veilleur.domain.histogram import LatencyHistogram
from veilleur.domain.resultcodec import ResultRecord

DAY_FORMAT_VERSION = 2
READABLE_DAY_FORMATS = frozenset({1, 2})  # 1: before phase timings
HOURS_PER_DAY = 24
# The phases of a check, in the order they happen (ResultRecord field names).
PHASES = ("dns_ms", "connect_ms", "tls_ms", "ttfb_ms")


@dataclass
class PhaseAggregate:
    """The samples of one phase: how many, and their sum in milliseconds."""

    count: int = 0
    sum_ms: int = 0

    @property
    def mean_ms(self) -> float | None:
        return self.sum_ms / self.count if self.count else None

    def add(self, ms: int) -> None:
        self.count += 1
        self.sum_ms += ms

    def merge(self, other: PhaseAggregate) -> PhaseAggregate:
        return PhaseAggregate(self.count + other.count, self.sum_ms + other.sum_ms)

    @classmethod
    def merge_all(cls, aggregates: Iterable[PhaseAggregate]) -> PhaseAggregate:
        items = list(aggregates)
        return cls(sum(a.count for a in items), sum(a.sum_ms for a in items))


def _no_phases() -> dict[str, PhaseAggregate]:
    return {phase: PhaseAggregate() for phase in PHASES}


@dataclass
class HourRollup:
    checks: int = 0
    failures: int = 0
    maintenance_checks: int = 0
    confirmation_checks: int = 0
    blips: int = 0
    apdex_threshold_ms: int = 0
    apdex_samples: int = 0
    apdex_satisfied: int = 0
    apdex_tolerating: int = 0
    latency: LatencyHistogram = field(default_factory=LatencyHistogram)
    phases: dict[str, PhaseAggregate] = field(default_factory=_no_phases)

    @property
    def apdex(self) -> float | None:
        return apdex(self.apdex_satisfied, self.apdex_tolerating, self.apdex_samples)

    def phase_share_ms(self, phase: str) -> float | None:
        """The mean time a sampled check spent in ``phase``, a check that skipped it counting 0:
        the shares of the phases add up to the mean time to the first byte."""
        sampled = self.latency.count  # the successful regular checks, which the phases sample
        return self.phases[phase].sum_ms / sampled if sampled else None

    def combine(self, other: HourRollup) -> HourRollup:
        """The rollup of both spans. T is the later span's, the tallies keep each check's own T."""
        counts = {f.name: getattr(self, f.name) + getattr(other, f.name) for f in _COUNTERS}
        return HourRollup(
            **counts,
            apdex_threshold_ms=other.apdex_threshold_ms or self.apdex_threshold_ms,
            latency=self.latency.merge(other.latency),
            phases={phase: self.phases[phase].merge(other.phases[phase]) for phase in PHASES},
        )


_COUNTERS = [f for f in fields(HourRollup) if f.name not in {"apdex_threshold_ms", "latency", "phases"}]
_NUMBERS = [f.name for f in fields(HourRollup) if f.name not in {"latency", "phases"}]


def rollup_hour(records: Iterable[ResultRecord], threshold_ms: int, blips: int = 0) -> HourRollup:
    """The rollup of one hour's results, judged with Apdex threshold ``threshold_ms``."""
    rollup = HourRollup(blips=blips, apdex_threshold_ms=threshold_ms)
    for record in records:
        _count(rollup, record, threshold_ms)
    return rollup


def _count(rollup: HourRollup, record: ResultRecord, threshold_ms: int) -> None:
    rollup.checks += 1
    rollup.failures += not record.ok
    rollup.maintenance_checks += record.in_maintenance
    rollup.confirmation_checks += record.confirmation
    if record.confirmation or record.in_maintenance:
        return
    if record.ok and record.total_ms is None:
        return
    rollup.apdex_samples += 1
    zone = apdex_zone(record.ok, record.total_ms or 0, threshold_ms)
    rollup.apdex_satisfied += zone is ApdexZone.SATISFIED
    rollup.apdex_tolerating += zone is ApdexZone.TOLERATING
    if record.ok and record.total_ms is not None:
        rollup.latency.add(record.total_ms)
        for phase in PHASES:
            value = getattr(record, phase)
            if value is not None:
                rollup.phases[phase].add(value)


def combine_all(rollups: Iterable[HourRollup]) -> HourRollup:
    total = HourRollup()
    histograms = []
    phases: dict[str, list[PhaseAggregate]] = {phase: [] for phase in PHASES}
    for rollup in rollups:
        for counter in _COUNTERS:
            setattr(total, counter.name, getattr(total, counter.name) + getattr(rollup, counter.name))
        total.apdex_threshold_ms = rollup.apdex_threshold_ms or total.apdex_threshold_ms
        histograms.append(rollup.latency)
        for phase in PHASES:
            phases[phase].append(rollup.phases[phase])
    total.latency = LatencyHistogram.merge_all(histograms)
    total.phases = {phase: PhaseAggregate.merge_all(aggregates) for phase, aggregates in phases.items()}
    return total


def pack_day(hours: Mapping[int, HourRollup]) -> bytes:
    """A UTC day's hourly rollups (keyed by hour 0–23) in one compact value.

    Layout: version byte, then packed (see :mod:`veilleur.domain.binary`): a 24-bit map of the
    hours present, then for each present hour its numbers as varints and its histogram with a
    length prefix, then (format 2) for each phase in :data:`PHASES` its count and its sum.
    """
    body = bytearray()
    present = sorted(hours)
    if any(not 0 <= hour < HOURS_PER_DAY for hour in present):
        raise ValueError("hours of a day are 0 to 23")
    write_varint(body, sum(1 << hour for hour in present))
    for hour in present:
        rollup = hours[hour]
        for name in _NUMBERS:
            write_varint(body, getattr(rollup, name))
        histogram = rollup.latency.encode()
        write_varint(body, len(histogram))
        body += histogram
        for phase in PHASES:
            write_varint(body, rollup.phases[phase].count)
            write_varint(body, rollup.phases[phase].sum_ms)
    return bytes([DAY_FORMAT_VERSION]) + pack(bytes(body))


def unpack_day(data: bytes) -> dict[int, HourRollup]:
    """The hours of a day packed by :func:`pack_day`, in the current format or an older one."""
    if len(data) < 2 or data[0] not in READABLE_DAY_FORMATS:
        raise ValueError("not a day of rollups of a known format")
    with_phases = data[0] >= 2
    reader = VarintReader(unpack(data[1:]))
    present = reader.varint()
    if present >= 1 << HOURS_PER_DAY:
        raise ValueError("corrupt day of rollups: bad hour map")
    hours: dict[int, HourRollup] = {}
    for hour in range(HOURS_PER_DAY):
        if present & (1 << hour):
            numbers = {name: reader.varint() for name in _NUMBERS}
            latency = LatencyHistogram.decode(reader.raw(reader.varint()))
            phases = _read_phases(reader) if with_phases else _no_phases()
            hours[hour] = HourRollup(**numbers, latency=latency, phases=phases)
    if not reader.at_end:
        raise ValueError("trailing bytes in a day of rollups")
    return hours


def _read_phases(reader: VarintReader) -> dict[str, PhaseAggregate]:
    phases = {}
    for phase in PHASES:
        count = reader.varint()
        phases[phase] = PhaseAggregate(count, reader.varint())
    return phases
