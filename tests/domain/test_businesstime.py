"""Business time: the SLA clock of business-hours plans.

The golden examples come from the product spec; the properties hold the interval arithmetic to
DESIGN's oracle, a minute-by-minute walk over UTC with the membership test, around the DST changes
of zones chosen for their awkwardness: midnight changes (Santiago), a 30-minute shift (Lord Howe)
and a quarter-hour offset (Kathmandu).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veilleur.domain.businesstime import BusinessCalendar, NoOpeningError, OpeningRange
from veilleur.domain.timezones import local_to_utc, utc_to_local
from veilleur.domain.validators import WEEKDAYS, parse_hours_range

PARIS = ZoneInfo("Europe/Paris")
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
WORKING_WEEK = {day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
SPLIT_WEEK = {day: ["09:00-12:30", "14:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def paris(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return local_to_utc(datetime(year, month, day, hour, minute), PARIS)


def in_paris(instant: datetime) -> datetime:
    return utc_to_local(instant, PARIS)


def due_in_paris(calendar: BusinessCalendar, start: datetime, target: timedelta) -> datetime:
    return in_paris(calendar.add_business(start, target))


def agency_calendar(hours: dict[str, list[str]], holidays: list[str] | None = None) -> BusinessCalendar:
    return BusinessCalendar.from_stored("Europe/Paris", hours, holidays or [])


# -- golden examples from the product spec ------------------------------------------------------


def test_friday_evening_incident_is_due_on_monday_morning() -> None:
    calendar = agency_calendar(WORKING_WEEK)
    assert due_in_paris(calendar, paris(2026, 11, 27, 17, 55), HOUR) == datetime(2026, 11, 30, 9, 55)


@pytest.mark.parametrize(("target", "due_wall"), [(HOUR, 10), (4 * HOUR, 13)])
def test_christmas_eve_after_closing_waits_for_the_monday_after_the_holiday(
    target: timedelta, due_wall: int
) -> None:
    calendar = agency_calendar(WORKING_WEEK, ["2026-12-25", "2027-01-01"])
    confirmed = paris(2026, 12, 24, 18, 30)
    assert in_paris(calendar.next_opening(confirmed)) == datetime(2026, 12, 28, 9, 0)
    assert due_in_paris(calendar, confirmed, target) == datetime(2026, 12, 28, due_wall, 0)


@pytest.mark.parametrize(
    "start",
    [
        paris(2026, 3, 29, 1, 45),  # clocks jump 02:00 → 03:00 inside the half hour
        paris(2026, 10, 25, 2, 45),  # first 02:45; clocks go back 03:00 → 02:00 inside it
        paris(2026, 11, 28, 23, 50),  # a Saturday night
        paris(2026, 6, 15, 12, 0),
    ],
)
def test_around_the_clock_calendar_is_real_time(start: datetime) -> None:
    calendar = BusinessCalendar.always_open("Europe/Paris")
    assert calendar.add_business(start, timedelta(minutes=30)) == start + timedelta(minutes=30)
    assert calendar.next_opening(start) == start
    assert calendar.business_between(start, start + timedelta(days=3)) == timedelta(days=3)


def test_around_the_clock_counts_real_hours_on_dst_days() -> None:
    calendar = BusinessCalendar.always_open("Europe/Paris")
    spring_day = (paris(2026, 3, 29, 0, 0), paris(2026, 3, 30, 0, 0))
    autumn_day = (paris(2026, 10, 25, 0, 0), paris(2026, 10, 26, 0, 0))
    assert calendar.business_between(*spring_day) == timedelta(hours=23)
    assert calendar.business_between(*autumn_day) == timedelta(hours=25)


def test_split_day_skips_the_lunch_break() -> None:
    calendar = agency_calendar(SPLIT_WEEK)
    assert due_in_paris(calendar, paris(2026, 11, 26, 12, 0), HOUR) == datetime(2026, 11, 26, 14, 30)
    # Confirmed during lunch: the clock starts at 14:00.
    assert due_in_paris(calendar, paris(2026, 11, 26, 12, 45), HOUR) == datetime(2026, 11, 26, 15, 0)
    # A 5 h target from Friday 17:00: 1 h on Friday, 3 h 30 on Monday morning, 30 min after lunch.
    assert due_in_paris(calendar, paris(2026, 11, 27, 17, 0), 5 * HOUR) == datetime(2026, 11, 30, 14, 30)
    whole_day = calendar.business_between(paris(2026, 11, 26, 0, 0), paris(2026, 11, 27, 0, 0))
    assert whole_day == timedelta(hours=7, minutes=30)


def test_target_ending_exactly_at_closing_is_due_at_closing() -> None:
    calendar = agency_calendar(WORKING_WEEK)
    assert due_in_paris(calendar, paris(2026, 11, 27, 17, 0), HOUR) == datetime(2026, 11, 27, 18, 0)


def test_zero_target_is_due_at_the_next_opening() -> None:
    calendar = agency_calendar(WORKING_WEEK)
    assert due_in_paris(calendar, paris(2026, 11, 28, 10, 0), timedelta()) == datetime(2026, 11, 30, 9, 0)


# -- the holiday rule for overnight ranges ------------------------------------------------------


NIGHT_SHIFT = {"fri": ["22:00-06:00"]}


def test_overnight_range_covers_the_next_morning() -> None:
    calendar = agency_calendar(NIGHT_SHIFT)
    assert calendar.is_open(paris(2026, 11, 28, 3, 0))  # Saturday 03:00, shift begun Friday
    assert not calendar.is_open(paris(2026, 11, 28, 6, 0))
    assert calendar.business_between(paris(2026, 11, 27, 0, 0), paris(2026, 11, 29, 0, 0)) == timedelta(
        hours=8
    )


def test_a_holiday_the_morning_after_does_not_cut_the_night_shift() -> None:
    # The range belongs to the date it began on: only Friday's holiday status matters.
    calendar = agency_calendar(NIGHT_SHIFT, ["2026-11-28"])
    assert calendar.is_open(paris(2026, 11, 28, 3, 0))


def test_a_holiday_on_the_evening_cancels_the_whole_night_shift() -> None:
    calendar = agency_calendar(NIGHT_SHIFT, ["2026-11-27"])
    assert not calendar.is_open(paris(2026, 11, 27, 23, 0))
    assert not calendar.is_open(paris(2026, 11, 28, 3, 0))
    assert in_paris(calendar.next_opening(paris(2026, 11, 27, 23, 0))) == datetime(2026, 12, 4, 22, 0)


# -- DST consequences of the membership rule ----------------------------------------------------


def test_range_starting_in_a_gap_opens_when_the_gap_ends() -> None:
    calendar = agency_calendar({"sun": ["02:30-05:00"]})
    opening = calendar.next_opening(paris(2026, 3, 29, 0, 0))
    assert opening == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST
    assert calendar.business_between(paris(2026, 3, 29, 0, 0), paris(2026, 3, 30, 0, 0)) == timedelta(hours=2)


def test_range_spanning_the_repeated_hour_lasts_an_hour_longer() -> None:
    calendar = agency_calendar({"sun": ["00:00-06:00"]})
    day = (paris(2026, 10, 25, 0, 0), paris(2026, 10, 26, 0, 0))
    assert calendar.business_between(*day) == timedelta(hours=7)


def test_range_starting_in_the_repeated_hour_opens_at_the_earlier_instant() -> None:
    calendar = agency_calendar({"sun": ["02:30-04:00"]})
    first_0230 = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert calendar.next_opening(paris(2026, 10, 25, 0, 0)) == first_0230
    # Taken literally, the rule closes the range while the clock replays 02:00-02:30.
    assert calendar.open_intervals(first_0230, first_0230 + timedelta(hours=4)) == [
        (first_0230, datetime(2026, 10, 25, 1, 0, tzinfo=UTC)),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), datetime(2026, 10, 25, 3, 0, tzinfo=UTC)),
    ]


def test_santiago_midnight_range_opens_at_one_on_the_spring_forward_day() -> None:
    zone = ZoneInfo("America/Santiago")
    calendar = BusinessCalendar.from_stored("America/Santiago", {"sun": ["00:00-08:00"]})
    opening = calendar.next_opening(datetime(2026, 9, 5, 12, 0, tzinfo=UTC))
    assert utc_to_local(opening, zone) == datetime(2026, 9, 6, 1, 0)


# -- configuration and refusals -----------------------------------------------------------------


def test_stored_form_accepts_iso_strings_and_dates() -> None:
    calendar = BusinessCalendar.from_stored(
        "Europe/Paris", {"mon": ["09:00-12:30", "14:00-18:00"], "sat": ["22:00-24:00"]}, ["2026-12-25"]
    )
    assert calendar.holidays == frozenset({date(2026, 12, 25)})
    assert calendar.weekly[0] == (OpeningRange(540, 750), OpeningRange(840, 1080))
    assert calendar.weekly[5] == (OpeningRange(1320, 1440),)
    assert calendar == BusinessCalendar.from_stored(
        "Europe/Paris", {"mon": ["09:00-12:30", "14:00-18:00"], "sat": ["22:00-24:00"]}, [date(2026, 12, 25)]
    )


@pytest.mark.parametrize(
    ("zone", "hours", "holidays"),
    [
        ("Mars/Olympus", WORKING_WEEK, []),
        ("Europe/Paris", {"monday": ["09:00-18:00"]}, []),
        ("Europe/Paris", {"mon": ["9h-18h"]}, []),
        ("Europe/Paris", WORKING_WEEK, ["25/12/2026"]),
    ],
)
def test_stored_form_refuses_bad_values(zone: str, hours: dict[str, list[str]], holidays: list[str]) -> None:
    with pytest.raises(ValueError):
        BusinessCalendar.from_stored(zone, hours, holidays)


def test_naive_datetimes_and_negative_durations_are_refused() -> None:
    calendar = agency_calendar(WORKING_WEEK)
    with pytest.raises(ValueError):
        calendar.is_open(datetime(2026, 11, 27, 10, 0))
    with pytest.raises(ValueError):
        calendar.add_business(paris(2026, 11, 27, 10, 0), timedelta(minutes=-1))
    with pytest.raises(ValueError):
        calendar.business_between(paris(2026, 11, 27, 10, 0), paris(2026, 11, 27, 9, 0))


def test_calendar_without_hours_never_opens() -> None:
    calendar = agency_calendar({})
    with pytest.raises(NoOpeningError):
        calendar.next_opening(paris(2026, 11, 27, 10, 0))
    with pytest.raises(NoOpeningError):
        calendar.add_business(paris(2026, 11, 27, 10, 0), timedelta(hours=1))
    assert calendar.business_between(paris(2026, 1, 1, 0, 0), paris(2027, 1, 1, 0, 0)) == timedelta()


def test_calendar_closed_past_the_horizon_raises_instead_of_searching_forever() -> None:
    first = date(2026, 11, 1)
    every_day = [(first + timedelta(days=n)).isoformat() for n in range(400)]
    with pytest.raises(NoOpeningError):
        agency_calendar(WORKING_WEEK, every_day).add_business(paris(2026, 11, 2, 10, 0), timedelta(hours=1))


def test_long_closure_within_the_horizon_is_waited_out() -> None:
    first = date(2026, 11, 1)
    closure = [(first + timedelta(days=n)).isoformat() for n in range(300)]
    calendar = agency_calendar(WORKING_WEEK, closure)
    # 2027-08-28 is a Saturday: the first opening is Monday 2027-08-30.
    assert in_paris(calendar.next_opening(paris(2026, 11, 2, 10, 0))) == datetime(2027, 8, 30, 9, 0)


# -- properties against the oracle --------------------------------------------------------------

ZONES = ["Europe/Paris", "America/New_York", "America/Santiago", "Australia/Lord_Howe", "Asia/Kathmandu"]


def transitions_of(zone_name: str, year: int) -> list[datetime]:
    """The UTC minutes at which ``zone_name`` changes its offset during ``year``."""
    zone = ZoneInfo(zone_name)
    found = []
    instant = datetime(year, 1, 1, tzinfo=UTC)
    offset = instant.astimezone(zone).utcoffset()
    while instant.year == year:
        later = instant + timedelta(hours=1)
        if later.astimezone(zone).utcoffset() != offset:
            while instant.astimezone(zone).utcoffset() == offset:
                instant += MINUTE
            found.append(instant)
            offset = instant.astimezone(zone).utcoffset()
        instant = later
    return found


# Kathmandu keeps one offset: its anchors are the other zones' change dates, which still exercise
# the +05:45 offset against minute-aligned ranges and holidays.
ANCHORS = {zone: transitions_of(zone, 2026) or transitions_of("Europe/Paris", 2026) for zone in ZONES}

# Wall times where DST mistakes live, next to the usual office hours.
TIMES = ["00:00", "00:30", "01:00", "01:30", "01:45", "02:00", "02:15", "02:30", "03:00", "05:45"]
TIMES += ["06:00", "09:00", "12:30", "14:00", "18:00", "22:00", "23:00", "23:30", "23:45", "24:00"]
NOTABLE_RANGES = ["00:00-24:00", "22:00-06:00", "23:00-24:00", "00:00-02:30", "09:00-12:30", "14:00-18:00"]


def is_range(text: str) -> bool:
    try:
        parse_hours_range(text)
    except ValueError:
        return False
    return True


wall_times = st.one_of(
    st.sampled_from(TIMES),
    st.builds("{:02d}:{:02d}".format, st.integers(0, 23), st.integers(0, 59)),
)
opening_ranges = st.one_of(
    st.sampled_from(NOTABLE_RANGES),
    st.builds("{}-{}".format, wall_times, wall_times).filter(is_range),
)
weekly_hours = st.fixed_dictionaries({day: st.lists(opening_ranges, max_size=3) for day in WEEKDAYS})


@st.composite
def scenarios(draw: st.DrawFn, longest: timedelta) -> tuple[BusinessCalendar, dict[str, list[str]], datetime]:
    """A random calendar, with holidays near a DST change, and a minute-aligned start near it."""
    zone = draw(st.sampled_from(ZONES))
    anchor = draw(st.sampled_from(ANCHORS[zone]))
    anchor_date = utc_to_local(anchor, ZoneInfo(zone)).date()
    holidays = draw(st.sets(st.integers(-3, 3)).map(lambda days: [anchor_date + timedelta(d) for d in days]))
    hours = draw(weekly_hours)
    before = int(longest / MINUTE)
    start = anchor + draw(st.integers(-before, before // 2)) * MINUTE
    return BusinessCalendar.from_stored(zone, hours, holidays), hours, start


def oracle_open_minutes(calendar: BusinessCalendar, start: datetime, minutes: int) -> list[bool]:
    """DESIGN's oracle: the membership test at each UTC minute (boundaries fall on whole minutes)."""
    return [calendar.is_open(start + n * MINUTE) for n in range(minutes)]


