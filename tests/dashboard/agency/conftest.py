"""Two agencies, each with staff in every role, a client whose report contact reads the mail, and
an archived report of last month; a real SMTP server on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache, cached_property

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client as Browser
from django.utils import timezone

from tests.notifications.mailsink import MailSink
from veilleur.accounts.models import Agency, StaffUser
from veilleur.clients.models import Client, Contact, Site
from veilleur.monitoring.models import Monitor
from veilleur.notifications.delivery import Deliverer
from veilleur.notifications.smtp_url import parse_smtp_url
from veilleur.plans.models import Plan
from veilleur.reports.models import Report
from veilleur.reports.sending import generate_report

PASSWORD = "correct horse battery"
READER = "marie@boulangerie-martin.example"


@dataclass
class World:
    agency: Agency
    owner: StaffUser
    admin: StaffUser
    member: StaffUser
    client: Client

    @cached_property
    def report(self) -> Report:
        """Last month's report of the client, a draft as the worker generates it for review."""
        return generate_report(
            self.client, Report.Kind.MONTHLY, previous_month(timezone.now()), timezone.now()
        )

    def browser(self, person: StaffUser) -> Browser:
        browser = Browser()
        browser.force_login(person)
        return browser


def previous_month(now: datetime) -> date:
    return date(now.year - 1, 12, 1) if now.month == 1 else date(now.year, now.month - 1, 1)


def make_world(make_agency: Callable[..., Agency], key: str, name: str) -> World:
    agency = make_agency(key=key, name=name)
    people = {
        role: StaffUser.objects.create(
            email=f"{role}@{key}.example",
            agency=agency,
            password=password_hash(),
            role=role,
            name=role.title(),
        )
        for role in ("owner", "admin", "member")
    }
    client = Client.objects.create(
        agency=agency,
        key="boulangerie",
        name=f"Boulangerie of {name}",
        plan=Plan.objects.get(agency=agency, key="standard"),
    )
    Client.objects.filter(pk=client.pk).update(created_at=datetime(2025, 1, 1, tzinfo=UTC))
    client.refresh_from_db()
    site = Site.objects.create(client=client, key="www", name="Boutique", url="https://boulangerie.example")
    Monitor.objects.create(site=site, key="home", url="https://boulangerie.example/")
    Contact.objects.create(client=client, name="Marie", email=READER.replace("boulangerie", key))
    return World(agency, people["owner"], people["admin"], people["member"], client)


@cache
def password_hash() -> str:
    # Hashed once: the hasher is slow on purpose, and every test signs people in.
    return make_password(PASSWORD)


@pytest.fixture
def world(make_agency: Callable[..., Agency]) -> World:
    return make_world(make_agency, "atelier", "Atelier Lumière")


@pytest.fixture
def rival(make_agency: Callable[..., Agency]) -> World:
    return make_world(make_agency, "rival", "Rival Studio")


@pytest.fixture
def sink() -> Iterator[MailSink]:
    server = MailSink().start()
    yield server
    server.stop()


def deliver(sink: MailSink) -> None:
    """What the worker does: deliver every queued mail to the loopback SMTP server."""
    Deliverer(parse_smtp_url(sink.url), clock=timezone.now).run()
