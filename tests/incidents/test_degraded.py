"""A site that slows down then recovers, end to end: the real checker probes a loopback site that
starts to sleep, the worker's job opens a degraded-performance incident and closes it, the
on-call address gets each notice once through a real SMTP server, the status page says
"degraded performance" then "operational", and the uptime of the period does not move."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.test import Client as HttpClient
from django.utils import timezone

from tests.checker.test_runner import run_checker_until
from tests.notifications.mailsink import MailSink
from tests.targets import Target
from veilleur.accounts.models import Agency
from veilleur.clients.models import Client, Site
from veilleur.domain.accounting import Period
from veilleur.history.accounting import site_account
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import CheckResult, Monitor
from veilleur.notifications.models import OnCallAddress, OutboxMessage
from veilleur.plans.models import Plan
from veilleur.statuspages.models import StatusComponent, StatusPage
from veilleur.worker.command import jobs
from veilleur.worker.loop import Worker

pytestmark = pytest.mark.django_db(transaction=True)

ON_CALL = "astreinte@atelier.example"
THRESHOLD_MS = 250
SLOW_SECONDS = 0.45  # well above the threshold, well under the monitor's timeout


@pytest.fixture
def sink(settings: pytest.FixtureRequest) -> Iterator[MailSink]:
    server = MailSink().start()
    settings.VEILLEUR_SMTP_URL = server.url  # type: ignore[attr-defined]
    yield server
    server.stop()


@pytest.fixture
def shop(agency: Agency, target: Target) -> Monitor:
    agency.language = "en"
    agency.save()
    client = Client.objects.create(
        agency=agency,
        key="bakery",
        name="Bakery",
        language="en",
        plan=Plan.objects.get(agency=agency, key="premium"),
    )
    url = f"http://127.0.0.1:{target.port}/"
    site = Site.objects.create(
        client=client, key="shop", name="Web shop", url=url, degraded_above_ms=THRESHOLD_MS
    )
    page = StatusPage.objects.create(client=client, slug="bakery", title="Bakery status", language="en")
    StatusComponent.objects.create(page=page, site=site, public_name="Web shop")
    OnCallAddress.objects.create(agency=agency, email=ON_CALL)
    return Monitor.objects.create(site=site, key="home", url=url, interval_seconds=1, timeout_seconds=5)


def run_worker_jobs(*names: str) -> None:
    """The worker's own jobs, by name, once each in the order given."""
    by_name = {job.name: job for job in jobs()}
    Worker([by_name[name] for name in names]).run_due(time.monotonic())


def count_since(monitor: Monitor, since: object, *, slow: bool) -> int:
    rows = CheckResult.objects.filter(monitor=monitor, confirmation=False, ok=True, checked_at__gt=since)
    rows = rows.filter(total_ms__gt=THRESHOLD_MS) if slow else rows.filter(total_ms__lte=THRESHOLD_MS)
    return rows.count()


def ms(at: datetime) -> datetime:
    """History is read at millisecond precision (raw rows and compacted blocks alike)."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def page_status() -> str:
    cache.clear()
    response = HttpClient().get("/s/bakery/api/status.json", HTTP_HOST="127.0.0.1")
    assert response.status_code == 200
    return str(json.loads(response.content)["components"][0]["status"])


def page_text() -> str:
    cache.clear()
    response = HttpClient().get("/s/bakery/", HTTP_HOST="127.0.0.1")
    assert response.status_code == 200
    return response.content.decode()


def test_a_site_that_slows_down_then_recovers(shop: Monitor, target: Target, sink: MailSink) -> None:
    start = timezone.now()
    run_checker_until(lambda: count_since(shop, start, slow=False) >= 3)
    run_worker_jobs("degraded performance")
    assert not Incident.objects.filter(monitor=shop).exists()

    target.hang_seconds = SLOW_SECONDS
    slow_from = timezone.now()
    run_checker_until(lambda: count_since(shop, slow_from, slow=True) >= 4)
    run_worker_jobs("degraded performance", "deliver the outbox")
    incident = Incident.objects.get(monitor=shop)
    assert incident.kind == Incident.Kind.DEGRADED and incident.resolved_at is None
    assert incident.sla_due_at is None  # slow is not down: no response clock
    slow_checks = CheckResult.objects.filter(monitor=shop, total_ms__gt=THRESHOLD_MS).order_by("checked_at")
    assert incident.first_failed_at == ms(slow_checks[0].checked_at)  # the first slow check of the streak
    assert incident.confirmed_at == ms(slow_checks[2].checked_at)  # the third in a row (the plan's default)
    assert len(incident.proof) >= 3 and all(entry["total_ms"] > THRESHOLD_MS for entry in incident.proof)
    assert page_status() == "degraded_performance"
    assert "Degraded performance" in page_text()
    [alert] = sink.wait_for(1)
    assert alert.recipients == [ON_CALL] and alert.subject.startswith("[")
    assert "Slow, not down: Web shop (Bakery)" in alert.subject
    assert "not downtime" in alert.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    target.hang_seconds = 0
    fast_from = timezone.now()
    run_checker_until(lambda: count_since(shop, fast_from, slow=False) >= 4)
    run_worker_jobs("degraded performance", "deliver the outbox")
    incident.refresh_from_db()
    assert incident.resolved_at is not None and incident.recovered_at is not None
    first_fast = (
        CheckResult.objects.filter(
            monitor=shop, confirmation=False, checked_at__gt=incident.confirmed_at, total_ms__lte=THRESHOLD_MS
        )
        .order_by("checked_at")
        .first()
    )
    assert first_fast is not None and incident.recovered_at == ms(first_fast.checked_at)
    assert page_status() == "operational"
    messages = sink.wait_for(2)
    assert "Speed back to normal: Web shop (Bakery)" in messages[1].subject

    # Run again, as a second worker would: nothing new opens, nothing is sent twice.
    run_worker_jobs("degraded performance", "deliver the outbox")
    assert Incident.objects.filter(monitor=shop).count() == 1
    assert OutboxMessage.objects.filter(incident=incident).count() == 2
    assert len(sink.messages()) == 2

    # Slow is never downtime: the period's uptime is whole, the slowdown listed but not counted.
    account = site_account(shop.site, Period(start - timedelta(minutes=1), timezone.now()), timezone.now())
    assert account.downtime == timedelta(0) and account.uptime == 1
    assert account.incident_count == 1 and account.incident_downtime == ()


def test_a_slow_site_can_then_go_down(shop: Monitor) -> None:
    """One open incident per monitor and kind: a slowdown and an outage may be open together, two
    slowdowns may not."""
    now = timezone.now()
    fields = {"monitor": shop, "first_failed_at": now, "confirmed_at": now, "cause_error_class": "slow"}
    Incident.objects.create(kind=Incident.Kind.DEGRADED, **fields)
    Incident.objects.create(kind=Incident.Kind.DOWN, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.create(kind=Incident.Kind.DEGRADED, **fields)
