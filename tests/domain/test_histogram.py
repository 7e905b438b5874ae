"""Fixed log-bucket latency histograms: merging is exact, quantiles are within the stated error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veilleur.domain.binary import VarintReader, all_varints, write_varint
from veilleur.domain.histogram import (
    BOUNDARIES,
    BUCKETS,
    RELATIVE_ERROR,
    LatencyHistogram,
    bucket_estimate,
    bucket_of,
    nearest_rank,
)

latencies = st.lists(st.integers(min_value=0, max_value=200_000), max_size=60)
in_range = st.lists(st.integers(min_value=1, max_value=99_999), min_size=1, max_size=200)
quantiles = st.floats(min_value=0, max_value=1)


def test_buckets_are_fixed_and_fit_a_byte() -> None:
    assert BUCKETS == 102
    assert BOUNDARIES[0] == 1 and BOUNDARIES[20] == 10 and BOUNDARIES[-1] == 100_000
    assert round(BOUNDARIES[1] / BOUNDARIES[0], 3) == 1.122
    assert bucket_of(0) == 0 and bucket_of(1) == 1 and bucket_of(99_999) == 100 and bucket_of(100_000) == 101


def test_relative_error_is_about_six_percent() -> None:
    assert 0.059 < RELATIVE_ERROR < 0.060


def test_refuses_negative_latencies_and_bad_quantiles() -> None:
    with pytest.raises(ValueError):
        LatencyHistogram().add(-1)
    with pytest.raises(ValueError):
        LatencyHistogram.of([5]).quantile(1.5)


def test_empty_histogram_has_no_quantile() -> None:
    assert LatencyHistogram().quantile(0.5) is None
    assert LatencyHistogram().encode() == b""


@given(latencies, latencies, latencies)
def test_merge_is_associative_and_commutative(a: list[int], b: list[int], c: list[int]) -> None:
    ha, hb, hc = (LatencyHistogram.of(values) for values in (a, b, c))
    assert ha.merge(hb) == hb.merge(ha)
    assert ha.merge(hb).merge(hc) == ha.merge(hb.merge(hc))
    assert LatencyHistogram.merge_all([ha, hb, hc]) == ha.merge(hb).merge(hc)


@given(latencies, latencies, quantiles)
def test_merged_equals_the_histogram_of_all_values(a: list[int], b: list[int], q: float) -> None:
    merged = LatencyHistogram.of(a).merge(LatencyHistogram.of(b))
    together = LatencyHistogram.of(a + b)
    assert merged == together
    assert merged.count == len(a) + len(b)
    assert merged.quantile(q) == together.quantile(q)


@given(in_range, quantiles)
def test_quantile_is_within_the_relative_error_of_nearest_rank(values: list[int], q: float) -> None:
    estimate = LatencyHistogram.of(values).quantile(q)
    exact = nearest_rank([float(v) for v in values], q)
    assert estimate is not None
    assert abs(estimate - exact) / exact <= RELATIVE_ERROR + 1e-12


@given(st.integers(min_value=1, max_value=100))
def test_bound_is_reached_at_the_lower_edge_of_a_bucket(index: int) -> None:
    lower = BOUNDARIES[index - 1]
    assert bucket_of(lower) == index
    assert bucket_estimate(index) / lower - 1 == pytest.approx(RELATIVE_ERROR)


@given(latencies)
def test_encode_decode_round_trips(values: list[int]) -> None:
    histogram = LatencyHistogram.of(values)
    assert LatencyHistogram.decode(histogram.encode()) == histogram


def test_encoding_is_sparse() -> None:
    histogram = LatencyHistogram.of([200] * 100 + [210] * 20 + [5000])
    assert len(histogram.encode()) <= 7


@pytest.mark.parametrize("corrupt", [b"\x80", b"\x00\x00", bytes([110, 1])])
def test_decode_refuses_corrupt_input(corrupt: bytes) -> None:
    with pytest.raises(ValueError):
        LatencyHistogram.decode(corrupt)


@given(st.lists(st.integers(0, 2**64), max_size=50))
def test_all_varints_reads_what_one_by_one_reads(values: list[int]) -> None:
    data = bytearray()
    for value in values:
        write_varint(data, value)
    reader = VarintReader(bytes(data))
    one_by_one = []
    while not reader.at_end:
        one_by_one.append(reader.varint())
    assert all_varints(bytes(data)) == one_by_one == values


@pytest.mark.parametrize("data", [b"\x80", b"\x01\xff", b"\xff" * 11])
def test_all_varints_refuses_truncated_or_overlong_input(data: bytes) -> None:
    with pytest.raises(ValueError, match="varint"):
        all_varints(data)
