"""The three plans every new agency starts with (DESIGN.md §1), as data.

Code never asks "is this premium?": it reads the plan's interval, feature flags, response
target and credit schedule. Agencies edit these rows and add their own plans.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from veilleur.domain.refusals import Refused, gettext_noop

# Degraded performance defaults. 3 s: the point where most visitors of a page notice the wait
# and many leave, far above a healthy page's total time (a few hundred ms), so crossing it is
# news and not noise. 3 consecutive checks: one slow check is a hiccup, three in a row (1.5 min
# at Premium's 30 s) is a trend worth a look. 2x the 14-day p95: a site that usually answers in
# 400 ms and now takes 900 ms for a quarter of an hour has a problem even under 3 s.
DEFAULT_DEGRADED_ABOVE_MS = 3000
DEFAULT_DEGRADED_AFTER_CHECKS = 3
DEFAULT_DEGRADED_BASELINE_FACTOR = Decimal("2")
# A month leaves time to renew through a slow purchasing department, a fortnight is the usual
# reminder, a week is the last comfortable moment before the registrar's own grace period.
DEFAULT_DOMAIN_WARNING_DAYS: tuple[int, ...] = (30, 14, 7)
MAX_DOMAIN_WARNING_DAYS = 365


@dataclass(frozen=True)
class CreditStep:
    """When monthly uptime falls below ``below_percent``, ``credit_percent`` of the fee is credited."""

    below_percent: Decimal
    credit_percent: int


# --- certificate monitoring: expiry warnings (docs/certificates.md says why these) ---
# Days before expiry: a month to plan a manual renewal, then reminders that get closer together.
DEFAULT_CERTIFICATE_WARNING_DAYS: tuple[int, ...] = (30, 14, 7, 3, 1)
# A third of the lifetime left is when ACME clients renew (day 60 of 90); past it a short-lived
# certificate is late. Lifetimes shrink (200 days from 2026, 100 from 2027, 47 by 2029), so a
# fixed 30 days would warn about certificates that are simply not due for renewal yet.
DEFAULT_CERTIFICATE_LIFETIME_FRACTION = Decimal("0.3333")


@dataclass(frozen=True)
class PlanSpec:
    key: str
    name: str
    check_interval_seconds: int
    price_min_eur: int
    price_max_eur: int
    response_target_minutes: int
    response_calendar: str  # "business" (the agency's opening hours) or "always" (24/7)
    email_alerts: bool = True
    monthly_report: bool = True
    maintenance_log: bool = True
    status_page: bool = False
    client_portal: bool = False
    ssl_monitoring: bool = False
    performance_monitoring: bool = False
    quarterly_review: bool = False
    uptime_target_percent: Decimal | None = None
    service_credits: tuple[CreditStep, ...] = field(default_factory=tuple)
    confirmation_checks: int = 2
    # Degraded performance (used where performance_monitoring is on)
    degraded_above_ms: int = DEFAULT_DEGRADED_ABOVE_MS
    degraded_after_checks: int = DEFAULT_DEGRADED_AFTER_CHECKS
    degraded_baseline_factor: Decimal = DEFAULT_DEGRADED_BASELINE_FACTOR
    certificate_warning_days: tuple[int, ...] = DEFAULT_CERTIFICATE_WARNING_DAYS
    certificate_lifetime_fraction: Decimal = DEFAULT_CERTIFICATE_LIFETIME_FRACTION
    # Domains and CMS versions: the domain's registration expiry follows ``ssl_monitoring``
    # ("certificates and domain" are one feature); ``cms_versions`` records the site's software.
    cms_versions: bool = False
    domain_warning_days: tuple[int, ...] = DEFAULT_DOMAIN_WARNING_DAYS


DEFAULT_PLANS: tuple[PlanSpec, ...] = (
    PlanSpec(
        key="basic",
        name="Basic",
        check_interval_seconds=180,
        price_min_eur=100,
        price_max_eur=200,
        response_target_minutes=240,
        response_calendar="business",
    ),
    PlanSpec(
        key="standard",
        name="Standard",
        check_interval_seconds=60,
        price_min_eur=200,
        price_max_eur=400,
        response_target_minutes=60,
        response_calendar="business",
        status_page=True,
        client_portal=True,
    ),
    PlanSpec(
        key="premium",
        name="Premium",
        check_interval_seconds=30,
        price_min_eur=400,
        price_max_eur=800,
        response_target_minutes=30,
        response_calendar="always",
        status_page=True,
        client_portal=True,
        ssl_monitoring=True,
        performance_monitoring=True,
        quarterly_review=True,
        cms_versions=True,
        uptime_target_percent=Decimal("99.9"),
        # A common shape for monthly uptime guarantees: the further below target, the larger the
        # share of the month's fee credited back. Agencies edit it to match their contracts.
        service_credits=(
            CreditStep(Decimal("99.9"), 10),
            CreditStep(Decimal("99.0"), 25),
            CreditStep(Decimal("95.0"), 50),
        ),
    ),
)


def credit_due_percent(uptime_percent: Decimal, steps: tuple[CreditStep, ...]) -> int:
    """The credit owed for a month's uptime: the largest credit among the thresholds it falls below."""
    return max((step.credit_percent for step in steps if uptime_percent < step.below_percent), default=0)


def check_warning_days(value: object) -> tuple[int, ...]:
    """Days before a domain's expiry at which the agency is warned: a list of distinct whole
    numbers of days in 1..365 (empty: no warnings). Returned largest first."""
    if not isinstance(value, list | tuple):
        raise Refused(gettext_noop("give a list of whole numbers of days, e.g. [30, 14, 7]"))
    days: list[int] = []
    for item in value:
        if not isinstance(item, int) or isinstance(item, bool) or not 1 <= item <= MAX_DOMAIN_WARNING_DAYS:
            raise Refused(
                gettext_noop("%(item)s is not a whole number of days in 1..%(most)d"),
                item=repr(item),
                most=MAX_DOMAIN_WARNING_DAYS,
            )
        if item in days:
            raise Refused(gettext_noop("%(days)s days is listed twice"), days=item)
        days.append(item)
    return tuple(sorted(days, reverse=True))
