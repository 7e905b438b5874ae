"""``veilleur demo`` on a fresh test database: a small number of days, a fixed ``now``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient

from veilleur import cli
from veilleur.accounts.models import Agency, StaffUser
from veilleur.clients.models import Client, MaintenanceTask, MaintenanceWindow, Site
from veilleur.demo.command import DemoRefused, DemoSummary, run_demo
from veilleur.history import read
from veilleur.history.models import ResultBlock, RollupDay
from veilleur.incidents.models import Blip, Incident
from veilleur.monitoring.models import CheckResult, Monitor, MonitorRuntime, NoDataGap
from veilleur.plans.models import Plan

NOW = datetime(2026, 11, 27, 18, 20, 7, tzinfo=UTC)
DAYS = 3
START = NOW - timedelta(days=DAYS)


def demo(seed: int = 7) -> tuple[DemoSummary, list[str]]:
    lines: list[str] = []
    summary = run_demo(days=DAYS, seed=seed, now=NOW, out=lines.append)
    return summary, lines


def all_results(monitor_id: int) -> list[read.ResultRecord]:
    records: list[read.ResultRecord] = []
    cursor = None
    while True:
        page = read.results(monitor_id, START, NOW + timedelta(seconds=1), cursor=cursor, limit=1000)
        records.extend(page.results)
        if page.next_cursor is None:
            return records
        cursor = page.next_cursor


@pytest.mark.django_db
def test_creates_three_clients_on_the_three_plans() -> None:
    summary, lines = demo()
    assert sorted(Client.objects.values_list("plan__key", flat=True)) == ["basic", "premium", "standard"]
    assert summary.clients == 3 and summary.monitors == Monitor.objects.count() >= 3
    assert MaintenanceWindow.objects.filter(rrule__startswith="FREQ=WEEKLY").exists()
    assert MaintenanceTask.objects.filter(visible_to_client=True).exists()
    assert summary.setup_link and "/setup/" in summary.setup_link
    assert any("veilleur up" in line for line in lines)
    assert any("/incidents/" in line for line in lines)


@pytest.mark.django_db
def test_incidents_are_ordered_and_never_overlap() -> None:
    summary, _ = demo()
    assert summary.incidents == Incident.objects.count() > 0
    for monitor in Monitor.objects.all():
        incidents = list(Incident.objects.filter(monitor=monitor).order_by("first_failed_at"))
        for incident in incidents:
            assert incident.recovered_at is not None and incident.resolved_at is not None
            assert incident.first_failed_at <= incident.confirmed_at < incident.recovered_at
            assert incident.recovered_at <= incident.resolved_at <= NOW
            assert incident.sla_due_at is not None and incident.proof
            if incident.acknowledged_at is not None:
                assert incident.confirmed_at <= incident.acknowledged_at <= NOW
                assert incident.acknowledged_by_label and incident.ack_channel
        for before, after in pairwise(incidents):
            assert before.resolved_at is not None and before.resolved_at < after.first_failed_at
    acknowledged = Incident.objects.filter(acknowledged_at__isnull=False)
    assert any(i.sla_due_at and i.acknowledged_at and i.acknowledged_at <= i.sla_due_at for i in acknowledged)
    assert Blip.objects.count() == summary.blips > 0
    # The checker's own stop leaves one no-data gap on every monitor, 10 to 20 minutes long.
    assert NoDataGap.objects.count() == summary.monitors
    for gap in NoDataGap.objects.all():
        assert timedelta(minutes=10) <= gap.ended_at - gap.started_at <= timedelta(minutes=21)


@pytest.mark.django_db
def test_history_reads_back_through_the_history_api() -> None:
    summary, _ = demo()
    total = 0
    maintenance = 0
    failed_in_maintenance = 0
    for monitor in Monitor.objects.all():
        records = all_results(monitor.pk)
        assert records == sorted(records, key=lambda r: r.checked_at)
        total += len(records)
        maintenance += sum(r.in_maintenance for r in records)
        for record in records:
            if record.in_maintenance and not record.ok:
                failed_in_maintenance += 1
                assert not Incident.objects.filter(
                    monitor=monitor,
                    first_failed_at__lte=record.checked_at,
                    recovered_at__gt=record.checked_at,
                ).exists()
        interval = monitor.effective_interval_seconds()
        regular = [r for r in records if not r.confirmation]
        assert abs(len(regular) - DAYS * 86_400 / interval) < 20 * 60 / interval + 2  # minus the gap
        days = read.rollups(monitor.pk, START, NOW + timedelta(seconds=1), granularity="day")
        assert sum(bucket.checks for bucket in days) == len(records)
        hours = read.rollups(monitor.pk, START, NOW, granularity="hour")
        assert any(bucket.p95_ms for bucket in hours)
        runtime = MonitorRuntime.objects.get(monitor=monitor)
        assert runtime.next_slot_at > NOW and runtime.phase == "up"
        assert runtime.last_checked_at == records[-1].checked_at
    assert total == summary.results
    assert maintenance > 0
    assert failed_in_maintenance > 0  # the outage planted in a maintenance window: no incident
    # Finished hours are compacted; only the current hour stays as raw rows.
    current_hour = NOW.replace(minute=0, second=0, microsecond=0)
    assert not CheckResult.objects.filter(checked_at__lt=current_hour).exists()
    assert CheckResult.objects.count() == summary.raw_rows > 0
    assert ResultBlock.objects.count() == summary.blocks > 0
    assert RollupDay.objects.exists()


def fingerprint() -> list[tuple[object, ...]]:
    incidents = Incident.objects.order_by("monitor_id", "first_failed_at").values_list(
        "monitor__key", "first_failed_at", "confirmed_at", "recovered_at", "acknowledged_at"
    )
    blocks = ResultBlock.objects.order_by("monitor_id", "hour_start").values_list("hour_start", "data")
    return [*incidents, *((hour, bytes(data)) for hour, data in blocks)]


@pytest.mark.django_db(transaction=True)
def test_same_seed_same_demo() -> None:
    # Monitor ids set each monitor's phase: start both runs from the same id sequences.
    call_command("flush", interactive=False, verbosity=0)
    demo(seed=11)
    first = fingerprint()
    call_command("flush", interactive=False, verbosity=0)  # also resets the id sequences
    demo(seed=11)
    assert fingerprint() == first
    call_command("flush", interactive=False, verbosity=0)
    demo(seed=12)
    assert fingerprint() != first


@pytest.mark.django_db
def test_refuses_an_install_with_clients(capsys: pytest.CaptureFixture[str]) -> None:
    demo()
    with pytest.raises(DemoRefused):
        demo()
    assert cli.main(["demo", "--days", "3"]) == cli.EXIT_BAD_INPUT
    assert "already has clients" in capsys.readouterr().err
    assert Client.objects.count() == 3


@pytest.mark.django_db
def test_rejects_a_bad_number_of_days(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--days", "0"]) == cli.EXIT_BAD_INPUT
    assert not Client.objects.exists()


@pytest.mark.django_db
def test_clients_whose_plan_has_a_page_get_one_with_public_updates() -> None:
    from veilleur.incidents.models import IncidentUpdate
    from veilleur.statuspages.models import StatusPage

    summary, lines = demo()
    pages = StatusPage.objects.select_related("client__plan")
    assert sorted(page.client.plan.key for page in pages) == ["premium", "standard"]
    assert len(summary.status_pages) == 2
    assert all(any(address in line for line in lines) for address in summary.status_pages)
    for page in pages:
        assert page.components.count() == page.client.sites.count()
    updated = Incident.objects.filter(updates__isnull=False).distinct()
    assert updated.exists()
    assert all(incident.first_client_update_at is not None for incident in updated)
    assert IncidentUpdate.objects.filter(status="resolved").count() == updated.count()


@pytest.mark.django_db
def test_the_staff_home_labels_the_demo_s_clients(client: HttpClient) -> None:
    demo()
    Client.objects.create(
        agency=Agency.objects.get(), key="vrai", name="Vrai client", plan=Plan.objects.get(key="basic")
    )
    client.force_login(StaffUser.objects.get(role=StaffUser.Role.OWNER))
    labelled = '<span class="badge" title="Made up by the demo'
    overview = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert overview.count(labelled) == Site.objects.filter(client__demo=True).count()  # a row per site
    clients = client.get("/clients/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert clients.count(labelled) == 3
    assert "Vrai client" in overview and "Vrai client" in clients


@pytest.mark.django_db
def test_the_premium_client_has_the_last_quarter_s_review_published() -> None:
    from veilleur.reports.models import Report

    demo()
    [review] = Report.objects.filter(kind=Report.Kind.QUARTERLY)
    assert review.client.plan.quarterly_review and review.client.plan.key == "premium"
    assert review.period_start.isoformat() == "2026-07-01"  # Q3: the last quarter over on 27 November
    assert review.state == Report.State.PUBLISHED and bytes(review.pdf).startswith(b"%PDF")
    assert "Brouillon" not in review.html and "Draft" not in review.html
