"""The quarterly review's recommendations: rules over the quarter's facts, each citing its evidence.

A rule is data: an id, a condition over :class:`ReviewFacts` and the evidence it cites when it
holds. Its wording lives with the renderer, one sentence per rule id in each language, and is
filled with that evidence only: a recommendation is printed only when its fact holds, and it
always shows the fact. Facts another part of Veilleur may not know (certificates, domains, CMS
versions) are ``None`` when unknown, and a rule never fires on an unknown fact.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

# Thresholds, named so the tests and the wording read the same figures.
MONTHS_BELOW_TARGET = 2  # months of the quarter under the uptime target
OUTAGES_OUTSIDE_HOURS = 3  # outages confirmed while the agency was closed, on a business-hours plan
FLAKY_BLIPS = 10  # unconfirmed failures on one site in the quarter
RECURRING_CAUSE = 3  # outages of one site with the same cause
SLOWER_PERCENT = 25  # rise of the p95 response time that is worth acting on
SLOW_APDEX = Decimal("0.85")  # below this, a visitor in seven or so waits too long
MINIMUM_CHECKS = 100  # checks on each side of a comparison of response times
# Certificates renewed automatically (ACME: Let's Encrypt, ZeroSSL, …) last 90 days, 180 at most;
# one valid longer than this was bought, and is renewed by hand.
HAND_RENEWED_DAYS = 200


@dataclass(frozen=True)
class LatencyShift:
    """The p95 response time of a site before and after a moment (a CMS update, a quarter)."""

    site: str
    before_ms: float
    after_ms: float
    checks_before: int
    checks_after: int
    since: date | None = None  # the day of the change, when it is one
    change: str = ""  # what changed that day ("WordPress 6.8 → 6.9")

    @property
    def rise_percent(self) -> int:
        """Whole percent, rounded toward zero: never overstate a slowdown."""
        return int((self.after_ms - self.before_ms) * 100 // self.before_ms)


@dataclass(frozen=True)
class SiteFlakiness:
    site: str
    blips: int  # failures a second check did not confirm
    outages: int


@dataclass(frozen=True)
class RecurringCause:
    site: str
    cause: str  # the probe's error class (``incidents.causes`` words it)
    status_code: int | None
    outages: int


@dataclass(frozen=True)
class LongCertificate:
    """A certificate valid so long that it was bought, not issued automatically."""

    host: str
    issuer: str
    lifetime_days: int


@dataclass(frozen=True)
class Expiry:
    subject: str  # a hostname or a domain
    expires_on: date


@dataclass(frozen=True)
class ReviewFacts:
    """What the quarter showed, as plain facts; ``None``: not known for this client."""

    months_with_data: int
    months_below_target: int | None  # None: the plan sets no uptime target
    uptime_target_percent: Decimal | None
    business_hours_plan: bool  # the response commitment runs in the agency's opening hours
    outages_outside_hours: int  # outages confirmed while the agency was closed
    round_the_clock_plan: str  # the agency's plan with a 24/7 commitment ("" when none)
    flaky_sites: tuple[SiteFlakiness, ...] = ()
    recurring_causes: tuple[RecurringCause, ...] = ()
    slower_after_update: tuple[LatencyShift, ...] = ()
    slower_than_last_quarter: tuple[LatencyShift, ...] = ()
    apdex: float | None = None
    performance_monitoring: bool = False
    # Filled from the certificate, domain and CMS checks when they are stored for this client.
    certificates_renewed_by_hand: tuple[LongCertificate, ...] | None = None
    certificates_expiring: tuple[Expiry, ...] | None = None
    domains_expiring: tuple[Expiry, ...] | None = None
    outdated_cms: tuple[str, ...] | None = None  # "Site vitrine: WordPress 6.7 (6.9 available)"


Evidence = Mapping[str, object]


@dataclass(frozen=True)
class Rule:
    id: str
    holds: Callable[[ReviewFacts], bool]
    evidence: Callable[[ReviewFacts], Evidence]


@dataclass(frozen=True)
class Recommendation:
    rule: str
    evidence: Evidence = field(default_factory=dict)


def _worst_p95(shifts: tuple[LatencyShift, ...]) -> LatencyShift:
    return max(shifts, key=lambda shift: (shift.rise_percent, shift.site))


def _rising(shifts: tuple[LatencyShift, ...]) -> tuple[LatencyShift, ...]:
    return tuple(
        shift
        for shift in shifts
        if min(shift.checks_before, shift.checks_after) >= MINIMUM_CHECKS
        and shift.rise_percent >= SLOWER_PERCENT
    )


RULES: tuple[Rule, ...] = (
    Rule(
        "uptime_below_target",
        lambda f: f.months_below_target is not None and f.months_below_target >= MONTHS_BELOW_TARGET,
        lambda f: {
            "months": f.months_below_target,
            "of": f.months_with_data,
            "target": f.uptime_target_percent,
        },
    ),
    Rule(
        "outages_outside_hours",
        lambda f: f.business_hours_plan and f.outages_outside_hours >= OUTAGES_OUTSIDE_HOURS,
        lambda f: {"outages": f.outages_outside_hours, "plan": f.round_the_clock_plan},
    ),
    Rule(
        "flaky_site",
        lambda f: any(site.blips >= FLAKY_BLIPS for site in f.flaky_sites),
        lambda f: {"sites": tuple(site for site in f.flaky_sites if site.blips >= FLAKY_BLIPS)},
    ),
    Rule(
        "recurring_cause",
        lambda f: any(cause.outages >= RECURRING_CAUSE for cause in f.recurring_causes),
        lambda f: {
            "causes": tuple(cause for cause in f.recurring_causes if cause.outages >= RECURRING_CAUSE)
        },
    ),
    Rule(
        "slower_after_update",
        lambda f: bool(_rising(f.slower_after_update)),
        lambda f: {"shift": _worst_p95(_rising(f.slower_after_update))},
    ),
    Rule(
        "slower_than_last_quarter",
        lambda f: bool(_rising(f.slower_than_last_quarter)),
        lambda f: {"shift": _worst_p95(_rising(f.slower_than_last_quarter))},
    ),
    Rule(
        "visitors_wait",
        lambda f: f.performance_monitoring and f.apdex is not None and Decimal(str(f.apdex)) < SLOW_APDEX,
        lambda f: {"apdex": f.apdex, "threshold": SLOW_APDEX},
    ),
    Rule(
        "certificate_renewed_by_hand",
        lambda f: bool(f.certificates_renewed_by_hand),
        lambda f: {"certificates": f.certificates_renewed_by_hand},
    ),
    Rule(
        "certificate_expires_next_quarter",
        lambda f: bool(f.certificates_expiring),
        lambda f: {"expiries": f.certificates_expiring},
    ),
    Rule(
        "domain_expires_next_quarter",
        lambda f: bool(f.domains_expiring),
        lambda f: {"expiries": f.domains_expiring},
    ),
    Rule(
        "cms_outdated",
        lambda f: bool(f.outdated_cms),
        lambda f: {"sites": f.outdated_cms},
    ),
)


def recommend(facts: ReviewFacts, rules: tuple[Rule, ...] = RULES) -> tuple[Recommendation, ...]:
    """The recommendations whose condition holds, in the order of the rules, with their evidence."""
    return tuple(Recommendation(rule.id, rule.evidence(facts)) for rule in rules if rule.holds(facts))
