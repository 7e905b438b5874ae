"""Each recommendation rule fires on its fact, cites it, and stays silent without it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from veilleur.domain import recommendations as rec
from veilleur.domain.recommendations import (
    RULES,
    Expiry,
    LatencyShift,
    LongCertificate,
    RecurringCause,
    ReviewFacts,
    SiteFlakiness,
    recommend,
)

QUIET = ReviewFacts(
    months_with_data=3,
    months_below_target=0,
    uptime_target_percent=Decimal("99.9"),
    business_hours_plan=False,
    outages_outside_hours=0,
    round_the_clock_plan="Premium",
    flaky_sites=(SiteFlakiness("Site vitrine", blips=2, outages=1),),
    recurring_causes=(RecurringCause("Site vitrine", "timeout", None, outages=1),),
    slower_after_update=(LatencyShift("Site vitrine", 400, 420, 5000, 5000, date(2026, 11, 3), "WP 6.9"),),
    slower_than_last_quarter=(LatencyShift("Site vitrine", 400, 410, 9000, 9000),),
    apdex=0.97,
    performance_monitoring=True,
)


def fired(facts: ReviewFacts) -> list[str]:
    return [recommendation.rule for recommendation in recommend(facts)]


def test_a_quiet_quarter_recommends_nothing() -> None:
    assert fired(QUIET) == []


def test_unknown_facts_fire_nothing() -> None:
    unknown = replace(QUIET, months_below_target=None, uptime_target_percent=None, apdex=None)
    assert fired(unknown) == []


def test_rule_ids_are_unique() -> None:
    assert len({rule.id for rule in RULES}) == len(RULES)


def test_uptime_below_target_two_months_of_three() -> None:
    assert fired(replace(QUIET, months_below_target=1)) == []
    [recommendation] = recommend(replace(QUIET, months_below_target=2))
    assert recommendation.rule == "uptime_below_target"
    assert recommendation.evidence == {"months": 2, "of": 3, "target": Decimal("99.9")}


def test_outages_outside_business_hours_on_a_business_hours_plan() -> None:
    night = replace(QUIET, business_hours_plan=True, outages_outside_hours=rec.OUTAGES_OUTSIDE_HOURS)
    [recommendation] = recommend(night)
    assert recommendation.rule == "outages_outside_hours"
    assert recommendation.evidence == {"outages": rec.OUTAGES_OUTSIDE_HOURS, "plan": "Premium"}
    # One fewer, or a plan that already answers 24/7: nothing to recommend.
    assert fired(replace(night, outages_outside_hours=rec.OUTAGES_OUTSIDE_HOURS - 1)) == []
    assert fired(replace(night, business_hours_plan=False)) == []


def test_a_flaky_site() -> None:
    flaky = SiteFlakiness("Boutique", blips=rec.FLAKY_BLIPS, outages=0)
    [recommendation] = recommend(replace(QUIET, flaky_sites=(*QUIET.flaky_sites, flaky)))
    assert recommendation.rule == "flaky_site"
    assert recommendation.evidence == {"sites": (flaky,)}
    almost = SiteFlakiness("Boutique", blips=rec.FLAKY_BLIPS - 1, outages=0)
    assert fired(replace(QUIET, flaky_sites=(almost,))) == []


def test_a_recurring_cause() -> None:
    cause = RecurringCause("Boutique", "http_status", 502, outages=rec.RECURRING_CAUSE)
    [recommendation] = recommend(replace(QUIET, recurring_causes=(cause,)))
    assert recommendation.rule == "recurring_cause"
    assert recommendation.evidence == {"causes": (cause,)}
    assert fired(replace(QUIET, recurring_causes=(replace(cause, outages=rec.RECURRING_CAUSE - 1),))) == []


def test_slower_since_an_update() -> None:
    shift = LatencyShift("Site vitrine", 400, 560, 5000, 5000, date(2026, 11, 3), "WordPress 6.8 → 6.9")
    [recommendation] = recommend(replace(QUIET, slower_after_update=(shift,)))
    assert recommendation.rule == "slower_after_update"
    assert recommendation.evidence == {"shift": shift}
    assert shift.rise_percent == 40
    # Under the threshold, or measured on too few checks: nothing.
    assert fired(replace(QUIET, slower_after_update=(replace(shift, after_ms=499),))) == []
    assert (
        fired(replace(QUIET, slower_after_update=(replace(shift, checks_after=rec.MINIMUM_CHECKS - 1),)))
        == []
    )


def test_the_worst_slowdown_is_cited() -> None:
    mild = LatencyShift("A", 400, 520, 5000, 5000)
    bad = LatencyShift("B", 300, 600, 5000, 5000)
    [recommendation] = recommend(replace(QUIET, slower_than_last_quarter=(mild, bad)))
    assert recommendation.rule == "slower_than_last_quarter"
    assert recommendation.evidence == {"shift": bad}


def test_visitors_wait() -> None:
    [recommendation] = recommend(replace(QUIET, apdex=0.8))
    assert recommendation.rule == "visitors_wait"
    assert fired(replace(QUIET, apdex=float(rec.SLOW_APDEX))) == []
    # Response times are not part of the plan: no advice about them.
    assert fired(replace(QUIET, apdex=0.8, performance_monitoring=False)) == []


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        (
            "certificates_renewed_by_hand",
            (LongCertificate("www.example.fr", "Sectigo RSA Domain Validation", 365),),
            "certificate_renewed_by_hand",
        ),
        (
            "certificates_expiring",
            (Expiry("www.example.fr", date(2027, 2, 1)),),
            "certificate_expires_next_quarter",
        ),
        ("domains_expiring", (Expiry("example.fr", date(2027, 3, 1)),), "domain_expires_next_quarter"),
        ("outdated_cms", ("Site vitrine: WordPress 6.7",), "cms_outdated"),
    ],
)
def test_certificate_domain_and_cms_rules(field: str, value: tuple[object, ...], rule: str) -> None:
    [recommendation] = recommend(replace(QUIET, **{field: value}))  # type: ignore[arg-type]
    assert recommendation.rule == rule
    assert value in recommendation.evidence.values()
    # Unknown (None) or nothing to say (empty): silent.
    assert fired(replace(QUIET, **{field: ()})) == []  # type: ignore[arg-type]
    assert fired(replace(QUIET, **{field: None})) == []  # type: ignore[arg-type]
