"""The default plans are the offer of DESIGN.md §1, and credits follow the schedule."""

from __future__ import annotations

from decimal import Decimal

from veilleur.domain.plans import DEFAULT_PLANS, credit_due_percent


def test_default_plans_match_the_offer() -> None:
    by_key = {plan.key: plan for plan in DEFAULT_PLANS}
    assert [by_key[k].check_interval_seconds for k in ("basic", "standard", "premium")] == [180, 60, 30]
    assert [by_key[k].response_target_minutes for k in ("basic", "standard", "premium")] == [240, 60, 30]
    assert [by_key[k].response_calendar for k in ("basic", "standard", "premium")] == [
        "business",
        "business",
        "always",
    ]
    assert (
        not by_key["basic"].status_page and by_key["standard"].status_page and by_key["premium"].client_portal
    )
    assert by_key["premium"].uptime_target_percent == Decimal("99.9")
    assert by_key["premium"].quarterly_review and not by_key["standard"].quarterly_review


def test_credit_is_the_largest_step_fallen_below() -> None:
    steps = next(p for p in DEFAULT_PLANS if p.key == "premium").service_credits
    assert credit_due_percent(Decimal("99.95"), steps) == 0
    assert credit_due_percent(Decimal("99.9"), steps) == 0
    assert credit_due_percent(Decimal("99.89"), steps) == 10
    assert credit_due_percent(Decimal("98.5"), steps) == 25
    assert credit_due_percent(Decimal("12"), steps) == 50
    assert credit_due_percent(Decimal("50"), ()) == 0
