"""The site page's performance sections: where the time goes (chart and table) and the lab page
metrics, for plans with performance monitoring only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from tests.dashboard.conftest import add_site
from veilleur.accounts.models import Agency
from veilleur.history.jobs import compact_finished_hours
from veilleur.lab.models import LabRun, LabStatus
from veilleur.monitoring.models import CheckResult

pytestmark = pytest.mark.django_db


def test_phases_and_lab_rows_on_a_premium_site(agency: Agency, signed_in: HttpClient) -> None:
    now = timezone.now()
    monitor = add_site(agency, "boulangerie", plan="premium", checked_ago=None)
    yesterday = (now - timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    CheckResult.objects.bulk_create(
        CheckResult(
            monitor=monitor,
            checked_at=yesterday + timedelta(minutes=i),
            ok=True,
            dns_ms=8,
            connect_ms=20 + i % 2 * 10,  # 20 and 30: a mean of 25
            tls_ms=40,
            ttfb_ms=600,
            total_ms=700,
        )
        for i in range(60)
    )
    compact_finished_hours(now)
    LabRun.objects.create(
        site=monitor.site,
        day=now.date(),
        status=LabStatus.MEASURED,
        started_at=now,
        finished_at=now,
        url=monitor.site.url,
        ttfb_ms=321,
        lcp_ms=2468,
        cls=0.125,
        transferred_bytes=2_500_000,
        request_count=37,
        blocked_requests=2,
    )
    LabRun.objects.create(
        site=monitor.site,
        day=now.date() - timedelta(days=1),
        status=LabStatus.NO_BROWSER,
        started_at=now,
        url=monitor.site.url,
        error="Chromium is not installed at /usr/bin/chromium",
    )
    page = signed_in.get(f"/sites/{monitor.site.pk}/?range=7d", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Where the time goes" in html and 'class="phases"' in html
    assert 'data-label="connect">25 ms</td>' in html
    assert 'data-label="first byte">600 ms</td>' in html
    assert 'data-label="Checks">60</td>' in html
    assert "2468 ms" in html and "0.125" in html and "(2 refused: private addresses)" in html
    assert "Not measured: Chromium not installed" in html


def test_a_site_without_performance_monitoring_has_no_such_sections(
    agency: Agency, signed_in: HttpClient
) -> None:
    monitor = add_site(agency, "atelier", plan="standard")
    html = signed_in.get(f"/sites/{monitor.site.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Where the time goes" not in html and "Page load in a browser" not in html


def test_a_new_premium_site_says_nothing_was_measured_yet(agency: Agency, signed_in: HttpClient) -> None:
    monitor = add_site(agency, "fromagerie", plan="premium", checked_ago=None)
    html = signed_in.get(f"/sites/{monitor.site.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No phase timings recorded over this period" in html
    assert "Not measured yet" in html
