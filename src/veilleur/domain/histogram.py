"""Latency histograms with fixed logarithmic buckets, so that any two of them merge exactly.

Every histogram uses the same bucket boundaries ``10 ** (k / 20)`` ms for k = 0 … 100, that is
1 ms to 100 s in steps of about 12.2 %. Because the boundaries never change, the histogram of an
hour, of a day or of a whole agency is just the bucket-wise sum of smaller ones, and a
percentile of a month is computed from 720 hourly histograms without the raw results.

Bucket 0 holds values below 1 ms, buckets 1 … 100 hold ``[10 ** ((k-1)/20), 10 ** (k/20))``, and
bucket 101 holds 100 s and above, so an index fits in a byte.

Quantiles use the nearest-rank definition (the value at rank ``ceil(q × n)`` of the sorted
values). The histogram knows the rank's bucket exactly and answers with the bucket's geometric
midpoint ``10 ** ((k - 0.5) / 20)``. For a true value ``v`` in 1 ms … 100 s the estimate ``e``
therefore satisfies ``|e − v| / v ≤ 10 ** (1/40) − 1`` ≈ 5.93 % (:data:`RELATIVE_ERROR`).
Below 1 ms the estimate is 0 (absolute error under 1 ms); at 100 s and above it is 100 s, a
lower bound (no check waits that long: timeouts are at most 60 s).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable

from veilleur.domain.binary import all_varints, write_varint

STEPS_PER_DECADE = 20
DECADES = 5  # 1 ms … 100 s
BOUNDARIES: tuple[float, ...] = tuple(
    10 ** (k / STEPS_PER_DECADE) for k in range(DECADES * STEPS_PER_DECADE + 1)
)
BUCKETS = len(BOUNDARIES) + 1  # underflow + 100 log buckets + overflow = 102
RELATIVE_ERROR = 10 ** (1 / (2 * STEPS_PER_DECADE)) - 1


def bucket_of(ms: float) -> int:
    """The bucket index of a latency in milliseconds."""
    if ms < 0 or math.isnan(ms):
        raise ValueError(f"a latency must be a non-negative number of milliseconds, got {ms}")
    return bisect_right(BOUNDARIES, ms)


def bucket_estimate(index: int) -> float:
    """The value reported for anything in bucket ``index`` (see the module's error bound)."""
    if index == 0:
        return 0.0
    if index >= BUCKETS - 1:
        return BOUNDARIES[-1]
    return float(10 ** ((index - 0.5) / STEPS_PER_DECADE))


class LatencyHistogram:
    """Counts of latencies per fixed bucket. Mutable through :meth:`add`; :meth:`merge` returns a new one."""

    __slots__ = ("_counts",)

    def __init__(self, counts: Iterable[int] | None = None) -> None:
        self._counts = [0] * BUCKETS
        if counts is not None:
            values = list(counts)
            if len(values) != BUCKETS or any(c < 0 for c in values):
                raise ValueError(f"a histogram has {BUCKETS} non-negative counts")
            self._counts = values

    @classmethod
    def of(cls, values: Iterable[float]) -> LatencyHistogram:
        histogram = cls()
        for value in values:
            histogram.add(value)
        return histogram

    def add(self, ms: float, times: int = 1) -> None:
        self._counts[bucket_of(ms)] += times

    def merge(self, other: LatencyHistogram) -> LatencyHistogram:
        return LatencyHistogram(a + b for a, b in zip(self._counts, other._counts, strict=True))

    @classmethod
    def merge_all(cls, histograms: Iterable[LatencyHistogram]) -> LatencyHistogram:
        total = cls()
        columns = [histogram._counts for histogram in histograms]
        if columns:
            # Bucket by bucket in one pass (zip and sum run in C): a quarter of a client's hours
            # is tens of thousands of histograms.
            total._counts = [sum(bucket) for bucket in zip(*columns, strict=True)]
        return total

    @property
    def count(self) -> int:
        return sum(self._counts)

    @property
    def counts(self) -> tuple[int, ...]:
        return tuple(self._counts)

    def quantile(self, q: float) -> float | None:
        """Nearest-rank quantile estimate (``q`` in [0, 1]); None for an empty histogram."""
        if not 0 <= q <= 1:
            raise ValueError(f"a quantile is between 0 and 1, got {q}")
        total = self.count
        if total == 0:
            return None
        rank = max(1, math.ceil(q * total))
        seen = 0
        for index, count in enumerate(self._counts):
            seen += count
            if seen >= rank:
                return bucket_estimate(index)
        raise AssertionError("unreachable: the rank is at most the total count")

    def encode(self) -> bytes:
        """Sparse form: (gap to the previous non-empty bucket, count) varint pairs; empty → b""."""
        out = bytearray()
        previous = -1
        for index, count in enumerate(self._counts):
            if count:
                write_varint(out, index - previous - 1)
                write_varint(out, count)
                previous = index
        return bytes(out)

    @classmethod
    def decode(cls, data: bytes) -> LatencyHistogram:
        histogram = cls()
        values = all_varints(data)
        if len(values) % 2:
            raise ValueError("truncated varint")  # a gap without its count
        counts = histogram._counts
        index = -1
        for position in range(0, len(values), 2):
            index += values[position] + 1
            count = values[position + 1]
            if index >= BUCKETS or count == 0:
                raise ValueError("corrupt histogram")
            counts[index] = count
        return histogram

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LatencyHistogram) and self._counts == other._counts

    def __hash__(self) -> int:
        return hash(tuple(self._counts))

    def __repr__(self) -> str:
        filled = {i: c for i, c in enumerate(self._counts) if c}
        return f"LatencyHistogram({filled})"


def nearest_rank(values: list[float], q: float) -> float:
    """The exact nearest-rank quantile of ``values``: the oracle the histogram approximates."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]
