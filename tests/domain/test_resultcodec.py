"""Result blocks round-trip exactly (times at millisecond precision), whatever the records."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veilleur.domain.resultcodec import ResultRecord, decode_results, encode_results, truncate_to_ms

HOUR = datetime(2026, 3, 2, 14, tzinfo=UTC)
millis = st.integers(min_value=0, max_value=3_600_000 - 1).map(lambda ms: HOUR + timedelta(milliseconds=ms))
small = st.none() | st.integers(min_value=0, max_value=120_000)
text = st.text(max_size=40)

records = st.builds(
    ResultRecord,
    checked_at=millis,
    ok=st.booleans(),
    confirmation=st.booleans(),
    in_maintenance=st.booleans(),
    error_class=st.sampled_from(["", "timeout", "dns", "tls", "status"]) | text,
    status_code=st.none() | st.integers(min_value=100, max_value=599),
    dns_ms=small,
    connect_ms=small,
    tls_ms=small,
    ttfb_ms=small,
    total_ms=small,
    message=text,
    region=st.sampled_from(["", "eu-west", "us-east", "région-sud"]),
)


@given(st.lists(records, max_size=80))
def test_round_trip_of_any_records_in_any_order(items: list[ResultRecord]) -> None:
    assert decode_results(encode_results(items)) == items


def test_empty_list_round_trips() -> None:
    assert decode_results(encode_results([])) == []


def test_unicode_and_none_round_trip() -> None:
    item = ResultRecord(
        checked_at=HOUR, ok=False, error_class="tls", message="certificat expiré — 证书 🚫", region="eu-west"
    )
    assert decode_results(encode_results([item])) == [item]


def test_sub_millisecond_digits_are_dropped() -> None:
    item = ResultRecord(checked_at=HOUR + timedelta(microseconds=1999), ok=True)
    decoded = decode_results(encode_results([item]))
    assert decoded[0].checked_at == HOUR + timedelta(milliseconds=1)
    assert truncate_to_ms(item.checked_at) == decoded[0].checked_at


def test_a_realistic_hour_packs_small() -> None:
    rng = random.Random(1)
    items = [
        ResultRecord(
            checked_at=HOUR + timedelta(seconds=30 * i, milliseconds=int(rng.expovariate(1 / 30))),
            ok=True,
            status_code=200,
            dns_ms=0,
            connect_ms=12 + rng.randrange(4),
            tls_ms=25 + rng.randrange(8),
            ttfb_ms=int(rng.lognormvariate(5.3, 0.3)),
            total_ms=None,
            region="eu-west",
        )
        for i in range(120)
    ]
    packed = encode_results(items)
    assert decode_results(packed) == items
    assert len(packed) < 700  # one row per check would be 120 × 100+ bytes


@pytest.mark.parametrize("corrupt", [b"", b"\x09\x00", b"\x01\x07", b"\x01\x01garbage", b"\x01\x00\x05"])
def test_corrupt_blocks_are_refused(corrupt: bytes) -> None:
    with pytest.raises(ValueError):
        decode_results(corrupt)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        encode_results([ResultRecord(checked_at=datetime(2026, 1, 1), ok=True)])
