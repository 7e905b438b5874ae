"""The monthly report's per-region figures: only when more than one region checked the site, and
exactly the raw checks' figures; a partial outage is never in the client's report."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.reports.conftest import NOW, OCT_END, OCT_START
from veilleur.clients.models import Client
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import CheckerHeartbeat, CheckResult, Monitor
from veilleur.reports.data import monthly_report
from veilleur.reports.render import render_html

pytestmark = pytest.mark.django_db


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("\u00a0", " ")


@pytest.fixture
def two_regions(client_with_history: Client) -> Client:
    """October checked from eu-west (the fixture's checks) and from us-east, slower, failing now
    and then, with a partial outage from us-east."""
    CheckResult.objects.filter(monitor__site__client=client_with_history).update(region="eu-west")
    monitor = Monitor.objects.get(site__client=client_with_history)
    rows, at, index = [], OCT_START + timedelta(minutes=15), 0
    while at < OCT_END:
        failed = index % 9 == 4
        rows.append(
            CheckResult(
                monitor=monitor,
                checked_at=at,
                ok=not failed,
                status_code=None if failed else 200,
                error_class="timeout" if failed else "",
                total_ms=None if failed else 600 + (index * 53) % 500,
                region="us-east",
            )
        )
        at += timedelta(minutes=30)
        index += 1
    CheckResult.objects.bulk_create(rows)
    for region in ("eu-west", "us-east"):
        CheckerHeartbeat.objects.create(owner=f"{region}:1", region=region, last_seen=OCT_END)
    Incident.objects.create(
        monitor=monitor,
        kind=Incident.Kind.PARTIAL,
        first_failed_at=OCT_START + timedelta(days=3),
        confirmed_at=OCT_START + timedelta(days=3, minutes=2),
        recovered_at=OCT_START + timedelta(days=3, hours=1),
        resolved_at=OCT_START + timedelta(days=3, hours=1),
        cause_error_class="timeout",
        regions="us-east",
    )
    return client_with_history


def _median(values: list[int]) -> int:
    ordered = sorted(values)
    return ordered[(len(ordered) + 1) // 2 - 1]


def test_each_region_has_the_raw_checks_figures(two_regions: Client) -> None:
    report = monthly_report(two_regions, 2026, 10, NOW)
    (site,) = report.sites
    assert [region.region for region in site.regions] == ["eu-west", "us-east"]
    for region in site.regions:
        rows = [
            r
            for r in CheckResult.objects.filter(
                region=region.region, checked_at__gte=OCT_START, checked_at__lt=OCT_END
            )
            if not r.confirmation and not r.in_maintenance
        ]
        assert region.checks == len(rows)
        assert region.failures == sum(1 for r in rows if not r.ok)
        assert region.p50_ms == _median([r.total_ms for r in rows if r.ok and r.total_ms is not None])
    # The partial outage is the agency's information: not an incident of the client's report.
    assert all(row.kind.value != "partial" for row in site.incidents)


def test_the_section_in_both_languages(two_regions: Client) -> None:
    report = monthly_report(two_regions, 2026, 10, NOW)
    english = _text(render_html(report, "en"))
    assert "Response time by region" in english and "us-east" in english
    french = _text(render_html(report, "fr"))
    assert "Temps de réponse par région" in french and "us-east" in french


def test_one_region_shows_nothing_new(client_with_history: Client) -> None:
    CheckerHeartbeat.objects.create(owner="x:1", region="", last_seen=OCT_END)
    report = monthly_report(client_with_history, 2026, 10, NOW)
    (site,) = report.sites
    assert site.regions == ()
    assert "Response time by region" not in _text(render_html(report, "en"))
