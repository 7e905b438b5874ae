"""Bytes the phase timings add to a monitor-day of rollups (day format 2 against format 1).

Rolls up synthetic days of 30 s checks (bench/storage/synthetic.py: cached DNS 80 % of the time,
log-normal server times per monitor, 0.4 % failures) for N monitors, packs each day with
``domain.rollups.pack_day`` (format 2: counts, latency histogram, and per phase a count and a
sum) and with format 1 as it was (counts and latency histogram only, rebuilt below), and
prints the mean packed bytes per monitor-day of each, plus the time to pack and unpack a day.
Also packs the alternative that was not kept: format 1 plus, per phase and hour, a sum and a
latency histogram (``domain.histogram``), which would have given percentiles per phase.
Run from the repository root:

    .venv/bin/python bench/storage/phases.py --monitors 200
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from synthetic import synthetic_results

from veilleur.domain.binary import pack, unpack, write_varint
from veilleur.domain.histogram import LatencyHistogram
from veilleur.domain.resultcodec import ResultRecord
from veilleur.domain.rollups import _NUMBERS, PHASES, HourRollup, pack_day, rollup_hour, unpack_day

DAY = datetime(2026, 3, 2, tzinfo=UTC)


def pack_day_format_1(hours: dict[int, HourRollup]) -> bytes:
    """Format 1, as written before phase timings: numbers and the latency histogram per hour."""
    body = bytearray()
    write_varint(body, sum(1 << hour for hour in hours))
    for hour in sorted(hours):
        for name in _NUMBERS:
            write_varint(body, getattr(hours[hour], name))
        histogram = hours[hour].latency.encode()
        write_varint(body, len(histogram))
        body += histogram
    return bytes([1]) + pack(bytes(body))


def pack_day_with_phase_histograms(hours: dict[int, HourRollup], records: list[ResultRecord]) -> bytes:
    """The rejected alternative: format 1, then per hour and phase a sum and a histogram."""
    body = bytearray(unpack(pack_day_format_1(hours)[1:]))
    for hour in sorted(hours):
        sampled = [r for r in records if r.checked_at.hour == hour and r.ok and r.total_ms is not None]
        for phase in PHASES:
            values = [getattr(r, phase) for r in sampled if getattr(r, phase) is not None]
            write_varint(body, sum(values))
            histogram = LatencyHistogram.of(values).encode()
            write_varint(body, len(histogram))
            body += histogram
    return bytes([0]) + pack(bytes(body))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--monitors", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(2026)
    old, new, histograms, pack_ms, unpack_ms = [], [], [], [], []
    for _monitor in range(args.monitors):
        records = synthetic_results(rng, DAY, 24)
        hours = {
            hour: rollup_hour(
                [
                    r
                    for r in records
                    if DAY + timedelta(hours=hour) <= r.checked_at < DAY + timedelta(hours=hour + 1)
                ],
                500,
            )
            for hour in range(24)
        }
        old.append(len(pack_day_format_1(hours)))
        histograms.append(len(pack_day_with_phase_histograms(hours, records)))
        started = time.perf_counter()
        packed = pack_day(hours)
        pack_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        assert unpack_day(packed) == hours
        unpack_ms.append((time.perf_counter() - started) * 1000)
        new.append(len(packed))
    print(f"monitor-days: {args.monitors}")
    print(f"format 1 (no phases): {statistics.mean(old):,.0f} bytes per monitor-day")
    print(f"format 2 (phases):    {statistics.mean(new):,.0f} bytes per monitor-day")
    print(f"added by the phases:  {statistics.mean(new) - statistics.mean(old):,.0f} bytes per monitor-day")
    added = statistics.mean(histograms) - statistics.mean(old)
    print(f"with a histogram per phase and hour instead (not kept): {added:,.0f} bytes added per monitor-day")
    pack_median, unpack_median = statistics.median(pack_ms), statistics.median(unpack_ms)
    print(f"pack a day: {pack_median:.2f} ms, unpack: {unpack_median:.2f} ms (median)")


if __name__ == "__main__":
    main()
