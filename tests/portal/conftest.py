"""Two agencies, two clients each, one site, incident and report per client, and the people of
the isolation matrix: client users of two clients, a revoked user, a staff member."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.test import Client as Browser
from django.utils import timezone

from tests.notifications.mailsink import MailSink
from veilleur.accounts.models import Agency, StaffUser
from veilleur.clients.models import Client, Contact, Site
from veilleur.incidents.models import Incident, IncidentUpdate
from veilleur.monitoring.models import Monitor
from veilleur.plans.models import Plan
from veilleur.portal.access import SESSION_KEY
from veilleur.portal.models import ClientUser
from veilleur.reports.models import Report

PASSWORD = "a long portal password"


@dataclass
class ClientData:
    client: Client
    site: Site
    monitor: Monitor
    incident: Incident
    report: Report
    secret_words: list[str] = field(default_factory=list)  # shown to this client only


def make_client(agency: Agency, key: str, name: str, *, plan: str = "standard") -> ClientData:
    client = Client.objects.create(
        agency=agency, key=key, name=name, plan=Plan.objects.get(agency=agency, key=plan), language="en"
    )
    site = Site.objects.create(
        client=client, key="site", name=f"{name} web site", url=f"https://{key}.example"
    )
    monitor = Monitor.objects.create(site=site, key="home", url=f"https://{key}.example/")
    Monitor.objects.filter(pk=monitor.pk).update(created_at=timezone.now() - timedelta(days=120))
    monitor.refresh_from_db()
    started = timezone.now() - timedelta(days=3)
    incident = Incident.objects.create(
        monitor=monitor,
        kind=Incident.Kind.DOWN,
        first_failed_at=started,
        confirmed_at=started + timedelta(minutes=1),
        recovered_at=started + timedelta(minutes=20),
        resolved_at=started + timedelta(minutes=21),
    )
    IncidentUpdate.objects.create(
        incident=incident, status=IncidentUpdate.Status.RESOLVED, message=f"Fixed the {key} database"
    )
    Contact.objects.create(client=client, email=f"boss@{key}.example", name=f"Boss of {name}")
    report = Report.objects.create(
        agency=agency,
        client=client,
        period_start=date.today().replace(day=1),
        language="en",
        state=Report.State.PUBLISHED,
        published_at=timezone.now(),
        html=f"<!doctype html><title>Report</title><p>Report of {name}</p>",
        pdf=f"%PDF-1.4 report of {name}".encode(),
    )
    return ClientData(
        client, site, monitor, incident, report, [f"{name} web site", f"Fixed the {key} database"]
    )


@dataclass
class World:
    agencies: list[Agency]
    clients: list[ClientData]  # agency 0: clients 0, 1; agency 1: clients 2, 3
    user_a: ClientUser  # of clients[0]
    user_b: ClientUser  # of clients[1]
    revoked: ClientUser  # of clients[0]
    staff: StaffUser  # owner of agency 0


@functools.cache
def password_hash() -> str:
    # Argon2 is slow by design: hashed once for every user of every test.
    return make_password(PASSWORD)


def make_user(client: Client, email: str, *, revoked: bool = False) -> ClientUser:
    user = ClientUser(client=client, email=email, activated_at=timezone.now(), password=password_hash())
    if revoked:
        user.revoked_at = user.activated_at  # never able to sign in
    user.save()
    return user


@pytest.fixture
def world(agency: Agency, make_agency: Callable[..., Agency]) -> World:
    other = make_agency("studio", "Studio Nord")
    clients = [
        make_client(agency, "bakery", "Bakery"),
        make_client(agency, "florist", "Florist"),
        make_client(other, "garage", "Garage"),
        make_client(other, "hotel", "Hotel"),
    ]
    staff = StaffUser.objects.create_user(email="owner@atelier.example", agency=agency, role="owner")
    StaffUser.objects.filter(pk=staff.pk).update(password=password_hash())
    staff.refresh_from_db()
    return World(
        agencies=[agency, other],
        clients=clients,
        user_a=make_user(clients[0].client, "anna@bakery.example"),
        user_b=make_user(clients[1].client, "bruno@florist.example"),
        revoked=make_user(clients[0].client, "rita@bakery.example", revoked=True),
        staff=staff,
    )


def signed_in(user: ClientUser) -> Browser:
    """A browser holding the portal sign-in of ``user`` (as the sign-in page stores it)."""
    browser = Browser()
    session = browser.session
    session[SESSION_KEY] = {"id": user.pk, "hash": user.get_session_auth_hash()}
    session.save()
    return browser


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    cache.clear()


@pytest.fixture
def sink(settings: object) -> Iterator[MailSink]:
    server = MailSink().start()
    settings.VEILLEUR_SMTP_URL = server.url  # type: ignore[attr-defined]
    yield server
    server.stop()
