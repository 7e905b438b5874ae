"""When checks happen: each monitor keeps a fixed phase within its interval.

Slots are ``offset + k × interval`` on the UTC clock, with the offset derived from the monitor's
id, so checks spread evenly across the interval instead of all firing at :00 (no thundering
herd), and the next slot is computed from the slot, never from when the check happened to run
(no drift).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
# Knuth's multiplicative hash spreads consecutive ids far apart within the interval.
_SPREAD = 2654435761
_TICK = timedelta(milliseconds=1)


def phase_offset_ms(monitor_id: int, interval_seconds: int) -> int:
    return (monitor_id * _SPREAD) % (interval_seconds * 1000)


def slot_at_or_after(instant: datetime, monitor_id: int, interval_seconds: int) -> datetime:
    """The first slot of the monitor at or after ``instant``."""
    interval_ms = interval_seconds * 1000
    offset = phase_offset_ms(monitor_id, interval_seconds)
    elapsed_ms = _ms_since_epoch(instant) - offset
    slots = -(-elapsed_ms // interval_ms)  # ceiling division
    return _EPOCH + timedelta(milliseconds=offset + slots * interval_ms)


def next_slot(slot: datetime, now: datetime, monitor_id: int, interval_seconds: int) -> datetime:
    """The slot after ``slot``. When the checker fell more than an interval behind (it was stopped),
    it skips to the first slot after ``now`` instead of replaying missed checks: missed time is a
    no-data gap, reported as such, never filled with checks run late."""
    following = slot_at_or_after(slot + _TICK, monitor_id, interval_seconds)
    if following < now - timedelta(seconds=interval_seconds):
        return slot_at_or_after(now + _TICK, monitor_id, interval_seconds)
    return following


def _ms_since_epoch(instant: datetime) -> int:
    """Whole milliseconds since the epoch, rounded up: slots fall on whole milliseconds, so the
    first slot at or after ``instant`` is the first one at or after this (rounding down would give
    a slot up to 999 µs before ``instant``)."""
    delta = instant - _EPOCH
    microseconds = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return -(-microseconds // 1000)


def no_data_threshold(interval_seconds: int) -> timedelta:
    """Longer than this without a result is our own outage (DESIGN.md §5)."""
    return timedelta(seconds=2 * interval_seconds + 30)
