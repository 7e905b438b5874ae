"""What the plans editor's form posts: every field a browser sends back, the editor's defaults filled in."""

from __future__ import annotations


def plan_form(**changes: object) -> dict[str, object]:
    """The form of a new plan "express" as a browser posts it, with ``changes`` on top."""
    return {
        "key": "express",
        "name": "Express",
        "check_interval_seconds": 60,
        "price_min_eur": 0,
        "price_max_eur": 0,
        "response_target_minutes": 15,
        "response_calendar": "always",
        "confirmation_checks": 2,
        # The editor shows every threshold filled in; a browser sends them all back.
        "degraded_above_ms": 3000,
        "degraded_after_checks": 3,
        "degraded_baseline_factor": "2",
        "certificate_warning_days": "30, 14, 7, 3, 1",
        "certificate_lifetime_fraction": "0.3333",
        **changes,
    }
