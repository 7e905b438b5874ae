"""The offer sheet says what the plans hold, in French and English, in its PDF too; a row is
there only when a plan includes it."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest
from django.utils import translation

from veilleur.plans.models import Plan
from veilleur.reports import formatting

from .conftest import World

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    done = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True)
    return flat(done.stdout.decode())


def flat(text: str) -> str:
    """Words separated by single spaces (no-break spaces and line ends alike)."""
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("language", "heading"), [("fr", "Offres de maintenance"), ("en", "Website maintenance plans")]
)
def test_the_pdf_states_each_plans_terms(world: World, language: str, heading: str) -> None:
    answer = world.browser(world.member).get("/offer/pdf", {"lang": language})
    text = pdf_text(answer.content)
    assert heading in text and world.agency.name in text
    with translation.override(language):
        for plan in Plan.objects.filter(agency=world.agency):
            assert plan.name in text
            assert (
                formatting.number(plan.price_min_eur) in text
                and formatting.number(plan.price_max_eur) in text
            )
            assert flat(formatting.duration(timedelta(seconds=plan.check_interval_seconds))) in text
            assert flat(formatting.duration(timedelta(minutes=plan.response_target_minutes))) in text
            if plan.uptime_target_percent is not None:
                assert flat(formatting.percent(plan.uptime_target_percent)) in text


def test_a_row_only_for_what_a_plan_includes(world: World) -> None:
    browser = world.browser(world.owner)
    before = pdf_text(browser.get("/offer/pdf", {"lang": "en"}).content)
    assert "Uptime guarantee" in before and "Quarterly performance review" in before
    Plan.objects.filter(agency=world.agency).update(
        uptime_target_percent=None, service_credits=[], quarterly_review=False
    )
    after = pdf_text(browser.get("/offer/pdf", {"lang": "en"}).content)
    assert "Uptime guarantee" not in after and "Service credits" not in after
    assert "Quarterly performance review" not in after and "Monthly uptime report" in after

    page = browser.get("/offer/", {"lang": "fr"})
    assert page.status_code == 200 and '<html lang="fr">' in page.content.decode()