WINDOW = timedelta(days=4)


@settings(max_examples=300, deadline=None)
@given(scenario=scenarios(WINDOW), data=st.data())
def test_arithmetic_equals_the_minute_walk(
    scenario: tuple[BusinessCalendar, dict[str, list[str]], datetime], data: st.DataObject
) -> None:
    calendar, _, start = scenario
    window = data.draw(st.integers(1, int(WINDOW / MINUTE)), label="window minutes")
    open_minutes = oracle_open_minutes(calendar, start, window)
    open_indexes = [n for n, is_open in enumerate(open_minutes) if is_open]

    assert calendar.business_between(start, start + window * MINUTE) == len(open_indexes) * MINUTE
    low = data.draw(st.integers(0, window), label="sub-window start")
    high = data.draw(st.integers(low, window), label="sub-window end")
    expected_between = sum(open_minutes[low:high]) * MINUTE
    assert calendar.business_between(start + low * MINUTE, start + high * MINUTE) == expected_between

    if not any(calendar.weekly):
        with pytest.raises(NoOpeningError):
            calendar.add_business(start, MINUTE)
        return
    if open_indexes:
        target = data.draw(st.integers(1, len(open_indexes)), label="target minutes")
        expected_due = start + (open_indexes[target - 1] + 1) * MINUTE
        assert calendar.add_business(start, target * MINUTE) == expected_due
        assert calendar.next_opening(start) == start + open_indexes[0] * MINUTE
    else:
        assert calendar.next_opening(start) >= start + window * MINUTE
        assert calendar.add_business(start, MINUTE) > start + window * MINUTE


