"""Hourly rollups: which checks count where, combining, and the packed day round trip."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veilleur.domain.histogram import LatencyHistogram
from veilleur.domain.resultcodec import ResultRecord
from veilleur.domain.rollups import HourRollup, combine_all, pack_day, rollup_hour, unpack_day

AT = datetime(2026, 3, 2, 14, tzinfo=UTC)


def check(ok: bool = True, total_ms: int | None = 200, **flags: bool) -> ResultRecord:
    return ResultRecord(checked_at=AT, ok=ok, total_ms=total_ms, **flags)


def test_counts_and_apdex_sample_only_regular_checks_outside_maintenance() -> None:
    rollup = rollup_hour(
        [
            check(total_ms=100),  # satisfied
            check(total_ms=900),  # tolerating (T=500)
            check(total_ms=2500),  # frustrated
            check(ok=False, total_ms=None),  # failure: frustrated
            check(ok=False, total_ms=None, confirmation=True),  # not sampled
            check(total_ms=4000, in_maintenance=True),  # not sampled
            check(total_ms=None),  # ok without a time: not sampled
        ],
        threshold_ms=500,
        blips=1,
    )
    assert (rollup.checks, rollup.failures) == (7, 2)
    assert (rollup.maintenance_checks, rollup.confirmation_checks, rollup.blips) == (1, 1, 1)
    assert (rollup.apdex_samples, rollup.apdex_satisfied, rollup.apdex_tolerating) == (4, 1, 1)
    assert rollup.apdex == pytest.approx(1.5 / 4)
    assert rollup.latency == LatencyHistogram.of([100, 900, 2500])


def test_an_hour_without_samples_has_no_apdex() -> None:
    assert rollup_hour([check(in_maintenance=True)], threshold_ms=500).apdex is None


rollups = st.builds(
    HourRollup,
    checks=st.integers(0, 400),
    failures=st.integers(0, 400),
    maintenance_checks=st.integers(0, 400),
    confirmation_checks=st.integers(0, 40),
    blips=st.integers(0, 40),
    apdex_threshold_ms=st.integers(1, 10_000),
    apdex_samples=st.integers(0, 400),
    apdex_satisfied=st.integers(0, 200),
    apdex_tolerating=st.integers(0, 200),
    latency=st.lists(st.integers(0, 70_000), max_size=50).map(LatencyHistogram.of),
)


@given(st.dictionaries(st.integers(0, 23), rollups, max_size=24))
def test_packed_day_round_trips(hours: dict[int, HourRollup]) -> None:
    assert unpack_day(pack_day(hours)) == hours


@given(rollups, rollups)
def test_combine_adds_counts_and_merges_histograms(a: HourRollup, b: HourRollup) -> None:
    both = a.combine(b)
    assert both.checks == a.checks + b.checks
    assert both.latency == a.latency.merge(b.latency)
    assert combine_all([a, b]) == both


def test_hours_outside_a_day_are_refused() -> None:
    with pytest.raises(ValueError):
        pack_day({24: HourRollup()})


def test_a_day_of_realistic_hours_packs_under_a_kilobyte() -> None:
    hours = {
        hour: rollup_hour(
            [check(total_ms=180 + (i * 37) % 200) for i in range(120)] + [check(ok=False, total_ms=None)],
            threshold_ms=500,
        )
        for hour in range(24)
    }
    assert len(pack_day(hours)) < 1024
    assert unpack_day(pack_day(hours))[5].checks == 121
