"""Turning local wall times into instants, with the DST rules every part of Veilleur follows.

- A wall time in a DST gap (it never happens on the clock) means the instant the gap ends:
  "02:30" on the spring-forward night in Paris is 03:00 local.
- An ambiguous wall time (it happens twice) means the earlier instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def local_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a naive local wall time in ``zone``."""
    if wall.tzinfo is not None:
        raise ValueError("local_to_utc expects a naive wall time")
    earlier = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if _wall_of(earlier, zone) == wall:
        return earlier
    return _gap_end(wall, zone)


def _wall_of(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _gap_end(wall: datetime, zone: ZoneInfo) -> datetime:
    """First instant after the transition that skipped ``wall``: bisect between the two readings."""
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)  # read with the offset after: too early
    high = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)  # read with the offset before: too late
    if low > high:
        low, high = high, low
    after = high.astimezone(zone).utcoffset()
    # Invariant: the offset at ``high`` is the post-transition one, at ``low`` it is not.
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(zone).utcoffset() == after:
            high = middle
        else:
            low = middle
    return high


def utc_to_local(instant: datetime, zone: ZoneInfo) -> datetime:
    """The naive wall time of an aware instant in ``zone``."""
    if instant.tzinfo is None:
        raise ValueError("utc_to_local expects an aware instant")
    return _wall_of(instant, zone)
