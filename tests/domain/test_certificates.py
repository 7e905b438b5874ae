"""Certificate expiry warnings: which threshold is crossed when, each warning once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from veilleur.domain.certificates import (
    LIFETIME_KEY,
    CertificateIdentity,
    change_kind,
    days_left,
    due_expiry_warning,
    expiry_level,
    expiry_thresholds,
)

ISSUED = datetime(2026, 3, 1, 12, tzinfo=UTC)
THIRD = Decimal("0.3333")
DEFAULT_DAYS = [30, 14, 7, 3, 1]
day = timedelta(days=1)


def keys(
    lifetime_days: float, days: list[int] = DEFAULT_DAYS, fraction: Decimal | Fraction = THIRD
) -> list[str]:
    found = expiry_thresholds(ISSUED, ISSUED + lifetime_days * day, days, fraction)
    return [threshold.key for threshold in found]


def test_long_lived_certificates_get_every_day_threshold() -> None:
    assert keys(397) == ["days-30", "days-14", "days-7", "days-3", "days-1"]
    assert keys(200) == ["days-30", "days-14", "days-7", "days-3", "days-1"]


def test_short_lived_certificates_skip_thresholds_before_their_renewal_time() -> None:
    # 90 days: a third is 29.997 days, so the 30-day warning would come before ACME renews.
    assert keys(90) == [LIFETIME_KEY, "days-14", "days-7", "days-3", "days-1"]
    # Exactly a third of 90 days is 30 days: the day threshold applies, and stands for the lead.
    assert keys(90, fraction=Fraction(1, 3)) == ["days-30", "days-14", "days-7", "days-3", "days-1"]
    assert keys(90, fraction=Decimal("0.34")) == ["days-30", "days-14", "days-7", "days-3", "days-1"]
    assert keys(47) == [LIFETIME_KEY, "days-14", "days-7", "days-3", "days-1"]
    assert keys(6) == [LIFETIME_KEY, "days-1"]
    assert keys(2) == [LIFETIME_KEY]  # 16 hours: none of the day thresholds fits


def test_the_latest_crossed_threshold_is_due_once() -> None:
    not_after = ISSUED + 397 * day
    found = expiry_thresholds(ISSUED, not_after, DEFAULT_DAYS, THIRD)
    assert due_expiry_warning(found, not_after, not_after - 31 * day, set()) is None
    due = due_expiry_warning(found, not_after, not_after - 30 * day, set())
    assert due is not None and due.key == "days-30"
    assert due_expiry_warning(found, not_after, not_after - 20 * day, {"days-30"}) is None
    # A worker away for a week sends only the latest threshold it finds crossed.
    due = due_expiry_warning(found, not_after, not_after - 6 * day, {"days-30"})
    assert due is not None and due.key == "days-7"
    assert due_expiry_warning(found, not_after, not_after, set()) is None  # expired: the incident alerts


def test_days_left_and_level() -> None:
    not_after = ISSUED + 90 * day
    found = expiry_thresholds(ISSUED, not_after, DEFAULT_DAYS, THIRD)
    assert days_left(not_after, not_after - timedelta(hours=36)) == 1
    assert days_left(not_after, not_after + timedelta(hours=1)) == -1
    assert expiry_level(found, not_after, ISSUED) == "ok"
    assert expiry_level(found, not_after, not_after - 20 * day) == "warning"
    assert expiry_level(found, not_after, not_after - 6 * day) == "urgent"
    assert expiry_level(found, not_after, not_after) == "expired"


def test_change_kinds() -> None:
    old = CertificateIdentity("AA", "CN=R11,O=Let's Encrypt", ISSUED + 90 * day)
    assert change_kind(None, old) == "first"
    assert change_kind(old, old) is None
    renewed = CertificateIdentity("BB", old.issuer, old.not_after + 60 * day)
    assert change_kind(old, renewed) == "renewed"
    assert (
        change_kind(old, CertificateIdentity("CC", "CN=Other CA", old.not_after + 60 * day)) == "new_issuer"
    )
    assert change_kind(old, CertificateIdentity("DD", old.issuer, old.not_after)) == "replaced"


# --- the rule against a brute-force oracle -------------------------------------------------

MICRO = timedelta(microseconds=1)


def crossed_by_definition(
    not_before: datetime, not_after: datetime, days: list[int], fraction: Fraction, at: datetime
) -> dict[str, int]:
    """Every threshold crossed at ``at``, straight from the definitions in whole microseconds,
    with the time it stands for: day thresholds that fit in the renewal lead, the lead itself
    when it comes after the first day threshold and equals none."""
    lifetime = (not_after - not_before) // MICRO
    left = (not_after - at) // MICRO
    lead_num, lead_den = lifetime * fraction.numerator, fraction.denominator  # lead = num / den
    crossed: dict[str, int] = {}
    for d in set(days):
        span = d * 86_400_000_000
        if span * lead_den <= lead_num and left <= span:
            crossed[f"days-{d}"] = span
    first = max(days) * 86_400_000_000
    equals_a_day = any(d * 86_400_000_000 * lead_den == lead_num for d in days)
    if lead_num > 0 and lead_num < first * lead_den and not equals_a_day and left * lead_den <= lead_num:
        crossed[LIFETIME_KEY] = lead_num // lead_den
    return crossed


def oracle_notices(
    not_before: datetime, not_after: datetime, days: list[int], fraction: Fraction, checks: list[datetime]
) -> list[tuple[datetime, str]]:
    sent: list[tuple[datetime, str]] = []
    for at in checks:
        if at >= not_after:
            continue
        crossed = crossed_by_definition(not_before, not_after, days, fraction, at)
        if not crossed:
            continue
        latest = min(crossed, key=lambda key: crossed[key])  # the least time left: crossed last
        if latest not in {key for _, key in sent}:
            sent.append((at, latest))
    return sent


@settings(max_examples=300)
@given(
    lifetime=st.integers(60, 800 * 86_400),  # seconds
    days=st.lists(st.integers(1, 60), min_size=1, max_size=6, unique=True),
    fraction=st.fractions(min_value=Fraction(1, 100), max_value=Fraction(9, 10), max_denominator=10_000),
    offsets=st.lists(st.floats(0, 1.2), min_size=1, max_size=40),
)
def test_warnings_match_the_definition(
    lifetime: int, days: list[int], fraction: Fraction, offsets: list[float]
) -> None:
    not_before = ISSUED
    not_after = ISSUED + timedelta(seconds=lifetime)
    checks = sorted(not_before + timedelta(seconds=round(lifetime * offset)) for offset in offsets)
    found = expiry_thresholds(not_before, not_after, days, fraction)
    sent: list[tuple[datetime, str]] = []
    for at in checks:
        due = due_expiry_warning(found, not_after, at, {key for _, key in sent})
        if due is not None:
            assert due.at <= at < not_after
            sent.append((at, due.key))
    assert sent == oracle_notices(not_before, not_after, days, fraction, checks)
    assert len({key for _, key in sent}) == len(sent)  # each threshold once per certificate


@given(
    lifetime_hours=st.integers(2, 24 * 20),
    days=st.lists(st.integers(1, 30), min_size=1, max_size=5, unique=True),
    fraction=st.fractions(min_value=Fraction(1, 20), max_value=Fraction(1, 2), max_denominator=100),
)
def test_an_hourly_walk_warns_as_the_definition_says(
    lifetime_hours: int, days: list[int], fraction: Fraction
) -> None:
    """Checked every hour: the warnings the definition gives, in order, none twice."""
    not_after = ISSUED + timedelta(hours=lifetime_hours)
    found = expiry_thresholds(ISSUED, not_after, days, fraction)
    hours = [ISSUED + timedelta(hours=h, minutes=30) for h in range(lifetime_hours)]
    sent: list[str] = []
    for at in hours:
        due = due_expiry_warning(found, not_after, at, set(sent))
        if due is not None:
            sent.append(due.key)
    oracle = [key for _, key in oracle_notices(ISSUED, not_after, days, fraction, hours)]
    assert sent == oracle
    assert set(sent) <= {threshold.key for threshold in found}
