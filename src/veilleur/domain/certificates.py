"""When a certificate's expiry is worth a warning, and what a change of certificate means.

Two kinds of threshold, both plan data (``Plan.certificate_warning_days`` and
``Plan.certificate_lifetime_fraction``):

- absolute: *d* days before expiry (30, 14, 7, 3, 1 by default);
- relative: when only ``fraction`` of the certificate's lifetime is left (a third by default,
  the moment ACME clients renew a 90-day certificate).

A short-lived certificate is renewed late in its life on purpose (a 47-day certificate at about
16 days left), so an absolute threshold further from expiry than the relative one would warn
about a certificate that is simply not due yet: such thresholds are skipped, and the relative
one stands in for them. For a long-lived certificate the relative point comes before the first
absolute one and adds nothing, so it is skipped instead.

At any instant the warning due is the most recent threshold crossed, once per certificate and
threshold: a worker that was away does not send the thresholds it missed, only the latest.
Nothing is due once the certificate has expired: the checks fail then, and the incident alerts.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

LIFETIME_KEY = "lifetime"
# Below this many days left an expiry is shown as urgent, whatever the thresholds.
URGENT_DAYS = 7
MICROSECOND = timedelta(microseconds=1)
DAY_US = timedelta(days=1) // MICROSECOND


@dataclass(frozen=True, slots=True)
class ExpiryThreshold:
    """A warning point of one certificate: ``key`` is ``"days-14"`` or ``"lifetime"``; ``at`` is
    the instant it is crossed; ``left`` the time left then."""

    key: str
    at: datetime
    left: timedelta


def renewal_lead(not_before: datetime, not_after: datetime, fraction: Decimal | Fraction) -> Fraction:
    """The share ``fraction`` of the lifetime, exactly, in microseconds."""
    return (not_after - not_before) // MICROSECOND * Fraction(fraction)


def expiry_thresholds(
    not_before: datetime,
    not_after: datetime,
    warning_days: Iterable[int],
    fraction: Decimal | Fraction,
) -> tuple[ExpiryThreshold, ...]:
    """The thresholds that apply to this certificate, earliest first."""
    lead = renewal_lead(not_before, not_after, fraction)
    days = sorted({int(d) for d in warning_days}, reverse=True)
    found = [
        ExpiryThreshold(f"days-{d}", not_after - timedelta(days=d), timedelta(days=d))
        for d in days
        if d * DAY_US <= lead
    ]
    if lead > 0 and (not days or lead < days[0] * DAY_US) and all(d * DAY_US != lead for d in days):
        left = timedelta(microseconds=math.floor(lead))  # crossed once no more than the lead is left
        found.append(ExpiryThreshold(LIFETIME_KEY, not_after - left, left))
    return tuple(sorted(found, key=lambda threshold: threshold.at))


def due_expiry_warning(
    thresholds: Iterable[ExpiryThreshold], not_after: datetime, now: datetime, sent: Collection[str]
) -> ExpiryThreshold | None:
    """The warning to send at ``now``: the latest threshold crossed, unless already ``sent``."""
    if now >= not_after:
        return None
    crossed = [threshold for threshold in thresholds if threshold.at <= now]
    if not crossed:
        return None
    latest = max(crossed, key=lambda threshold: threshold.at)
    return None if latest.key in sent else latest


def days_left(not_after: datetime, now: datetime) -> int:
    """Whole days left (rounded down); negative once expired."""
    return (not_after - now) // timedelta(days=1)


def expiry_level(thresholds: Iterable[ExpiryThreshold], not_after: datetime, now: datetime) -> str:
    """How an expiry is shown: ``expired``, ``urgent`` (under a week), ``warning`` (a threshold
    crossed) or ``ok``."""
    if now >= not_after:
        return "expired"
    if not_after - now < timedelta(days=URGENT_DAYS):
        return "urgent"
    if any(threshold.at <= now for threshold in thresholds):
        return "warning"
    return "ok"


@dataclass(frozen=True, slots=True)
class CertificateIdentity:
    """What tells two certificates apart, for the change history."""

    fingerprint_sha256: str
    issuer: str
    not_after: datetime


def change_kind(previous: CertificateIdentity | None, current: CertificateIdentity) -> str | None:
    """What serving ``current`` after ``previous`` means: ``first``, ``renewed`` (same issuer,
    later expiry: good news), ``new_issuer`` (worth a look) or ``replaced`` (same issuer, no
    later expiry); ``None`` when it is the same certificate."""
    if previous is None:
        return "first"
    if previous.fingerprint_sha256 == current.fingerprint_sha256:
        return None
    if previous.issuer != current.issuer:
        return "new_issuer"
    if current.not_after > previous.not_after:
        return "renewed"
    return "replaced"
