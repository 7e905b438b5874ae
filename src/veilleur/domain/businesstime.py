"""Business time: the SLA clock of plans whose response target counts opening hours only.

The membership rule (DESIGN §5) is the definition everything else derives from:

    An instant is *open* when its local wall time, in the calendar's zone, falls inside a range
    of its local date's weekday (or inside an overnight range begun the day before), and that
    date is not a holiday.

"That date" is read as **the date that owns the range**: the instant's local date for a range
of its own weekday, the day before for the tail of an overnight range begun then. So a Friday
"22:00-06:00" shift runs to Saturday 06:00 even when Saturday is a holiday, and a shift that
would begin on a holiday never starts, its after-midnight tail included. Each range belongs to
one date and one date decides about it: a night shift is never cut at midnight by the next
day's holiday. For ranges that do not cross midnight both readings agree.

Arithmetic is done on UTC instants. For each local date the wall-clock ranges are mapped to
exactly the set of instants whose wall time lies inside them; because the zone's UTC offset is
constant between transitions, that set is, per offset segment, an interval shifted by the
offset. The consequences of the rule follow on their own:

- a range starting inside a DST gap opens when the gap ends (an end in a gap likewise);
- a range spanning a repeated hour lasts that much longer in real time;
- a start inside a repeated hour opens at the earlier instant. Taken literally, the rule then
  closes the range while the clock replays the wall times before its start, and reopens it:
  "02:30-04:00" on the Paris fall-back night is open 02:30-03:00 CEST and 02:30-04:00 CET;
- likewise a range ending inside a repeated hour reopens while the clock replays the wall
  times before its end: "00:00-02:30" that night is open until 02:30 CEST and 02:00-02:30 CET.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from veilleur.domain.timezones import utc_to_local
from veilleur.domain.validators import (
    WEEKDAYS,
    check_holiday,
    check_time_zone,
    check_weekly_hours,
    parse_hours_range,
)

MINUTES_PER_DAY = 24 * 60
ONE_DAY = timedelta(days=1)

# A calendar that stays closed this long is treated as never opening, so that a misconfigured
# calendar (every date a holiday, say) fails loudly instead of making a timer search forever.
OPENING_HORIZON = timedelta(days=366)

# Searches forward walk this much real time per step: long enough to be cheap, short enough that
# a near deadline does not pay for building far-away days.
_SEARCH_STEP = timedelta(days=7)

# Every UTC offset lies strictly within a day, so a wall time and its instants are less than a day
# apart (read as if the wall time were UTC). This bounds every local/UTC search below.
_MAX_OFFSET = ONE_DAY

# Offsets are probed at this step to find transitions, then bisected to the second; no zone
# changes its offset and back again within an hour, which is all that such probing could miss.
_TRANSITION_PROBE_STEP = timedelta(hours=1)

Interval = tuple[datetime, datetime]


class NoOpeningError(Exception):
    """The calendar has no open time within the search horizon: an SLA clock would never run."""


@dataclass(frozen=True)
class OpeningRange:
    """One wall-clock opening range of a date, in minutes after that date's midnight.

    ``end`` above 1440 means the range runs overnight into the next date; ``end == 1440`` is
    midnight ("24:00").
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        if not (0 <= self.start < MINUTES_PER_DAY and self.start < self.end <= self.start + MINUTES_PER_DAY):
            raise ValueError(f"invalid opening range {self.start}-{self.end} (minutes after midnight)")

    @classmethod
    def parse(cls, text: str) -> OpeningRange:
        """``"09:00-18:00"``, ``"22:00-06:00"`` (overnight), ``"00:00-24:00"`` (the whole day)."""
        start, end = parse_hours_range(text)
        start_minute = _minutes_after_midnight(start)
        end_minute = _minutes_after_midnight(end)
        if end_minute <= start_minute:  # overnight, or "24:00", which parses as 00:00
            end_minute += MINUTES_PER_DAY
        return cls(start_minute, end_minute)

    def wall_span(self, day: date) -> tuple[datetime, datetime]:
        """The naive local wall times this range covers on ``day``, end excluded."""
        midnight = datetime.combine(day, time())
        return midnight + timedelta(minutes=self.start), midnight + timedelta(minutes=self.end)


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours in an IANA zone, per weekday, minus holidays (local dates)."""

    time_zone: str
    weekly: tuple[tuple[OpeningRange, ...], ...]  # indexed by date.weekday(): Monday is 0
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        check_time_zone(self.time_zone)
        if len(self.weekly) != len(WEEKDAYS):
            raise ValueError("a business calendar needs the ranges of all seven weekdays")

    @classmethod
    def from_stored(
        cls,
        time_zone: str,
        weekly_hours: Mapping[str, Sequence[str]],
        holidays: Iterable[date | str] = (),
    ) -> BusinessCalendar:
        """From the stored form: ``{"mon": ["09:00-12:30", "14:00-18:00"], …}`` and ISO dates."""
        normalised = check_weekly_hours({day: list(ranges) for day, ranges in weekly_hours.items()})
        weekly = tuple(
            tuple(OpeningRange.parse(text) for text in normalised.get(day, [])) for day in WEEKDAYS
        )
        return cls(time_zone, weekly, frozenset(check_holiday(day) for day in holidays))

    @classmethod
    def always_open(cls, time_zone: str = "UTC") -> BusinessCalendar:
        """The 24/7 calendar: business time is real time."""
        return cls.from_stored(time_zone, {day: ["00:00-24:00"] for day in WEEKDAYS})

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def ranges_of(self, day: date) -> tuple[OpeningRange, ...]:
        """The ranges owned by the local date ``day``: none on a holiday."""
        if day in self.holidays:
            return ()
        return self.weekly[day.weekday()]

    # -- the definition -------------------------------------------------------------------------

    def is_open(self, instant: datetime) -> bool:
        """DESIGN's membership test, applied literally to the instant's local wall time."""
        wall = utc_to_local(_as_utc(instant), self.zone)
        today = wall.date()
        return any(
            start <= wall < end
            for owner in (today, today - ONE_DAY)  # the day before: the tail of its overnight ranges
            for start, end in (opening.wall_span(owner) for opening in self.ranges_of(owner))
        )

    # -- arithmetic on UTC instants -------------------------------------------------------------

    def open_intervals(self, start: datetime, end: datetime) -> list[Interval]:
        """The open time within [start, end): sorted, disjoint, non-touching UTC intervals."""
        start, end = _as_utc(start), _as_utc(end)
        if end <= start:
            return []
        first_owner, last_owner = _owner_dates_around(start, end)
        segments = _offset_segments(
            self.zone,
            _as_if_utc(datetime.combine(first_owner, time())) - _MAX_OFFSET,
            _as_if_utc(datetime.combine(last_owner + 2 * ONE_DAY, time())) + _MAX_OFFSET,
        )
        pieces: list[Interval] = []
        for owner in _dates(first_owner, last_owner):
            for opening in self.ranges_of(owner):
                pieces.extend(_instants_with_wall_in(*opening.wall_span(owner), segments))
        return _clip(_merge(pieces), start, end)

    def business_between(self, start: datetime, end: datetime) -> timedelta:
        """Open time within [start, end)."""
        if _as_utc(end) < _as_utc(start):
            raise ValueError("business_between expects start <= end")
        return sum((high - low for low, high in self.open_intervals(start, end)), timedelta())

    def next_opening(self, instant: datetime) -> datetime:
        """The instant itself when open, else the first open instant after it."""
        first_open, _ = next(self._open_intervals_from(_as_utc(instant)))
        return first_open

    def add_business(self, start: datetime, duration: timedelta) -> datetime:
        """The instant when ``duration`` of open time has elapsed after ``start``.

        A clock started while closed starts at the next opening; a zero duration therefore gives
        the next opening, which is when a zero target falls due.
        """
        if duration < timedelta():
            raise ValueError("add_business expects a duration of zero or more")
        remaining = duration
        for low, high in self._open_intervals_from(_as_utc(start)):
            if remaining <= high - low:
                return low + remaining
            remaining -= high - low
        raise AssertionError("unreachable: the search raises NoOpeningError before it runs out")

    def _open_intervals_from(self, start: datetime) -> Iterator[Interval]:
        """Open intervals from ``start`` on, step by step; pieces may touch at step boundaries."""
        if not any(self.weekly):
            raise NoOpeningError(f"the calendar in {self.time_zone} has no opening hours on any weekday")
        step_start = last_open = start
        while True:
            step_end = step_start + _SEARCH_STEP
            for interval in self.open_intervals(step_start, step_end):
                yield interval
                last_open = interval[1]
            if step_end - last_open > OPENING_HORIZON:
                raise NoOpeningError(
                    f"the calendar in {self.time_zone} has no opening between "
                    f"{last_open.isoformat()} and {step_end.isoformat()}"
                )
            step_start = step_end


# -- helpers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _OffsetSegment:
    """A stretch of UTC [start, end) over which the zone keeps one UTC offset."""

    start: datetime
    end: datetime
    offset: timedelta


def _minutes_after_midnight(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _as_utc(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("business-time arithmetic expects aware datetimes")
    return instant.astimezone(UTC)


def _as_if_utc(wall: datetime) -> datetime:
    """A naive wall time read as UTC: only to bound searches, never as a result."""
    return wall.replace(tzinfo=UTC)


def _dates(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += ONE_DAY


def _owner_dates_around(start: datetime, end: datetime) -> tuple[date, date]:
    """Every local date whose ranges can cover an instant of [start, end).

    Such an instant's wall time lies within a day of it, and the range covering it is owned by the
    wall time's date or, for an overnight tail, the day before.
    """
    first = (start.replace(tzinfo=None) - _MAX_OFFSET).date() - ONE_DAY
    last = (end.replace(tzinfo=None) + _MAX_OFFSET).date()
    return first, last


def _offset_at(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None  # a ZoneInfo always knows its offset
    return offset


def _offset_segments(zone: ZoneInfo, start: datetime, end: datetime) -> list[_OffsetSegment]:
    """Split UTC [start, end) where the zone's offset changes."""
    segments: list[_OffsetSegment] = []
    segment_start, offset = start, _offset_at(zone, start)
    probe = start
    while probe < end:
        next_probe = min(probe + _TRANSITION_PROBE_STEP, end)
        if _offset_at(zone, next_probe) == offset:
            probe = next_probe
            continue
        change = _first_change_after(zone, probe, next_probe, offset)
        segments.append(_OffsetSegment(segment_start, change, offset))
        segment_start, offset = change, _offset_at(zone, change)
        probe = change  # rescan from the change: a second one may follow within the step
    segments.append(_OffsetSegment(segment_start, end, offset))
    return segments


