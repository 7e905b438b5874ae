"""A compact, exact binary form for the raw results of one monitor over one hour.

Veilleur keeps every check for the raw retention (14 days by default). One database row per
check costs over 100 bytes with its index, about 300 KB per monitor-day at a 30 s cadence, so
finished hours are packed into one block each by this codec (a few hundred bytes per hour).

Layout: a format version byte, then the body packed by :func:`veilleur.domain.binary.pack`.
The body is columnar so that similar values sit together and compress well:

- the number of records;
- times, against a grid: the first time in milliseconds since the Unix epoch, the cadence (the
  most common gap, rounded to whole seconds), then per later record its step on the grid and its
  residual from the grid point. Checks run on fixed slots with a little scheduling jitter, so
  steps are all 1 and residuals are the jitter alone; a plain gap between consecutive times
  would carry two records' jitter, a gap-of-gaps three. Off-grid times (confirmation checks)
  simply have larger residuals: the encoding is exact for any times, in any order;
- the flags of each record (ok, confirmation, in maintenance, and which of the six optional
  numbers are present), run-length encoded: most hours are one long run of "ok, all timings";
- status codes and the five timings, each as its own column of varints, present values only;
  ``total_ms`` is stored as its difference from ``ttfb_ms`` when both exist (the time to read the
  body: a small number);
- the distinct strings once, then three run-length encoded columns of indexes into that table
  (error class, message, region), since an hour repeats the same few strings.

Times keep millisecond precision: finer digits are dropped when encoding (a probe's clock is
not more precise than that, and the read API reports hot rows at the same precision so results
look identical before and after compaction). Everything else round-trips exactly, None values
and unicode included. Records keep their order.

Compression: see :mod:`veilleur.domain.binary`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from veilleur.domain.binary import VarintReader, pack, unpack, unzigzag, write_varint, zigzag

FORMAT_VERSION = 1
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MS = timedelta(milliseconds=1)

OK, CONFIRMATION, IN_MAINTENANCE = 1, 2, 4
OPTIONAL_NUMBERS = ("status_code", "dns_ms", "connect_ms", "tls_ms", "ttfb_ms", "total_ms")
PRESENT = {name: 8 << position for position, name in enumerate(OPTIONAL_NUMBERS)}


@dataclass(frozen=True)
class ResultRecord:
    """One check as stored: what the checker wrote, at millisecond precision."""

    checked_at: datetime
    ok: bool
    confirmation: bool = False
    in_maintenance: bool = False
    error_class: str = ""
    status_code: int | None = None
    dns_ms: int | None = None
    connect_ms: int | None = None
    tls_ms: int | None = None
    ttfb_ms: int | None = None
    total_ms: int | None = None
    message: str = ""
    region: str = ""


def to_epoch_ms(instant: datetime) -> int:
    """Whole milliseconds since the epoch, rounding down (exact integer arithmetic)."""
    if instant.tzinfo is None:
        raise ValueError("result times must be aware")
    return (instant - EPOCH) // ONE_MS


def from_epoch_ms(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def truncate_to_ms(instant: datetime) -> datetime:
    return from_epoch_ms(to_epoch_ms(instant))


def encode_results(records: Sequence[ResultRecord]) -> bytes:
    return bytes([FORMAT_VERSION]) + pack(_encode_body(records))


def decode_results(data: bytes) -> list[ResultRecord]:
    if len(data) < 2 or data[0] != FORMAT_VERSION:
        raise ValueError("not a result block of a known format")
    return _decode_body(VarintReader(unpack(data[1:])))


# --- body ----------------------------------------------------------------------------------


def _encode_body(records: Sequence[ResultRecord]) -> bytes:
    out = bytearray()
    write_varint(out, len(records))
    _write_times(out, [to_epoch_ms(r.checked_at) for r in records])
    _write_runs(out, [_flags_of(record) for record in records])
    for name in OPTIONAL_NUMBERS:
        for record in records:
            value = getattr(record, name)
            if value is not None:
                write_varint(out, _stored_number(record, name, value))
    _write_strings(out, records)
    return bytes(out)


def _write_times(out: bytearray, times: list[int]) -> None:
    if not times:
        return
    first, cadence = times[0], _cadence_ms(times)
    write_varint(out, first)
    write_varint(out, cadence)
    steps = [_grid_step(t - first, cadence) for t in times[1:]]
    previous = 0
    for step in steps:
        write_varint(out, zigzag(step - previous))
        previous = step
    for time, step in zip(times[1:], steps, strict=True):
        write_varint(out, zigzag(time - first - step * cadence))


def _cadence_ms(times: list[int]) -> int:
    """The most common gap between consecutive times, in whole seconds (0 when there is none)."""
    gaps = Counter((after - before + 500) // 1000 for before, after in pairwise(times))
    if not gaps:
        return 0
    seconds = gaps.most_common(1)[0][0]
    return max(seconds, 0) * 1000


def _grid_step(offset_ms: int, cadence_ms: int) -> int:
    """The nearest grid point to an offset from the first time (integer arithmetic, exact)."""
    if cadence_ms == 0:
        return 0
    return (offset_ms + cadence_ms // 2) // cadence_ms


def _flags_of(record: ResultRecord) -> int:
    flags = (OK if record.ok else 0) | (CONFIRMATION if record.confirmation else 0)
    flags |= IN_MAINTENANCE if record.in_maintenance else 0
    for name in OPTIONAL_NUMBERS:
        if getattr(record, name) is not None:
            flags |= PRESENT[name]
    return flags


def _stored_number(record: ResultRecord, name: str, value: int) -> int:
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
    if name == "total_ms" and record.ttfb_ms is not None:
        return zigzag(value - record.ttfb_ms)
    return value


def _write_strings(out: bytearray, records: Sequence[ResultRecord]) -> None:
    table: dict[str, int] = {}
    columns = [[r.error_class for r in records], [r.message for r in records], [r.region for r in records]]
    for column in columns:
        for text in column:
            table.setdefault(text, len(table))
    write_varint(out, len(table))
    for text in table:
        encoded = text.encode("utf-8")
        write_varint(out, len(encoded))
        out += encoded
    for column in columns:
        _write_runs(out, [table[text] for text in column])


def _write_runs(out: bytearray, values: list[int]) -> None:
    """Run-length form: (run length, value) pairs; the reader knows the total count."""
    start = 0
    while start < len(values):
        end = start
        while end < len(values) and values[end] == values[start]:
            end += 1
        write_varint(out, end - start)
        write_varint(out, values[start])
        start = end


def _decode_body(reader: VarintReader) -> list[ResultRecord]:
    count = reader.varint()
    times = _read_times(reader, count)
    flags = _read_runs(reader, count)
    numbers: dict[str, list[int | None]] = {}
    for name in OPTIONAL_NUMBERS:
        numbers[name] = [reader.varint() if f & PRESENT[name] else None for f in flags]
    _restore_totals(numbers)
    table = [reader.raw(reader.varint()).decode("utf-8") for _ in range(reader.varint())]
    texts = [[_lookup(table, index) for index in _read_runs(reader, count)] for _column in range(3)]
    if not reader.at_end:
        raise ValueError("trailing bytes in result block")
    return [
        ResultRecord(
            checked_at=from_epoch_ms(times[i]),
            ok=bool(flags[i] & OK),
            confirmation=bool(flags[i] & CONFIRMATION),
            in_maintenance=bool(flags[i] & IN_MAINTENANCE),
            error_class=texts[0][i],
            status_code=numbers["status_code"][i],
            dns_ms=numbers["dns_ms"][i],
            connect_ms=numbers["connect_ms"][i],
            tls_ms=numbers["tls_ms"][i],
            ttfb_ms=numbers["ttfb_ms"][i],
            total_ms=numbers["total_ms"][i],
            message=texts[1][i],
            region=texts[2][i],
        )
        for i in range(count)
    ]


def _read_times(reader: VarintReader, count: int) -> list[int]:
    if count == 0:
        return []
    first, cadence = reader.varint(), reader.varint()
    steps: list[int] = []
    step = 0
    for _ in range(count - 1):
        step += reader.signed()
        steps.append(step)
    return [first] + [first + step * cadence + reader.signed() for step in steps]


def _read_runs(reader: VarintReader, count: int) -> list[int]:
    values: list[int] = []
    while len(values) < count:
        length = reader.varint()
        if length == 0 or len(values) + length > count:
            raise ValueError("corrupt result block: bad run length")
        values.extend([reader.varint()] * length)
    return values


def _restore_totals(numbers: dict[str, list[int | None]]) -> None:
    totals, ttfbs = numbers["total_ms"], numbers["ttfb_ms"]
    for i, (total, ttfb) in enumerate(zip(totals, ttfbs, strict=True)):
        if total is not None and ttfb is not None:
            totals[i] = ttfb + unzigzag(total)


def _lookup(table: list[str], index: int) -> str:
    if index >= len(table):
        raise ValueError("corrupt result block: string index out of range")
    return table[index]
