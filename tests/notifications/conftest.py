"""A client with a site, its on-call address and contacts; outages driven through the recorder;
a real SMTP server on loopback; a clock the test moves."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tests.checker.conftest import Driver
from veilleur.accounts.models import Agency
from veilleur.checker.leases import ensure_runtimes
from veilleur.clients.models import Client, Contact, Site
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import Monitor, MonitorRuntime
from veilleur.notifications.delivery import Deliverer
from veilleur.notifications.models import OnCallAddress
from veilleur.notifications.smtp_url import parse_smtp_url
from veilleur.plans.models import Plan

from .mailsink import MailSink

T0 = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
FAIL = {
    "error_class": "http_status",
    "status_code": 503,
    "message": "HTTP 503 Service Unavailable",
}  # as the probe words it
ON_CALL = "astreinte@atelier.example"
CONTACT = "marie@boulangerie-martin.example"


@dataclass
class Shop:
    """The agency's client "Boulangerie Martin" (French) on the premium plan, with one site."""

    agency: Agency
    client: Client
    site: Site
    monitor: Monitor
    contact: Contact
    on_call: OnCallAddress


@pytest.fixture
def shop(agency: Agency) -> Shop:
    agency.language = "en"
    agency.base_url = "https://veilleur.atelier.example"
    agency.logo_url = "https://atelier.example/logo.png"
    agency.primary_color = "#123456"
    agency.save()
    client = Client.objects.create(
        agency=agency,
        key="boulangerie",
        name="Boulangerie Martin",
        language="fr",
        plan=Plan.objects.get(agency=agency, key="premium"),
    )
    site = Site.objects.create(client=client, key="www", name="Boutique en ligne", url="http://127.0.0.1:9/")
    monitor = Monitor.objects.create(site=site, key="home", url="http://127.0.0.1:9/", timeout_seconds=5)
    contact = Contact.objects.create(
        client=client, name="Marie", email=CONTACT, receives_incident_notices=True
    )
    Contact.objects.create(client=client, email="compta@boulangerie-martin.example")  # reports only
    on_call = OnCallAddress.objects.create(agency=agency, email=ON_CALL)
    return Shop(agency, client, site, monitor, contact, on_call)


class Outage:
    """Drives the checker's recording of one monitor: ok, then failures until an incident
    opens, then successes until it recovers (the premium plan confirms with 2 re-checks)."""

    def __init__(self, monitor: Monitor, start: datetime = T0) -> None:
        self.monitor = monitor
        self.driver = Driver()
        ensure_runtimes(start)  # the first slot, without leasing it yet
        self.check(ok=True)

    def check(self, ok: bool) -> None:
        due = MonitorRuntime.objects.get(pk=self.monitor.pk).due_at
        leased = self.driver.run_due(due, ok=ok, **({} if ok else FAIL))
        assert [item.monitor_id for item in leased] == [self.monitor.pk]

    def go_down(self) -> Incident:
        for _ in range(3):
            self.check(ok=False)
        return Incident.objects.get(monitor=self.monitor, resolved_at__isnull=True)

    def recover(self) -> Incident:
        for _ in range(3):
            self.check(ok=True)
        return Incident.objects.filter(monitor=self.monitor).latest("first_failed_at")


class FakeClock:
    """Reads the real time once, at its first reading (after the test's setup wrote its rows),
    then moves only when the test says so."""

    def __init__(self) -> None:
        self._now: datetime | None = None

    @property
    def now(self) -> datetime:
        if self._now is None:
            self._now = timezone.now()
        return self._now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self._now = self.now + timedelta(seconds=seconds)
        return self._now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sink() -> Iterator[MailSink]:
    server = MailSink().start()
    yield server
    server.stop()


def deliverer(port: int, clock: FakeClock, timeout: float = 5.0, **options: object) -> Deliverer:
    config = parse_smtp_url(f"smtp://127.0.0.1:{port}?timeout={timeout:g}")
    return Deliverer(config, clock=clock, **options)  # type: ignore[arg-type]
