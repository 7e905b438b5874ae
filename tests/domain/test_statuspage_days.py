"""The compact day strip's arithmetic against brute force: the time each day holds of a list of
intervals, and the runs of equal colours a strip draws."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from veilleur.domain.statuspage import UptimeBand, band_runs, bands_of_runs, totals_per_day, totals_within

ORIGIN = datetime(2026, 9, 1, tzinfo=UTC)


def minutes(n: int) -> datetime:
    return ORIGIN + timedelta(minutes=n)


@st.composite
def disjoint_intervals(draw: st.DrawFn) -> list[tuple[datetime, datetime]]:
    """Sorted, disjoint, non-empty intervals, some before, across and after the days."""
    cuts = sorted(set(draw(st.lists(st.integers(-300, 3_000), max_size=24))))
    pairs = list(zip(cuts[0::2], cuts[1::2], strict=False))
    return [(minutes(a), minutes(b)) for a, b in pairs if a < b]


@st.composite
def day_bounds(draw: st.DrawFn) -> list[datetime]:
    """Consecutive days of uneven lengths (as a DST change makes them), 0 to 12 of them."""
    start = draw(st.integers(-100, 500))
    lengths = draw(st.lists(st.integers(1, 400), max_size=12))
    bounds = [start]
    for length in lengths:
        bounds.append(bounds[-1] + length)
    return [minutes(n) for n in bounds]


def clipped_total(intervals: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> timedelta:
    """The oracle: each interval clipped to the day, one minute at a time."""
    total = timedelta(0)
    for begins, ends in intervals:
        moment = begins
        while moment < ends:
            if start <= moment < end:
                total += timedelta(minutes=1)
            moment += timedelta(minutes=1)
    return total


@given(disjoint_intervals(), day_bounds())
def test_totals_per_day_equal_clipping_each_day(
    intervals: list[tuple[datetime, datetime]], bounds: list[datetime]
) -> None:
    expected = [clipped_total(intervals, bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]
    assert totals_per_day(intervals, bounds) == expected


def test_totals_per_day_split_an_interval_across_midnight_and_ignore_what_is_outside() -> None:
    bounds = [minutes(0), minutes(60), minutes(120)]
    intervals = [(minutes(-30), minutes(10)), (minutes(50), minutes(70)), (minutes(130), minutes(140))]
    assert totals_per_day(intervals, bounds) == [timedelta(minutes=20), timedelta(minutes=10)]


@given(st.lists(st.sampled_from(list(UptimeBand)), max_size=120))
def test_runs_stand_for_exactly_the_days_and_never_repeat_a_colour_side_by_side(
    bands: list[UptimeBand],
) -> None:
    runs = band_runs(bands)
    assert bands_of_runs(runs) == bands
    assert all(a[0] is not b[0] for a, b in pairwise(runs))
    assert all(run[1] == sum(r[2] for r in runs[:index]) for index, run in enumerate(runs))


@given(
    disjoint_intervals(), st.lists(st.tuples(st.integers(-400, 3_200), st.integers(-400, 3_200)), max_size=6)
)
def test_totals_within_windows_equal_clipping_each_window(
    intervals: list[tuple[datetime, datetime]], windows: list[tuple[int, int]]
) -> None:
    spans = [(minutes(a), minutes(b)) for a, b in windows]
    expected = [clipped_total(intervals, a, b) if a < b else timedelta(0) for a, b in spans]
    assert totals_within(intervals, spans) == expected
