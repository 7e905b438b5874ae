"""Hourly rollups: which checks count where, combining, phase timings, and the packed day round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veilleur.domain.histogram import LatencyHistogram
from veilleur.domain.resultcodec import ResultRecord
from veilleur.domain.rollups import (
    PHASES,
    HourRollup,
    PhaseAggregate,
    combine_all,
    pack_day,
    rollup_hour,
    unpack_day,
)

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
    phases=st.fixed_dictionaries(
        {
            phase: st.lists(st.integers(0, 70_000), max_size=20).map(
                lambda values: PhaseAggregate(len(values), sum(values))
            )
            for phase in PHASES
        }
    ),
)


@given(st.dictionaries(st.integers(0, 23), rollups, max_size=24))
def test_packed_day_round_trips(hours: dict[int, HourRollup]) -> None:
    assert unpack_day(pack_day(hours)) == hours


@given(rollups, rollups)
def test_combine_adds_counts_and_merges_histograms(a: HourRollup, b: HourRollup) -> None:
    both = a.combine(b)
    assert both.checks == a.checks + b.checks
    assert both.latency == a.latency.merge(b.latency)
    for phase in PHASES:
        assert both.phases[phase].sum_ms == a.phases[phase].sum_ms + b.phases[phase].sum_ms
        assert both.phases[phase].count == a.phases[phase].count + b.phases[phase].count
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


# --- phase timings ---------------------------------------------------------------------------

maybe_ms = st.one_of(st.none(), st.integers(0, 30_000))
records = st.builds(
    ResultRecord,
    checked_at=st.integers(0, 6 * 3600 - 1).map(lambda s: AT + timedelta(seconds=s)),
    ok=st.booleans(),
    confirmation=st.booleans(),
    in_maintenance=st.booleans(),
    dns_ms=maybe_ms,
    connect_ms=maybe_ms,
    tls_ms=maybe_ms,
    ttfb_ms=maybe_ms,
    total_ms=maybe_ms,
)


def test_phases_sample_the_successful_regular_checks_that_went_through_them() -> None:
    rollup = rollup_hour(
        [
            ResultRecord(AT, ok=True, dns_ms=4, connect_ms=20, tls_ms=60, ttfb_ms=300, total_ms=400),
            ResultRecord(AT, ok=True, dns_ms=None, connect_ms=10, tls_ms=None, ttfb_ms=100, total_ms=120),
            ResultRecord(AT, ok=False, dns_ms=5, connect_ms=9000, error_class="timeout"),  # failed
            ResultRecord(AT, ok=True, confirmation=True, dns_ms=7, total_ms=50),  # confirmation
            ResultRecord(AT, ok=True, in_maintenance=True, dns_ms=8, total_ms=50),  # maintenance
        ],
        threshold_ms=500,
    )
    assert {phase: aggregate.count for phase, aggregate in rollup.phases.items()} == {
        "dns_ms": 1,
        "connect_ms": 2,
        "tls_ms": 1,
        "ttfb_ms": 2,
    }
    assert rollup.phases["connect_ms"].mean_ms == 15
    assert rollup.phases["ttfb_ms"].mean_ms == 200
    assert rollup_hour([], threshold_ms=500).phases["dns_ms"].mean_ms is None


def _oracle_samples(all_records: list[ResultRecord], phase: str) -> list[int]:
    """The phase's samples straight from the raw records (the rule written out once more)."""
    regular = [r for r in all_records if not r.confirmation and not r.in_maintenance]
    sampled = [r for r in regular if r.ok and r.total_ms is not None]
    return [getattr(r, phase) for r in sampled if getattr(r, phase) is not None]


@given(st.lists(records, max_size=120))
def test_combining_hours_equals_computing_over_the_raw_records(all_records: list[ResultRecord]) -> None:
    by_hour: dict[datetime, list[ResultRecord]] = {}
    for record in all_records:
        by_hour.setdefault(record.checked_at.replace(minute=0, second=0), []).append(record)
    hours = [rollup_hour(hour_records, threshold_ms=500) for hour_records in by_hour.values()]
    total = combine_all(hours)
    for phase in PHASES:
        values = _oracle_samples(all_records, phase)
        aggregate = total.phases[phase]
        assert aggregate.count == len(values)
        assert aggregate.sum_ms == sum(values)
        assert aggregate.mean_ms == (sum(values) / len(values) if values else None)
    sampled = _oracle_samples(all_records, "total_ms")
    if sampled:
        to_first_byte = [
            sum(getattr(r, phase) or 0 for phase in PHASES)
            for r in all_records
            if r.ok and not r.confirmation and not r.in_maintenance and r.total_ms is not None
        ]
        shares = sum(total.phase_share_ms(phase) or 0.0 for phase in PHASES)
        assert shares == pytest.approx(sum(to_first_byte) / len(to_first_byte))
    else:
        assert all(total.phase_share_ms(phase) is None for phase in PHASES)


# A day packed by format 1 (before phase timings): hours 3 and 17.
FORMAT_1_DAY = bytes.fromhex("01008880087802000000f403766e06082f010001050105013c00000001f4033c3c00022c03")


def test_a_day_stored_in_format_1_still_reads_without_phase_samples() -> None:
    hours = unpack_day(FORMAT_1_DAY)
    assert sorted(hours) == [3, 17]
    assert (hours[3].checks, hours[3].failures, hours[3].apdex_satisfied) == (120, 2, 110)
    assert hours[3].latency == LatencyHistogram.of([210, 230, 480, 900])
    assert hours[17].blips == 1
    assert all(aggregate.count == 0 for aggregate in hours[3].phases.values())
    # Read, then written again: the day moves to the current format and keeps its figures.
    assert unpack_day(pack_day(hours)) == hours


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="known format"):
        unpack_day(b"\x09" + FORMAT_1_DAY[1:])
