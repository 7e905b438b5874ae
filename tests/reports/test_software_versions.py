"""The monthly report's "Software versions": only the changes seen in that month, on the day of
the client's zone, for plans with CMS versions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.reports.conftest import NOW
from veilleur.clients.models import Client, Site
from veilleur.cms.models import SoftwareChange
from veilleur.plans.models import Plan
from veilleur.reports.data import monthly_report
from veilleur.reports.render import render_html

pytestmark = pytest.mark.django_db


def change(site: Site, when: datetime, before: tuple[str, str], after: tuple[str, str]) -> None:
    SoftwareChange.objects.create(
        agency=site.agency,
        site=site,
        previous_product=before[0],
        previous_version=before[1],
        product=after[0],
        version=after[1],
        detected_at=when,
        evidence="meta generator",
    )


@pytest.fixture
def site(client_with_history: Client) -> Site:
    site = Site.objects.get(client=client_with_history)
    change(site, datetime(2026, 9, 20, 8, tzinfo=UTC), ("", ""), ("WordPress", "6.8"))
    # 31 October 23:30 UTC is already 1 November in Paris: November's, not October's.
    change(site, datetime(2026, 10, 31, 23, 30, tzinfo=UTC), ("WordPress", "6.8.1"), ("WordPress", "6.9"))
    change(site, datetime(2026, 10, 12, 6, tzinfo=UTC), ("WordPress", "6.8"), ("WordPress", "6.8.1"))
    return site


def test_only_the_months_changes_are_stated(site: Site, client_with_history: Client) -> None:
    report = monthly_report(client_with_history, 2026, 10, NOW)
    (site_report,) = report.sites
    assert [(row.previous_version, row.version) for row in site_report.software_changes] == [("6.8", "6.8.1")]
    html = render_html(report, "en")
    assert "Software versions" in html
    assert "WordPress 6.8 → 6.8.1" in html
    assert "October 12, 2026" in html or "12 October 2026" in html
    assert "6.8.1 → 6.9" not in html  # seen on 1 November in Paris


def test_in_french(site: Site, client_with_history: Client) -> None:
    html = render_html(monthly_report(client_with_history, 2026, 10, NOW), "fr")
    assert "Versions des logiciels" in html
    assert "12 octobre 2026" in html


def test_a_month_without_change_or_a_plan_without_the_feature_says_nothing(
    site: Site, client_with_history: Client
) -> None:
    html = render_html(monthly_report(client_with_history, 2026, 8, NOW), "en")
    assert "Software versions" not in html
    client_with_history.plan = Plan.objects.get(agency=client_with_history.agency, key="standard")
    client_with_history.save()
    html = render_html(monthly_report(client_with_history, 2026, 10, NOW), "en")
    assert "Software versions" not in html
