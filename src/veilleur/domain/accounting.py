"""A monitor's accounts for a period: monitored time, downtime, uptime and what a report says of them.

The rules are DESIGN.md §5, applied to intervals of real (UTC) time:

- monitored time = period ∩ lifetime ∩ before ``now`` − paused − maintenance − no-data gaps;
- downtime = union of the DOWN incidents' spans [first_failed_at, recovered_at or now), kept only
  where the monitor was monitored (an outage during maintenance or during our own no-data gap is
  not counted, because that time is not counted at all); degraded incidents never count;
- uptime = 1 − downtime / monitored, "n/a" (None) when nothing was monitored, never 100 %.
- coverage = monitored / the elapsed part of the period (the period up to ``now``). For a period
  that is over this is monitored / period; for the running month it says how well the days so
  far were watched, instead of shrinking as if the days to come had been missed.

Every union is taken before measuring, so overlapping inputs are never counted twice.

A site (``account_site``) is down while any of its monitored monitors is in a confirmed DOWN
incident: its downtime is the union of its monitors' counted downtime, its monitored time the union
of their monitored time. Its incidents' counted durations add up to its downtime, except where two
incidents ran at once: that overlap (``SiteAccount.overlap``) is counted once. A client's headline
is time-weighted over its sites (``combine_sites``).

Rounding: the exact uptime is a ``Fraction``. The percentage shown is that fraction × 100
rounded DOWN (toward zero) to 3 decimals: 99.99995 % shows as 99.999 %, so a period with any
downtime never shows 100.000 %, and the figure never flatters the agency. Service credits are
judged on that shown figure, which for thresholds of up to 3 decimals gives exactly the verdict of
the exact uptime. Coverage is rounded down the same way; the share of the downtime budget used is
rounded UP, for the same reason: never understate what went wrong.

Statistics (MTTA, MTTR) are over the incidents listed for the period, of every kind: both measure
how incidents were handled. The response SLA applies where the incident carries a due time: the
degraded-performance incidents the worker opens carry none (slow is not down), so their outcome
is "none" and they are in no met or breached count. MTTA counts an
acknowledgement only when it stopped the response clock (at or before the recovery, as in
``domain.sla``): an acknowledgement after the recovery is recorded and changes nothing. The p90 is the
nearest-rank percentile: the smallest value with at least 90 % of the values at or below it,
i.e. the ⌈0.9 × n⌉-th of the sorted values, always one of the observed durations.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from zoneinfo import ZoneInfo

from veilleur.domain.maintenance import Interval, merge
from veilleur.domain.plans import CreditStep, credit_due_percent
from veilleur.domain.sla import SlaOutcome, clock_stopped_at, sla_outcome
from veilleur.domain.timezones import local_to_utc, utc_to_local

_NEVER = datetime.max.replace(tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_ZERO = timedelta(0)


# --- Inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A UTC interval [start, end); build it from local dates with ``local_days`` or ``month``."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a period is bounded by aware instants")
        if self.end <= self.start:
            raise ValueError("a period ends after it starts")

    @classmethod
    def local_days(cls, first_day: date, end_day: date, zone: ZoneInfo) -> Period:
        """From the local midnight starting ``first_day`` to the one starting ``end_day`` (excluded)."""
        return cls(_local_midnight(first_day, zone), _local_midnight(end_day, zone))

    @classmethod
    def month(cls, year: int, month: int, zone: ZoneInfo) -> Period:
        """A calendar month in ``zone``: its length follows the DST changes inside it."""
        following = date(year + month // 12, month % 12 + 1, 1)
        return cls.local_days(date(year, month, 1), following, zone)

    @property
    def length(self) -> timedelta:
        return self.end - self.start


class IncidentKind(StrEnum):
    DOWN = "down"
    DEGRADED = "degraded"
    PARTIAL = "partial"  # some regions failed, most succeeded: never downtime


@dataclass(frozen=True)
class IncidentRecord:
    kind: IncidentKind
    first_failed_at: datetime
    confirmed_at: datetime
    acknowledged_at: datetime | None = None
    recovered_at: datetime | None = None  # None while the incident is ongoing
    sla_due_at: datetime | None = None  # None when no response commitment applied
    key: int | None = None  # the caller's identifier, carried through untouched

    def span(self, now: datetime) -> Interval:
        """[first_failed_at, recovered_at), an ongoing incident being cut at ``now``."""
        return (self.first_failed_at, self.recovered_at or now)


@dataclass(frozen=True)
class BlipRecord:
    started_at: datetime
    ended_at: datetime
    key: int | None = None


@dataclass(frozen=True)
class MonitorHistory:
    """What the database knows of one monitor; intervals are UTC [start, end), in any order."""

    created_at: datetime
    ended_at: datetime | None = None  # deleted or retired; None while the monitor lives
    paused: Sequence[Interval] = ()
    maintenance: Sequence[Interval] = ()
    no_data_gaps: Sequence[Interval] = ()
    incidents: Sequence[IncidentRecord] = ()
    blips: Sequence[BlipRecord] = ()


# --- Outputs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DurationStats:
    """Durations in seconds; ``p90_seconds`` is nearest-rank (see the module docstring)."""

    count: int
    mean_seconds: float
    median_seconds: float
    p90_seconds: float


@dataclass(frozen=True)
class PeriodAccount:
    period: Period
    now: datetime
    monitored_intervals: tuple[Interval, ...]  # sorted, disjoint: for a report's daily strip
    downtime_intervals: tuple[Interval, ...]  # sorted, disjoint, inside monitored_intervals
    monitored: timedelta
    downtime: timedelta
    elapsed: timedelta  # the part of the period before ``now``
    uptime: Fraction | None  # None: nothing was monitored ("n/a")
    uptime_percent: Decimal | None  # rounded down to 3 decimals
    coverage: Fraction | None  # monitored / elapsed; None before the period begins
    incidents: tuple[IncidentRecord, ...]  # overlapping the period, by first_failed_at
    sla_outcomes: tuple[SlaOutcome, ...]  # one per incident, in the same order
    sla_counts: Mapping[SlaOutcome, int]  # every outcome, zero included
    blips: tuple[BlipRecord, ...]  # overlapping the period, by started_at
    mtta: DurationStats | None  # confirmed_at → acknowledged_at, acknowledgements that stopped the clock
    mttr: DurationStats | None  # first_failed_at → recovered_at, recovered incidents
    uptime_target_percent: Decimal | None
    allowed_downtime: timedelta | None  # the budget the target allows; None without a target
    budget_used: Fraction | None  # downtime / allowed downtime (1 = exhausted); None if no budget
    service_credit_percent: int | None  # None without a target or when nothing was monitored

    @property
    def monitored_seconds(self) -> Decimal:
        return _seconds(self.monitored)

    @property
    def downtime_seconds(self) -> Decimal:
        return _seconds(self.downtime)

    @property
    def coverage_percent(self) -> Decimal | None:
        return None if self.coverage is None else percent_rounded_down(self.coverage)

    @property
    def budget_used_percent(self) -> Decimal | None:
        return None if self.budget_used is None else _percent_rounded_up(self.budget_used)

    @property
    def incident_count(self) -> int:
        return len(self.incidents)

    @property
    def down_incident_count(self) -> int:
        return sum(1 for incident in self.incidents if incident.kind is IncidentKind.DOWN)

    @property
    def blip_count(self) -> int:
        return len(self.blips)


@dataclass(frozen=True)
class DayAccount:
    day: date  # the local date
    start: datetime  # UTC bounds of that day, clipped to the period
    end: datetime
    monitored: timedelta
    downtime: timedelta
    uptime: Fraction | None
    uptime_percent: Decimal | None
    coverage: Fraction | None  # over the part of the day before ``now``; None for a day to come


@dataclass(frozen=True)
class SiteAccount:
    """A site: down while any of its monitored monitors is in a confirmed DOWN incident.

    Its downtime is the union of its monitors' counted downtime, its monitored time the union of
    its monitors' monitored time; so an outage seen by two monitors at once counts once, and a site
    whose home page is down for 25 minutes shows those 25 minutes, whatever else is watched."""

    period: Period
    now: datetime
    monitors: int
    monitored_intervals: tuple[Interval, ...]  # sorted, disjoint
    downtime_intervals: tuple[Interval, ...]  # sorted, disjoint, inside monitored_intervals
    monitored: timedelta
    downtime: timedelta
    elapsed: timedelta
    uptime: Fraction | None
    uptime_percent: Decimal | None
    coverage: Fraction | None
    incident_count: int
    blip_count: int
    # Counted downtime of the DOWN incidents one by one, in order of first failure: summed, they
    # exceed ``downtime`` by ``overlap``, the time when two or more incidents ran at once.
    incident_downtime: tuple[tuple[IncidentRecord, timedelta], ...]
    overlap: timedelta


@dataclass(frozen=True)
class CombinedAccount:
    """Several sites together (a client's headline). The uptime is time-weighted over sites: their
    total downtime over their total monitored time, each counted as its site counts it, so a site
    watched all month weighs more than one added on the 28th. ``monitors`` counts their monitors."""

    monitors: int
    monitored: timedelta
    downtime: timedelta
    elapsed: timedelta
    uptime: Fraction | None
    uptime_percent: Decimal | None
    coverage: Fraction | None
    incident_count: int
    blip_count: int


# --- The computation --------------------------------------------------------------------------


def account_period(
    period: Period,
    history: MonitorHistory,
    now: datetime,
    *,
    uptime_target_percent: Decimal | None = None,
    credit_steps: Sequence[CreditStep] = (),
) -> PeriodAccount:
    """The accounts of one monitor for ``period`` as known at ``now`` (DESIGN.md §5)."""
    monitored_intervals = _monitored_intervals(period, history, now)
    downtime_intervals = _intersect(_down_spans(history.incidents, now), monitored_intervals)
    monitored = _total(monitored_intervals)
    downtime = _total(downtime_intervals)
    elapsed = _elapsed(period, now)
    uptime = uptime_of(monitored, downtime)
    uptime_percent = None if uptime is None else percent_rounded_down(uptime)
    incidents = _incidents_in(period, history.incidents, now)
    outcomes = tuple(_outcome(incident, now) for incident in incidents)
    allowed = _allowed_downtime(monitored, uptime_target_percent)
    return PeriodAccount(
        period=period,
        now=now,
        monitored_intervals=tuple(monitored_intervals),
        downtime_intervals=tuple(downtime_intervals),
        monitored=monitored,
        downtime=downtime,
        elapsed=elapsed,
        uptime=uptime,
        uptime_percent=uptime_percent,
        coverage=_ratio(monitored, elapsed),
        incidents=incidents,
        sla_outcomes=outcomes,
        sla_counts={outcome: outcomes.count(outcome) for outcome in SlaOutcome},
        blips=_blips_in(period, history.blips),
        mtta=duration_stats(_times_to_acknowledge(incidents)),
        mttr=duration_stats(_times_to_recover(incidents)),
        uptime_target_percent=uptime_target_percent,
        allowed_downtime=None if allowed is None else _timedelta_rounded_down(allowed),
        budget_used=_budget_used(downtime, allowed),
        service_credit_percent=_service_credit(uptime_target_percent, uptime_percent, credit_steps),
    )


def _monitored_intervals(period: Period, history: MonitorHistory, now: datetime) -> list[Interval]:
    observable = _clip([(history.created_at, history.ended_at or _NEVER)], period.start, min(period.end, now))
    excluded = _union([*history.paused, *history.maintenance, *history.no_data_gaps])
    return _subtract(observable, excluded)


def _down_spans(incidents: Iterable[IncidentRecord], now: datetime) -> list[Interval]:
    return _union(incident.span(now) for incident in incidents if incident.kind is IncidentKind.DOWN)


def _elapsed(period: Period, now: datetime) -> timedelta:
    return max(_ZERO, min(period.end, now) - period.start)


def _incidents_in(
    period: Period, incidents: Iterable[IncidentRecord], now: datetime
) -> tuple[IncidentRecord, ...]:
    listed = [incident for incident in incidents if _overlaps(incident.span(now), period)]
    return tuple(sorted(listed, key=lambda incident: incident.first_failed_at))


def _blips_in(period: Period, blips: Iterable[BlipRecord]) -> tuple[BlipRecord, ...]:
    listed = [blip for blip in blips if _overlaps((blip.started_at, blip.ended_at), period)]
    return tuple(sorted(listed, key=lambda blip: blip.started_at))


def _overlaps(span: Interval, period: Period) -> bool:
    begins, ends = span
    if ends <= begins:  # an instant: it belongs to the period it happens in
        return period.start <= begins < period.end
    return begins < period.end and ends > period.start


def _outcome(incident: IncidentRecord, now: datetime) -> SlaOutcome:
    return sla_outcome(incident.sla_due_at, incident.acknowledged_at, incident.recovered_at, now)


def _times_to_acknowledge(incidents: Iterable[IncidentRecord]) -> list[timedelta]:
    """Only acknowledgements that stopped the response clock (the response rule of domain.sla): one
    made after the recovery is recorded, but nobody was responding to an outage by then."""
    return [
        i.acknowledged_at - i.confirmed_at
        for i in incidents
        if i.acknowledged_at is not None
        and clock_stopped_at(i.acknowledged_at, i.recovered_at) == i.acknowledged_at
    ]


def _times_to_recover(incidents: Iterable[IncidentRecord]) -> list[timedelta]:
    return [i.recovered_at - i.first_failed_at for i in incidents if i.recovered_at is not None]


def handling_stats(incidents: Iterable[IncidentRecord]) -> tuple[DurationStats | None, DurationStats | None]:
    """MTTA and MTTR over incidents of several monitors (a quarterly review's client), by the
    same rules as one monitor's ``PeriodAccount.mtta`` and ``mttr``."""
    listed = list(incidents)
    return duration_stats(_times_to_acknowledge(listed)), duration_stats(_times_to_recover(listed))


def _allowed_downtime(monitored: timedelta, target_percent: Decimal | None) -> Fraction | None:
    """The budget in exact microseconds: (100 − target) % of the monitored time."""
    if target_percent is None:
        return None
    return _micros(monitored) * (100 - Fraction(target_percent)) / 100


def _budget_used(downtime: timedelta, allowed_micros: Fraction | None) -> Fraction | None:
    if allowed_micros is None or allowed_micros <= 0:
        return None  # no target, or a budget of nothing: a share of it has no meaning
    return _micros(downtime) / allowed_micros


def _service_credit(
    target_percent: Decimal | None, uptime_percent: Decimal | None, steps: Sequence[CreditStep]
) -> int | None:
    if target_percent is None or uptime_percent is None:
        return None
    return credit_due_percent(uptime_percent, tuple(steps))


# --- Report helpers ---------------------------------------------------------------------------


def daily_breakdown(account: PeriodAccount, zone: ZoneInfo) -> list[DayAccount]:
    """Per local day of ``zone`` that the period touches: for the report's uptime strip and the
    status page's day bars. Days cut by the period's bounds are measured on their part inside it."""
    return [
        _day_account(account, day, start, end) for day, start, end in _local_days_within(account.period, zone)
    ]


def totals_between(account: PeriodAccount, start: datetime, end: datetime) -> tuple[timedelta, timedelta]:
    """Monitored and down time of ``account`` inside [start, end): a rolling window (the status
    page's "last 24 hours") read from one account of a longer period that contains it."""
    return (
        _total(_clip(account.monitored_intervals, start, end)),
        _total(_clip(account.downtime_intervals, start, end)),
    )


def _day_account(account: PeriodAccount, day: date, start: datetime, end: datetime) -> DayAccount:
    return _day_of(account.monitored_intervals, account.downtime_intervals, account.now, day, start, end)


def _day_of(
    monitored_intervals: Sequence[Interval],
    downtime_intervals: Sequence[Interval],
    now: datetime,
    day: date,
    start: datetime,
    end: datetime,
) -> DayAccount:
    monitored = _total(_clip(monitored_intervals, start, end))
    downtime = _total(_clip(downtime_intervals, start, end))
    uptime = uptime_of(monitored, downtime)
    elapsed = max(_ZERO, min(end, now) - start)
    return DayAccount(
        day=day,
        start=start,
        end=end,
        monitored=monitored,
        downtime=downtime,
        uptime=uptime,
        uptime_percent=None if uptime is None else percent_rounded_down(uptime),
        coverage=_ratio(monitored, elapsed),
    )


def _local_days_within(period: Period, zone: ZoneInfo) -> list[tuple[date, datetime, datetime]]:
    day = utc_to_local(period.start, zone).date()
    last = utc_to_local(period.end - _MICROSECOND, zone).date()
    days = []
    while day <= last:
        following = day + timedelta(days=1)
        start = max(_local_midnight(day, zone), period.start)
        end = min(_local_midnight(following, zone), period.end)
        if start < end:
            days.append((day, start, end))
        day = following
    return days


def account_site(period: Period, now: datetime, accounts: Sequence[PeriodAccount]) -> SiteAccount:
    """A site's figures from the accounts of its monitors over ``period`` (DESIGN.md §5)."""
    monitored_intervals = _union(span for account in accounts for span in account.monitored_intervals)
    downtime_intervals = _union(span for account in accounts for span in account.downtime_intervals)
    monitored = _total(monitored_intervals)
    downtime = _total(downtime_intervals)
    elapsed = _elapsed(period, now)
    uptime = uptime_of(monitored, downtime)
    per_incident = sorted(
        (
            (incident, counted_downtime(account, incident))
            for account in accounts
            for incident in account.incidents
            if incident.kind is IncidentKind.DOWN
        ),
        key=lambda pair: pair[0].first_failed_at,
    )
    return SiteAccount(
        period=period,
        now=now,
        monitors=len(accounts),
        monitored_intervals=tuple(monitored_intervals),
        downtime_intervals=tuple(downtime_intervals),
        monitored=monitored,
        downtime=downtime,
        elapsed=elapsed,
        uptime=uptime,
        uptime_percent=None if uptime is None else percent_rounded_down(uptime),
        coverage=_ratio(monitored, elapsed),
        incident_count=sum(account.incident_count for account in accounts),
        blip_count=sum(account.blip_count for account in accounts),
        incident_downtime=tuple(per_incident),
        overlap=sum((counted for _incident, counted in per_incident), _ZERO) - downtime,
    )


def counted_downtime(account: PeriodAccount, incident: IncidentRecord) -> timedelta:
    """The part of one incident that ``account`` counts as downtime: its span inside the period,
    less what fell outside the monitored time (maintenance, our own gaps); zero for a slowdown."""
    if incident.kind is not IncidentKind.DOWN:
        return _ZERO
    return _total(_intersect([incident.span(account.now)], list(account.monitored_intervals)))


def site_days(site: SiteAccount, zone: ZoneInfo) -> list[DayAccount]:
    """Per local day of ``zone`` that the period touches, the site's figures on that day."""
    return [
        _day_of(site.monitored_intervals, site.downtime_intervals, site.now, day, start, end)
        for day, start, end in _local_days_within(site.period, zone)
    ]


def site_totals_between(site: SiteAccount, start: datetime, end: datetime) -> tuple[timedelta, timedelta]:
    """The site's monitored and down time inside [start, end) (a status page's rolling window)."""
    return (
        _total(_clip(site.monitored_intervals, start, end)),
        _total(_clip(site.downtime_intervals, start, end)),
    )


def combine_sites(sites: Iterable[SiteAccount]) -> CombinedAccount:
    """A client's headline over several sites: time-weighted over sites, each site's downtime and
    monitored time counted as the site counts them (an overlap inside a site counts once)."""
    listed = list(sites)
    monitored = sum((site.monitored for site in listed), _ZERO)
    downtime = sum((site.downtime for site in listed), _ZERO)
    elapsed = sum((site.elapsed for site in listed), _ZERO)
    uptime = uptime_of(monitored, downtime)
    return CombinedAccount(
        monitors=sum(site.monitors for site in listed),
        monitored=monitored,
        downtime=downtime,
        elapsed=elapsed,
        uptime=uptime,
        uptime_percent=None if uptime is None else percent_rounded_down(uptime),
        coverage=_ratio(monitored, elapsed),
        incident_count=sum(site.incident_count for site in listed),
        blip_count=sum(site.blip_count for site in listed),
    )


def shown_seconds(durations: Sequence[timedelta]) -> list[int]:
    """Whole seconds to print for each of ``durations`` so that the printed rows add up to the
    printed total (the floor of their exact sum): each row is the step between the floors of the
    running sums, at most one second away from its own exact value."""
    shown = []
    running = _ZERO
    for duration in durations:
        before = _whole_seconds(running)
        running += duration
        shown.append(_whole_seconds(running) - before)
    return shown


def _whole_seconds(duration: timedelta) -> int:
    return _micros(duration) // 1_000_000


def uptime_of(monitored: timedelta, downtime: timedelta) -> Fraction | None:
    """1 − downtime / monitored, exactly; None ("n/a") when nothing was monitored."""
    if monitored <= _ZERO:
        return None
    return 1 - Fraction(_micros(downtime), _micros(monitored))


def percent_rounded_down(ratio: Fraction) -> Decimal:
    """``ratio`` × 100 rounded down to 3 decimals, computed on integers so no context can round up."""
    return Decimal(math.floor(ratio * 100_000)).scaleb(-3)


def _percent_rounded_up(ratio: Fraction) -> Decimal:
    return Decimal(math.ceil(ratio * 100_000)).scaleb(-3)


def duration_stats(durations: Iterable[timedelta]) -> DurationStats | None:
    """Mean, median and nearest-rank p90 in seconds; None when there is nothing to measure."""
    ordered = sorted(_micros(duration) for duration in durations)
    count = len(ordered)
    if count == 0:
        return None
    middle = count // 2
    median = ordered[middle] if count % 2 else Fraction(ordered[middle - 1] + ordered[middle], 2)
    p90_rank = -(-9 * count // 10)  # ⌈0.9 × n⌉ on integers, free of float error
    return DurationStats(
        count=count,
        mean_seconds=float(Fraction(sum(ordered), count) / 1_000_000),
        median_seconds=float(Fraction(median) / 1_000_000),
        p90_seconds=ordered[p90_rank - 1] / 1_000_000,
    )


# --- Interval arithmetic (sorted, disjoint lists of UTC [start, end)) ---------------------------


def _union(intervals: Iterable[Interval]) -> list[Interval]:
    return merge(interval for interval in intervals if interval[0] < interval[1])


def _clip(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    clipped = [(max(begins, start), min(ends, end)) for begins, ends in intervals]
    return [interval for interval in clipped if interval[0] < interval[1]]


def _subtract(base: list[Interval], holes: list[Interval]) -> list[Interval]:
    result: list[Interval] = []
    for begins, ends in base:
        cursor = begins
        for hole_begins, hole_ends in holes:
            if hole_ends <= cursor:
                continue
            if hole_begins >= ends:
                break
            if hole_begins > cursor:
                result.append((cursor, hole_begins))
            cursor = hole_ends
        if cursor < ends:
            result.append((cursor, ends))
    return result


def _intersect(left: list[Interval], right: list[Interval]) -> list[Interval]:
    result: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        begins = max(left[i][0], right[j][0])
        ends = min(left[i][1], right[j][1])
        if begins < ends:
            result.append((begins, ends))
        # Drop whichever ends first: it cannot meet anything further along the other list.
        if left[i][1] <= right[j][1]:
            i += 1
        else:
            j += 1
    return result


def _total(intervals: Iterable[Interval]) -> timedelta:
    return sum((ends - begins for begins, ends in intervals), _ZERO)


# --- Small conversions ------------------------------------------------------------------------


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return local_to_utc(datetime.combine(day, time()), zone)


def _micros(duration: timedelta) -> int:
    return duration // _MICROSECOND


def _seconds(duration: timedelta) -> Decimal:
    return Decimal(_micros(duration)).scaleb(-6)


def _ratio(part: timedelta, whole: timedelta) -> Fraction | None:
    return None if whole <= _ZERO else Fraction(_micros(part), _micros(whole))


def _timedelta_rounded_down(micros: Fraction) -> timedelta:
    return timedelta(microseconds=math.floor(micros))
