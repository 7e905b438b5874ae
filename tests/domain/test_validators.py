"""The shared checks of user input: normalised on success, a message naming the problem on failure."""

from __future__ import annotations

from datetime import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veilleur.domain import validators as v


@pytest.mark.parametrize("zone", ["Europe/Paris", "America/Santiago", "Asia/Kathmandu", "UTC"])
def test_known_time_zones_pass(zone: str) -> None:
    assert v.check_time_zone(zone) == zone


@pytest.mark.parametrize("zone", ["Europe/Pariss", "CET+1", "", "../../etc/passwd", "europe/paris"])
def test_unknown_time_zones_are_named(zone: str) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        v.check_time_zone(zone)


@pytest.mark.parametrize(
    "url", ["https://example.com/", "http://127.0.0.1:8080/x?y=1", "https://xn--caf-dma.example/"]
)
def test_http_urls_pass(url: str) -> None:
    assert v.check_http_url(url) == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/", "http"),
        ("example.com", "http"),
        ("https:///path", "host"),
        ("https://exa mple.com/", "white space"),
        ("https://example.com:99999/", "port"),
    ],
)
def test_bad_urls_say_why(url: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        v.check_http_url(url)


def test_status_spec_normalises() -> None:
    assert v.normalise_status_spec(" 200 - 299 , 301") == "200-299,301"
    ranges = v.parse_status_spec("200-299,301")
    assert v.status_matches(ranges, 204) and v.status_matches(ranges, 301)
    assert not v.status_matches(ranges, 302)


@pytest.mark.parametrize("spec", ["", "2xx", "99", "600", "300-200", "200,,301", "200-2999"])
def test_bad_status_specs_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="status"):
        v.parse_status_spec(spec)


status_ranges = st.lists(
    st.tuples(st.integers(100, 599), st.integers(0, 50)).map(lambda t: (t[0], min(599, t[0] + t[1]))),
    min_size=1,
    max_size=5,
)


@given(status_ranges)
def test_status_spec_round_trips(ranges: list[tuple[int, int]]) -> None:
    text = v.format_status_ranges(tuple(ranges))
    assert v.parse_status_spec(text) == tuple(ranges)


@given(st.integers(100, 599), status_ranges)
def test_status_match_is_membership(status: int, ranges: list[tuple[int, int]]) -> None:
    expected = any(status in range(low, high + 1) for low, high in ranges)
    assert v.status_matches(tuple(ranges), status) == expected


def test_hours_ranges() -> None:
    assert v.parse_hours_range("09:00-12:30") == (time(9), time(12, 30))
    assert v.parse_hours_range("22:00-06:00") == (time(22), time(6))  # overnight
    assert v.parse_hours_range("00:00-24:00") == (time(0), time(0))
    assert v.format_hours_range(time(0), time(0)) == "00:00-24:00"
    assert v.format_hours_range(time(14), time(0)) == "14:00-24:00"


@given(
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
)
def test_hours_range_round_trips(start: time, end: time) -> None:
    if start == end and start != time(0):
        return
    text = v.format_hours_range(start, end)
    assert v.parse_hours_range(text) == (start, end)


@pytest.mark.parametrize(
    "text", ["9-18", "09:00", "25:00-26:00", "09:60-10:00", "10:00-10:00", "09:00-24:30"]
)
def test_bad_hours_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="opening hours"):
        v.parse_hours_range(text)


def test_weekly_hours_are_normalised_in_weekday_order() -> None:
    hours = {"fri": ["14:00-18:00"], "mon": ["9:00-12:30", "14:00-18:00"], "sun": []}
    assert v.check_weekly_hours(hours) == {"mon": ["09:00-12:30", "14:00-18:00"], "fri": ["14:00-18:00"]}
    with pytest.raises(ValueError, match="unknown weekday 'lundi'"):
        v.check_weekly_hours({"lundi": ["09:00-18:00"]})


@pytest.mark.parametrize("rule", ["FREQ=WEEKLY;BYDAY=TU", "RRULE:FREQ=MONTHLY;BYMONTHDAY=1;COUNT=12"])
def test_rrules_pass(rule: str) -> None:
    assert v.check_rrule(rule).startswith("FREQ=")


@pytest.mark.parametrize(
    "rule",
    ["FREQ=SOMETIMES", "BYDAY=TU", "DTSTART:20260101T000000\nRRULE:FREQ=DAILY", "", "FREQ=WEEKLY;BYDAY=XX"],
)
def test_bad_rrules_are_refused(rule: str) -> None:
    with pytest.raises(ValueError):
        v.check_rrule(rule)


def test_colours_and_keys() -> None:
    assert v.check_color("#1D4ED8") == "#1d4ed8"
    with pytest.raises(ValueError, match="colour"):
        v.check_color("blue")
    assert v.check_key("boulangerie-martin") == "boulangerie-martin"
    for bad in ("Boulangerie", "-x", "x-", "a_b", "é"):
        with pytest.raises(ValueError, match="key"):
            v.check_key(bad)
