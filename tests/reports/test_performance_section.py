"""The monthly report's performance section for plans with performance monitoring: the month's
mean per phase, exactly the raw checks' mean, and the median of the month's lab measurements."""

from __future__ import annotations

import re
import statistics
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.reports.conftest import NOW, OCT_END, OCT_START
from veilleur.clients.models import Client, Site
from veilleur.lab.models import LabRun, LabStatus
from veilleur.monitoring.models import CheckResult
from veilleur.plans.models import Plan
from veilleur.reports.data import monthly_report
from veilleur.reports.render import render_html

pytestmark = pytest.mark.django_db


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("\u00a0", " ")


@pytest.fixture
def client_with_phases(client_with_history: Client) -> Client:
    """October's checks with phases: DNS only on some, TLS on all, a slow server; lab days in
    October (one failed) and one in November that the October report leaves out."""
    site = Site.objects.get(client=client_with_history)
    rows = list(CheckResult.objects.filter(monitor__site=site).order_by("checked_at"))
    for index, row in enumerate(rows):
        row.dns_ms = 12 if index % 4 == 0 else None
        row.connect_ms = 20 + index % 3
        row.tls_ms = 45 + index % 5
        row.ttfb_ms = 300 + index % 7
    CheckResult.objects.bulk_update(rows, ["dns_ms", "connect_ms", "tls_ms", "ttfb_ms"])
    for day, lcp, status in (
        (2, 2100, "measured"),
        (3, 2500, "measured"),
        (4, 1900, "measured"),
        (5, None, "failed"),
    ):
        finished = datetime(2026, 10, day, 1, 0, tzinfo=UTC)
        LabRun.objects.create(
            site=site,
            day=finished.date(),
            status=status,
            started_at=finished - timedelta(seconds=20),
            finished_at=finished,
            url=site.url,
            ttfb_ms=None if lcp is None else 180,
            lcp_ms=lcp,
            cls=None if lcp is None else 0.02,
            transferred_bytes=None if lcp is None else 1_500_000,
            request_count=None if lcp is None else 40,
            error="" if lcp else "the page could not be loaded: net::ERR_CONNECTION_REFUSED",
        )
    LabRun.objects.create(
        site=site,
        day=date(2026, 11, 1),
        status=LabStatus.MEASURED,
        started_at=OCT_END + timedelta(hours=2),
        finished_at=OCT_END + timedelta(hours=2),
        url=site.url,
        lcp_ms=9999,
    )
    return client_with_history


def test_the_months_phase_shares_are_the_raw_checks_means(client_with_phases: Client) -> None:
    report = monthly_report(client_with_phases, 2026, 10, NOW)
    (site,) = report.sites
    assert site.performance is not None
    sampled = [
        r
        for r in CheckResult.objects.filter(checked_at__gte=OCT_START, checked_at__lt=OCT_END)
        if r.ok and not r.in_maintenance and not r.confirmation and r.total_ms is not None
    ]
    shares = {line.phase: line.per_check_ms for line in site.performance.phases}
    for phase in ("dns_ms", "connect_ms", "tls_ms", "ttfb_ms"):
        # A check without DNS (a quarter of them had one) counts 0 for it.
        assert shares[phase] == pytest.approx(sum(getattr(r, phase) or 0 for r in sampled) / len(sampled))
    first_byte = [
        sum(getattr(r, p) or 0 for p in ("dns_ms", "connect_ms", "tls_ms", "ttfb_ms")) for r in sampled
    ]
    assert site.performance.mean_to_first_byte_ms == pytest.approx(sum(first_byte) / len(first_byte))
    assert site.performance.largest is not None and site.performance.largest.phase == "ttfb_ms"
    lab = site.performance.lab
    assert lab.days_measured == 3
    assert lab.lcp_ms == statistics.median([2100, 2500, 1900])  # November's 9999 is not October's


def test_the_section_in_both_languages(client_with_phases: Client) -> None:
    report = monthly_report(client_with_phases, 2026, 10, NOW)
    english = _text(render_html(report, "en"))
    assert "Where the time goes" in english
    assert "The longest step this month: Server response (first byte)." in english
    assert "on 3 days this month" in english
    assert "Main content shown (LCP)" in english and "2,100 ms" in english and "1.5 MB" in english
    french = _text(render_html(report, "fr"))
    assert "Où passe le temps" in french
    assert "2 100 ms" in french and "1,5 Mo" in french


def test_a_plan_without_performance_monitoring_has_no_section(client_with_phases: Client) -> None:
    client_with_phases.plan = Plan.objects.get(agency=client_with_phases.agency, key="standard")
    client_with_phases.save()
    report = monthly_report(client_with_phases, 2026, 10, NOW)
    assert report.sites[0].performance is None
    assert "Where the time goes" not in _text(render_html(report, "en"))


def test_a_month_without_measurements_says_so(client_with_history: Client) -> None:
    """The fixture's checks carry no phase timings and no page was loaded."""
    text = _text(render_html(monthly_report(client_with_history, 2026, 10, NOW), "en"))
    assert "No step-by-step timings were recorded this month." in text
    assert "The home page was not loaded in a browser this month." in text
