"""`veilleur demo` then `veilleur up`: the demo's made-up sites are never probed — the checker
records healthy checks for them — and nothing is mailed to the demo's made-up contacts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.checker.test_runner import run_checker_until
from veilleur.clients.models import Client
from veilleur.demo.command import run_demo
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import CheckResult, Monitor, MonitorRuntime
from veilleur.notifications.enqueue import incident_recipients
from veilleur.notifications.models import OutboxMessage
from veilleur.reports.models import Report
from veilleur.reports.sending import enqueue_report, generate_report

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_checker_keeps_the_demo_healthy_without_probing() -> None:
    run_demo(days=1, seed=3, out=lambda line: None)
    started = timezone.now()  # after the demo's own history, which ends when it ran
    assert set(Client.objects.values_list("demo", flat=True)) == {True}
    incidents_before = Incident.objects.count()
    # Every monitor due at once, as after a pause between 'veilleur demo' and 'veilleur up'.
    MonitorRuntime.objects.update(due_at=timezone.now(), next_slot_at=timezone.now())
    monitors = Monitor.objects.count()

    run_checker_until(
        lambda: (
            CheckResult.objects.filter(checked_at__gt=started).values("monitor").distinct().count()
            >= monitors
        )
    )

    live = CheckResult.objects.filter(checked_at__gt=started)
    assert live.values("monitor").distinct().count() == monitors
    assert not live.filter(ok=False).exists() and not live.filter(error_class="dns").exists()
    assert all(result.total_ms and result.total_ms > 0 for result in live)
    assert Incident.objects.count() == incidents_before
    assert set(MonitorRuntime.objects.values_list("phase", flat=True)) == {"up"}
    assert not OutboxMessage.objects.exists()


def test_nothing_is_mailed_to_the_demo_s_made_up_contacts() -> None:
    now = timezone.now()
    run_demo(days=40, seed=5, out=lambda line: None)
    client = Client.objects.filter(contacts__receives_reports=True).first()
    assert client is not None and client.demo
    previous = (now.replace(day=1) - timedelta(days=1)).date()
    report = generate_report(client, Report.Kind.MONTHLY, previous.replace(day=1), now)
    assert enqueue_report(report, client) == 0
    incident = Incident.objects.filter(
        monitor__site__client__contacts__receives_incident_notices=True
    ).first()
    assert incident is not None
    contacts = set(incident.monitor.site.client.contacts.values_list("email", flat=True))
    assert not contacts & {recipient.address for recipient in incident_recipients(incident)}
