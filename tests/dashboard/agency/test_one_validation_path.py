"""The same bad value is refused the same way by the dashboard's forms, the API and the config
file: the message names the field and nothing is written."""

from __future__ import annotations

import html

import pytest
from django.conf import settings
from django.test import Client as Browser

from tests.plan_form import plan_form
from veilleur.accounts.models import Agency, ApiToken
from veilleur.configfile.apply import apply_document
from veilleur.configfile.issues import ConfigFileError, Issue
from veilleur.configfile.loader import read_document
from veilleur.plans.models import Plan

from .conftest import World

pytestmark = pytest.mark.django_db


# The forms are read in English here, the language of the API and the config file they are compared with
# (tests/i18n/test_refusals.py: the same refusals in French).
IN_ENGLISH = {"Accept-Language": "en"}


def yaml_issues(text: str, agency: Agency) -> list[Issue]:
    with pytest.raises(ConfigFileError) as refused:
        apply_document(read_document(text), agency_key=agency.key, dry_run=False, prune=False)
    return list(refused.value.issues)


def test_a_check_interval_below_the_minimum(world: World) -> None:
    too_short = settings.VEILLEUR_MIN_INTERVAL_SECONDS - 1
    message = (
        f"check interval {too_short} s is below the minimum of {settings.VEILLEUR_MIN_INTERVAL_SECONDS} s"
    )
    plans_before = Plan.objects.count()

    form = world.browser(world.owner).post(
        "/plans/new", plan_form(check_interval_seconds=too_short), headers=IN_ENGLISH
    )
    assert form.status_code == 400
    assert message in html.unescape(form.content.decode())

    _token, clear = ApiToken.issue(world.agency, "ci")
    api = Browser().post(
        "/api/v1/plans",
        {
            "key": "express",
            "name": "Express",
            "check_interval_seconds": too_short,
            "response_target_minutes": 15,
            "response_calendar": "always",
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {clear}"},
    )
    assert api.status_code in (400, 422)
    assert api.json()["fields"]["check_interval_seconds"] == message

    issues = yaml_issues(
        f"""agency: {{name: Atelier Lumière}}
plans:
  - {{key: express, name: Express, check_interval_seconds: {too_short}, response_target_minutes: 15,
     response_calendar: always}}
""",
        world.agency,
    )
    assert [(issue.path, issue.message) for issue in issues] == [
        (("plans", 0, "check_interval_seconds"), message)
    ]
    assert Plan.objects.count() == plans_before


def test_a_colour_that_is_not_rrggbb(world: World) -> None:
    message = "invalid colour '#12345': expected #RRGGBB, e.g. '#1d4ed8'"
    page = world.browser(world.admin).post(
        "/settings/",
        {
            "agency-name": "Atelier Lumière",
            "agency-primary_color": "#12345",
            "agency-accent_color": "#f59e0b",
            "agency-language": "fr",
            "agency-time_zone": "Europe/Paris",
            "calendar-mon": "09:00-18:00",
        },
        headers=IN_ENGLISH,
    )
    assert page.status_code == 400 and message in html.unescape(page.content.decode())

    issues = yaml_issues(
        "agency: {name: Atelier Lumière, branding: {primary_color: '#12345'}}\n", world.agency
    )
    assert [(issue.path, issue.message) for issue in issues] == [
        (("agency", "branding", "primary_color"), message)
    ]
    world.agency.refresh_from_db()
    assert world.agency.primary_color == "#1d4ed8"


def test_opening_hours_and_holidays_from_the_settings_page(world: World) -> None:
    browser = world.browser(world.owner)
    bad = browser.post(
        "/settings/",
        {
            "agency-name": "Atelier Lumière",
            "agency-primary_color": "#1d4ed8",
            "agency-accent_color": "#f59e0b",
            "agency-language": "fr",
            "agency-time_zone": "Europe/Paris",
            "calendar-mon": "09:00-25:00",
            "calendar-holidays": "2026-12-25",
        },
        headers=IN_ENGLISH,
    )
    assert bad.status_code == 400 and "invalid opening hours '09:00-25:00'" in html.unescape(
        bad.content.decode()
    )
    good = browser.post(
        "/settings/",
        {
            "agency-name": "Atelier Lumière",
            "agency-primary_color": "#0f766e",
            "agency-accent_color": "#f59e0b",
            "agency-language": "en",
            "agency-time_zone": "Europe/Brussels",
            "calendar-mon": "09:00-12:30, 14:00-18:00",
            "calendar-sat": "10:00-12:00",
            "calendar-holidays": "2026-12-25\n2026-12-24",
        },
    )
    assert good.status_code == 302
    world.agency.refresh_from_db()
    calendar = world.agency.calendar
    assert (world.agency.primary_color, world.agency.language, calendar.time_zone) == (
        "#0f766e",
        "en",
        "Europe/Brussels",
    )
    assert calendar.weekly_hours == {"mon": ["09:00-12:30", "14:00-18:00"], "sat": ["10:00-12:00"]}
    assert calendar.holidays == ["2026-12-24", "2026-12-25"]


def test_domain_warning_days_listed_twice(world: World) -> None:
    message = "7 days is listed twice"
    plans_before = Plan.objects.count()
    form = world.browser(world.owner).post(
        "/plans/new", plan_form(domain_warning_days="14, 7, 7"), headers=IN_ENGLISH
    )
    assert form.status_code == 400
    assert message in html.unescape(form.content.decode())

    _token, clear = ApiToken.issue(world.agency, "ci")
    api = Browser().post(
        "/api/v1/plans",
        {
            "key": "express",
            "name": "Express",
            "check_interval_seconds": 60,
            "response_target_minutes": 15,
            "response_calendar": "always",
            "domain_warning_days": [14, 7, 7],
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {clear}"},
    )
    assert api.status_code in (400, 422)
    assert api.json()["fields"]["domain_warning_days"] == message

    issues = yaml_issues(
        """agency: {name: Atelier Lumière}
plans:
  - {key: express, name: Express, check_interval_seconds: 60, response_target_minutes: 15,
     response_calendar: always, domain_warning_days: [14, 7, 7]}
""",
        world.agency,
    )
    assert [(issue.path, issue.message) for issue in issues] == [
        (("plans", 0, "domain_warning_days"), message)
    ]
    assert Plan.objects.count() == plans_before


def test_the_plans_editor_saves_the_cms_flag_and_the_days(world: World) -> None:
    page = world.browser(world.owner).post(
        "/plans/new",
        plan_form(cms_versions="on", domain_warning_days="60; 7,14"),
    )
    assert page.status_code == 302
    plan = Plan.objects.get(agency=world.agency, key="express")
    assert (plan.cms_versions, plan.domain_warning_days) == (True, [60, 7, 14])
    assert plan.domain_warning_thresholds() == (60, 14, 7)
    edit = world.browser(world.owner).get(f"/plans/{plan.pk}/").content.decode()
    assert 'value="60, 7, 14"' in edit
