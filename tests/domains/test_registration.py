"""The registrable domain of a site, when its registry is asked again, which warning is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veilleur.domain.plans import check_warning_days
from veilleur.domain.registration import (
    DAILY_WINDOW,
    REFRESH_FAR,
    REFRESH_NEAR,
    days_left,
    due_warning,
    next_check,
    registrable_domain,
    top_level_domain,
)

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("www.client.co.uk", "client.co.uk"),
        ("client.co.uk", "client.co.uk"),
        ("shop.boulangerie-martin.fr", "boulangerie-martin.fr"),
        ("WWW.Example.COM.", "example.com"),
        ("blog.client.github.io", "github.io"),  # the ICANN view: github.io is what was registered
        ("bücher.de", "xn--bcher-kva.de"),
        ("www.client.test", "client.test"),  # a TLD the list does not know: one label under it
    ],
)
def test_the_registrable_domain_is_one_label_under_the_public_suffix(host: str, domain: str) -> None:
    assert registrable_domain(host) == domain


@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]", "localhost", "co.uk", "", "."])
def test_hosts_that_are_not_registered_names_have_none(host: str) -> None:
    assert registrable_domain(host) is None


def test_the_bootstrap_is_asked_about_the_last_label() -> None:
    assert top_level_domain("client.co.uk") == "uk"


def test_far_from_expiry_a_registry_is_asked_weekly_and_daily_near_it() -> None:
    far = T0 + timedelta(days=300)
    assert next_check(checked_at=T0, expires_at=far, found=True, failed=False) == T0 + REFRESH_FAR
    near = T0 + timedelta(days=20)
    assert next_check(checked_at=T0, expires_at=near, found=True, failed=False) == T0 + REFRESH_NEAR
    # Past the expected renewal and not renewed yet: still daily, so the renewal shows up.
    passed = T0 - DAY
    assert next_check(checked_at=T0, expires_at=passed, found=True, failed=False) == T0 + REFRESH_NEAR


@given(
    st.integers(min_value=-30 * 24, max_value=400 * 24).map(lambda hours: T0 + timedelta(hours=hours)),
    st.booleans(),
    st.booleans(),
)
def test_a_registry_is_never_asked_more_than_once_a_day_nor_past_the_daily_window(
    expires_at: datetime, found: bool, failed: bool
) -> None:
    following = next_check(checked_at=T0, expires_at=expires_at, found=found, failed=failed)
    assert following >= T0 + DAY
    if found and not failed:
        # Never sleeps past the first day of the daily window (more than a day after it opens).
        assert following <= max(expires_at - DAILY_WINDOW, T0) + DAY


def _oracle(expires_at: datetime, now: datetime, thresholds: list[int]) -> int | None:
    """Walk the thresholds one by one: the last reached, from the largest down."""
    if expires_at <= now:
        return None
    answer = None
    for days in sorted(thresholds, reverse=True):
        if now >= expires_at - timedelta(days=days):
            answer = days
    return answer


@given(
    st.integers(min_value=-5 * 24 * 60, max_value=60 * 24 * 60).map(
        lambda minutes: T0 + timedelta(minutes=minutes)
    ),
    st.lists(st.integers(min_value=1, max_value=365), unique=True, max_size=6),
)
def test_the_due_warning_is_the_tightest_threshold_reached(
    expires_at: datetime, thresholds: list[int]
) -> None:
    assert due_warning(expires_at, T0, thresholds) == _oracle(expires_at, T0, thresholds)


def test_days_left_rounds_down() -> None:
    assert days_left(T0 + timedelta(days=6, hours=23), T0) == 6
    assert days_left(T0 - timedelta(hours=1), T0) == -1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("30", "list of whole numbers"),
        ([30, "14"], "'14' is not a whole number"),
        ([0], "0 is not a whole number of days"),
        ([400], "400 is not"),
        ([7, 7], "7 days is listed twice"),
        ([True], "True is not"),
    ],
)
def test_warning_days_are_checked_with_their_reason(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_warning_days(value)


def test_warning_days_come_back_largest_first() -> None:
    assert check_warning_days([7, 30, 14]) == (30, 14, 7)