def reference_is_open(hours: dict[str, list[str]], holidays: frozenset[date], wall: datetime) -> bool:
    """The membership test written from the stored strings, as DESIGN words it."""

    def minutes(text: str) -> int:
        hour, minute = text.split(":")
        return int(hour) * 60 + int(minute)

    def covers(owner: date, text: str) -> bool:
        start, end = (minutes(part) for part in text.split("-"))
        if end <= start:  # overnight, or 24:00 written as the end
            end += 24 * 60
        at = (wall - datetime.combine(owner, datetime.min.time())) / MINUTE
        return start <= at < end

    today = wall.date()
    return any(
        covers(owner, text)
        for owner in (today, today - timedelta(days=1))
        if owner not in holidays
        for text in hours.get(WEEKDAYS[owner.weekday()], [])
    )


@settings(max_examples=200, deadline=None)
@given(scenario=scenarios(timedelta(days=2)), seconds=st.integers(0, 2 * 86400))
def test_membership_test_reads_the_stored_hours_as_written(
    scenario: tuple[BusinessCalendar, dict[str, list[str]], datetime], seconds: int
) -> None:
    calendar, hours, start = scenario
    instant = start + timedelta(seconds=seconds)
    wall = utc_to_local(instant, calendar.zone)
    assert calendar.is_open(instant) == reference_is_open(hours, calendar.holidays, wall)


@settings(max_examples=100, deadline=None)
@given(
    scenario=scenarios(timedelta(days=3)),
    target=st.integers(0, 10 * 24 * 3600).map(lambda s: timedelta(seconds=s)),
)
def test_due_time_is_exactly_the_target_of_open_time_later(
    scenario: tuple[BusinessCalendar, dict[str, list[str]], datetime], target: timedelta
) -> None:
    calendar, _, start = scenario
    if not any(calendar.weekly):
        return
    due = calendar.add_business(start, target)
    assert calendar.business_between(start, due) == target
    assert calendar.is_open(due - timedelta(seconds=1)) or due == calendar.next_opening(start)
