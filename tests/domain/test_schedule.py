"""Checks keep their phase: slots never drift and spread across the interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from veilleur.domain.schedule import next_slot, no_data_threshold, phase_offset_ms, slot_at_or_after

T = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)


@given(instants, st.integers(1, 10**9), st.sampled_from([10, 30, 60, 180, 300]))
# A microsecond past a slot: the next slot, not the one just before the instant.
@example(datetime(2024, 1, 1, 0, 0, 0, 1, tzinfo=UTC), 31_250_000, 10)
def test_slot_is_the_first_at_or_after(instant: datetime, monitor_id: int, interval: int) -> None:
    slot = slot_at_or_after(instant, monitor_id, interval)
    assert instant <= slot < instant + timedelta(seconds=interval)
    assert slot_at_or_after(slot, monitor_id, interval) == slot


@given(instants, st.integers(1, 10**9), st.sampled_from([30, 60, 180]), st.integers(0, 50))
def test_next_slots_never_drift(instant: datetime, monitor_id: int, interval: int, steps: int) -> None:
    first = slot_at_or_after(instant, monitor_id, interval)
    slot = first
    for _ in range(steps):
        # The check runs a little late each time; the schedule does not follow it.
        slot = next_slot(slot, slot + timedelta(seconds=interval / 3), monitor_id, interval)
    assert slot == first + timedelta(seconds=interval * steps)


def test_far_behind_skips_to_now_keeping_the_phase() -> None:
    first = slot_at_or_after(T, 7, 60)
    later = next_slot(first, T + timedelta(hours=2), 7, 60)
    assert T + timedelta(hours=2) < later <= T + timedelta(hours=2, minutes=1)
    assert (later - first).total_seconds() % 60 == 0


def test_phases_spread_across_the_interval() -> None:
    offsets = sorted(phase_offset_ms(i, 30) // 1000 for i in range(1, 3001))
    per_second = [offsets.count(s) for s in range(30)]
    assert max(per_second) < 2 * min(per_second)


def test_no_data_threshold() -> None:
    assert no_data_threshold(60) == timedelta(seconds=150)