def _first_change_after(zone: ZoneInfo, low: datetime, high: datetime, offset: timedelta) -> datetime:
    """The first instant in (low, high] whose offset is not ``offset``, to the second.

    Transitions fall on whole seconds, and ``low`` is whole-second aligned by construction.
    """
    while high - low > timedelta(seconds=1):
        middle = low + timedelta(seconds=(high - low) // timedelta(seconds=2))
        if _offset_at(zone, middle) == offset:
            low = middle
        else:
            high = middle
    return high


def _instants_with_wall_in(
    wall_start: datetime, wall_end: datetime, segments: Sequence[_OffsetSegment]
) -> Iterator[Interval]:
    """The instants whose wall time lies in [wall_start, wall_end).

    Within a segment, wall time = instant + offset, so the set is one shifted interval per
    segment; a wall time in a gap is reached by no instant, a repeated one by two.
    """
    for segment in segments:
        low = max(segment.start, _as_if_utc(wall_start - segment.offset))
        high = min(segment.end, _as_if_utc(wall_end - segment.offset))
        if low < high:
            yield low, high


def _merge(pieces: list[Interval]) -> list[Interval]:
    """Union of intervals; overlapping or touching ones become one."""
    merged: list[Interval] = []
    for low, high in sorted(pieces):
        if merged and low <= merged[-1][1]:
            if high > merged[-1][1]:
                merged[-1] = (merged[-1][0], high)
        else:
            merged.append((low, high))
    return merged


def _clip(intervals: list[Interval], start: datetime, end: datetime) -> list[Interval]:
    clipped = ((max(low, start), min(high, end)) for low, high in intervals)
    return [(low, high) for low, high in clipped if low < high]
