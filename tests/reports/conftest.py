"""A client with one monitored site and a month of history: October 2026 in Europe/Paris."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from veilleur.accounts.models import Agency
from veilleur.clients.models import Client, MaintenanceTask, MaintenanceWindow, Site
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import CheckResult, Monitor, NoDataGap
from veilleur.plans.models import Plan

NOW = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
OCT_START = datetime(2026, 9, 30, 22, 0, tzinfo=UTC)  # 1 October 2026, 00:00 in Paris
OCT_END = datetime(2026, 10, 31, 23, 0, tzinfo=UTC)  # 1 November 2026, 00:00 in Paris (after DST)


@pytest.fixture
def client_with_history(agency: Agency) -> Client:
    plan = Plan.objects.get(agency=agency, key="premium")
    client = Client.objects.create(
        agency=agency, key="boulangerie", name="Boulangerie Martin", plan=plan, language="fr"
    )
    site = Site.objects.create(
        client=client, key="www", name="Site vitrine", url="https://boulangerie.example"
    )
    monitor = Monitor.objects.create(site=site, key="home", url="https://boulangerie.example/")
    Monitor.objects.filter(pk=monitor.pk).update(created_at=datetime(2026, 9, 1, tzinfo=UTC))

    rows = []
    at = OCT_START
    index = 0
    while at < OCT_END:
        rows.append(
            CheckResult(
                monitor=monitor, checked_at=at, ok=True, status_code=200, total_ms=150 + (index * 37) % 400
            )
        )
        at += timedelta(minutes=30)
        index += 1
    CheckResult.objects.bulk_create(rows)

    Incident.objects.create(
        monitor=monitor,
        kind=Incident.Kind.DOWN,
        first_failed_at=datetime(2026, 10, 5, 10, 0, tzinfo=UTC),
        confirmed_at=datetime(2026, 10, 5, 10, 1, tzinfo=UTC),
        notified_at=datetime(2026, 10, 5, 10, 1, 30, tzinfo=UTC),
        acknowledged_at=datetime(2026, 10, 5, 10, 9, tzinfo=UTC),
        acknowledged_by_label="Camille",
        first_client_update_at=datetime(2026, 10, 5, 10, 20, tzinfo=UTC),
        recovered_at=datetime(2026, 10, 5, 10, 45, tzinfo=UTC),
        resolved_at=datetime(2026, 10, 5, 11, 0, tzinfo=UTC),
        cause_error_class="timeout",
        sla_due_at=datetime(2026, 10, 5, 10, 31, tzinfo=UTC),
    )
    Incident.objects.create(
        monitor=monitor,
        kind=Incident.Kind.DEGRADED,
        first_failed_at=datetime(2026, 10, 12, 14, 0, tzinfo=UTC),
        confirmed_at=datetime(2026, 10, 12, 14, 2, tzinfo=UTC),
        recovered_at=datetime(2026, 10, 12, 14, 20, tzinfo=UTC),
        resolved_at=datetime(2026, 10, 12, 14, 20, tzinfo=UTC),
        cause_error_class="slow",
        sla_due_at=datetime(2026, 10, 12, 14, 32, tzinfo=UTC),
    )
    MaintenanceWindow.objects.create(
        client=client,
        key="upgrade",
        title="Mise à jour WordPress",
        start_date=date(2026, 10, 20),
        start_time=time(22, 0),
        duration_minutes=60,
    )
    NoDataGap.objects.create(
        monitor=monitor,
        started_at=datetime(2026, 10, 25, 3, 0, tzinfo=UTC),
        ended_at=datetime(2026, 10, 25, 5, 0, tzinfo=UTC),
    )
    MaintenanceTask.objects.create(
        client=client,
        site=site,
        date=date(2026, 10, 20),
        category="cms_core",
        description="WordPress 6.8 → 6.9",
    )
    MaintenanceTask.objects.create(
        client=client, date=date(2026, 10, 2), category="backup", description="Sauvegarde hors site vérifiée"
    )
    MaintenanceTask.objects.create(
        client=client,
        date=date(2026, 10, 3),
        category="other",
        description="Note interne",
        visible_to_client=False,
    )
    return client


@pytest.fixture
def client_with_two_monitors(client_with_history: Client) -> Client:
    """The same client, its site watched by a second monitor (the shop) whose outage overlaps the
    home page's by 15 minutes and adds 20 minutes of its own, plus a short outage of 2 min 20 s."""
    site = Site.objects.get(client=client_with_history)
    shop = Monitor.objects.create(site=site, key="shop", url="https://boulangerie.example/boutique")
    Monitor.objects.filter(pk=shop.pk).update(created_at=datetime(2026, 9, 1, tzinfo=UTC))
    Incident.objects.create(
        monitor=shop,
        kind=Incident.Kind.DOWN,
        first_failed_at=datetime(2026, 10, 5, 10, 30, tzinfo=UTC),
        confirmed_at=datetime(2026, 10, 5, 10, 31, tzinfo=UTC),
        recovered_at=datetime(2026, 10, 5, 11, 5, tzinfo=UTC),
        resolved_at=datetime(2026, 10, 5, 11, 5, tzinfo=UTC),
        cause_error_class="http_status",
        cause_status_code=502,
    )
    Incident.objects.create(
        monitor=shop,
        kind=Incident.Kind.DOWN,
        first_failed_at=datetime(2026, 10, 14, 14, 17, 50, tzinfo=UTC),
        confirmed_at=datetime(2026, 10, 14, 14, 18, 20, tzinfo=UTC),
        recovered_at=datetime(2026, 10, 14, 14, 20, 10, tzinfo=UTC),
        resolved_at=datetime(2026, 10, 14, 14, 20, 10, tzinfo=UTC),
        cause_error_class="refused",
    )
    return client_with_history
