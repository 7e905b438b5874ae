"""A client with the fourth quarter of 2026 in Europe/Paris: the monthly fixture's October, then
November and December with outages (one across the October–November edge, one at night, one
answered late), a pause across the November–December edge, a CMS update after which the site
answers more slowly, and a September of fast answers for the previous quarter."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from veilleur.certificates.models import CertificateChange, CertificateTarget
from veilleur.clients.models import Client, MaintenanceTask, Site
from veilleur.cms.models import SoftwareChange, SoftwareCheck
from veilleur.domains.models import DomainRegistration
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import CheckResult, Monitor, PausedSpan

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
UPDATE_DAY = date(2026, 11, 12)
UPDATE_AT = datetime(2026, 11, 11, 23, 0, tzinfo=UTC)  # 12 November, 00:00 in Paris
SEPTEMBER = datetime(2026, 9, 1, 0, 0, tzinfo=UTC)
NOVEMBER = datetime(2026, 10, 31, 23, 0, tzinfo=UTC)  # 1 November, 00:00 in Paris
QUARTER_END = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)


def _results(monitor: Monitor, start: datetime, end: datetime, base_ms: int) -> list[CheckResult]:
    rows = []
    at, index = start, 0
    while at < end:
        rows.append(
            CheckResult(
                monitor=monitor,
                checked_at=at,
                ok=True,
                status_code=200,
                total_ms=base_ms + (index * 37) % 200,
            )
        )
        at += timedelta(minutes=30)
        index += 1
    return rows


def _outage(
    monitor: Monitor, first_failed_at: datetime, lasts: timedelta, cause: str, **fields: object
) -> None:
    Incident.objects.create(
        monitor=monitor,
        kind=Incident.Kind.DOWN,
        first_failed_at=first_failed_at,
        confirmed_at=first_failed_at + timedelta(minutes=1),
        recovered_at=first_failed_at + lasts,
        resolved_at=first_failed_at + lasts,
        cause_error_class=cause,
        **fields,
    )


@pytest.fixture
def client_with_a_quarter(client_with_history: Client) -> Client:
    monitor = Monitor.objects.get(site__client=client_with_history, key="home")
    site = Site.objects.get(client=client_with_history)
    CheckResult.objects.bulk_create(
        _results(monitor, SEPTEMBER, datetime(2026, 9, 30, 22, 0, tzinfo=UTC), 120)
        + _results(monitor, NOVEMBER, UPDATE_AT, 150)
        + _results(monitor, UPDATE_AT, QUARTER_END, 800)
    )
    # Across the month's edge: 23:50 on 31 October to 00:20 on 1 November, in Paris.
    _outage(monitor, datetime(2026, 10, 31, 22, 50, tzinfo=UTC), timedelta(minutes=30), "timeout")
    # At night, answered in time.
    _outage(
        monitor,
        datetime(2026, 11, 10, 2, 0, tzinfo=UTC),
        timedelta(minutes=50),
        "timeout",
        acknowledged_at=datetime(2026, 11, 10, 2, 20, tzinfo=UTC),
        sla_due_at=datetime(2026, 11, 10, 2, 31, tzinfo=UTC),
    )
    # Answered late: the commitment was missed.
    _outage(
        monitor,
        datetime(2026, 12, 3, 13, 0, tzinfo=UTC),
        timedelta(hours=2),
        "http_status",
        cause_status_code=503,
        acknowledged_at=datetime(2026, 12, 3, 14, 0, tzinfo=UTC),
        sla_due_at=datetime(2026, 12, 3, 13, 31, tzinfo=UTC),
    )
    # Paused from 30 November to 2 December, across the month's edge: not monitored, not counted.
    PausedSpan.objects.create(
        monitor=monitor,
        started_at=datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
        ended_at=datetime(2026, 12, 2, 8, 0, tzinfo=UTC),
    )
    MaintenanceTask.objects.create(
        client=client_with_history,
        site=site,
        date=UPDATE_DAY,
        category="cms_core",
        description="WordPress 6.9 → 7.0",
    )
    # What the certificate, domain and software checks stored: a bought certificate renewed in
    # November, expiring next quarter; the domain's registration; a WordPress update seen.
    agency = client_with_history.agency
    target = CertificateTarget.objects.create(
        agency=agency,
        site=site,
        host="boulangerie.example",
        issuer_cn="Sectigo RSA Domain Validation Secure Server CA",
        not_before=datetime(2026, 2, 20, tzinfo=UTC),
        not_after=datetime(2027, 2, 20, 23, 59, tzinfo=UTC),
    )
    CertificateChange.objects.create(
        agency=agency,
        target=target,
        seen_at=datetime(2026, 11, 18, 9, 0, tzinfo=UTC),
        kind=CertificateChange.Kind.RENEWED,
        fingerprint_sha256="ab" * 32,
        not_before=target.not_before,
        not_after=target.not_after,
    )
    DomainRegistration.objects.create(
        domain="boulangerie.example",
        state=DomainRegistration.State.FOUND,
        expires_at=datetime(2027, 9, 1, tzinfo=UTC),
        registrar="Gandi",
    )
    SoftwareCheck.objects.create(agency=agency, site=site, product="WordPress", version="7.0")
    SoftwareChange.objects.create(
        agency=agency,
        site=site,
        product="WordPress",
        version="7.0",
        previous_product="WordPress",
        previous_version="6.9",
        detected_at=datetime(2026, 11, 12, 6, 0, tzinfo=UTC),
        evidence="meta generator",
    )
    return client_with_history
