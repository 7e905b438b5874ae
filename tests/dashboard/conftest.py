"""Agencies with clients, sites and monitors in a known state, for the overview and the queue;
two agencies with a client, a site, a monitor, a contact and a window each, and their staff."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from veilleur.accounts.models import Agency, StaffUser
from veilleur.clients.models import Client, Contact, MaintenanceTask, MaintenanceWindow, Site
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import CheckResult, Monitor, MonitorRuntime
from veilleur.plans.models import Plan

Browser = HttpClient

MakeSite = Callable[..., Monitor]


def add_site(
    agency: Agency,
    key: str,
    *,
    plan: str = "standard",
    client: Client | None = None,
    checked_ago: timedelta | None = timedelta(seconds=20),
    down_since: timedelta | None = None,
    paused: bool = False,
    now: datetime | None = None,
) -> Monitor:
    """A site with one monitor, checked ``checked_ago`` (None: never), down for ``down_since``."""
    now = now or timezone.now()
    if client is None:
        client = Client.objects.create(
            agency=agency, key=key, name=key.title(), plan=Plan.objects.get(agency=agency, key=plan)
        )
    site = Site.objects.create(client=client, key=key, name=f"Site {key}", url=f"https://{key}.example/")
    monitor = Monitor.objects.create(
        site=site, key="home", url=site.url, paused=paused, created_at=now - timedelta(days=40)
    )
    if checked_ago is not None:
        checked_at = now - checked_ago
        MonitorRuntime.objects.create(
            monitor=monitor,
            due_at=now,
            next_slot_at=now,
            last_checked_at=checked_at,
            last_ok=down_since is None,
        )
        CheckResult.objects.create(
            monitor=monitor, checked_at=checked_at, ok=down_since is None, total_ms=120, error_class=""
        )
    if down_since is not None:
        failed = now - down_since
        Incident.objects.create(
            monitor=monitor,
            first_failed_at=failed,
            confirmed_at=failed + timedelta(seconds=5),
            cause_error_class="http_status",
            cause_status_code=503,
            sla_due_at=failed + timedelta(hours=1),
        )
    return monitor


@pytest.fixture
def signed_in(client: HttpClient, owner: StaffUser) -> HttpClient:
    client.force_login(owner)
    return client


@dataclass
class World:
    agency: Agency
    client: Client
    site: Site
    monitor: Monitor
    contact: Contact
    window: MaintenanceWindow
    task: MaintenanceTask


def build_world(agency: Agency, *, plan_key: str = "standard", key: str = "boulangerie") -> World:
    plan = Plan.objects.get(agency=agency, key=plan_key)
    client = Client.objects.create(agency=agency, key=key, name=f"Client {key}", plan=plan)
    site = Site.objects.create(
        agency=agency, client=client, key="shop", name="Boutique", url="https://shop.example"
    )
    monitor = Monitor.objects.create(agency=agency, site=site, key="home", url=site.url)
    contact = Contact.objects.create(agency=agency, client=client, email=f"owner@{key}.example")
    window = MaintenanceWindow.objects.create(
        agency=agency,
        client=client,
        key="tuesday",
        title="Tuesday updates",
        start_date=date(2026, 1, 6),
        start_time=time(22, 0),
        duration_minutes=60,
        rrule="FREQ=WEEKLY;BYDAY=TU",
    )
    task = MaintenanceTask.objects.create(
        agency=agency,
        client=client,
        site=site,
        date=date(2026, 11, 3),
        category="plugin",
        description="12 plugins",
    )
    return World(agency, client, site, monitor, contact, window, task)


@pytest.fixture
def world(agency: Agency) -> World:
    return build_world(agency)


@pytest.fixture
def other_world(make_agency: Callable[..., Agency]) -> World:
    return build_world(make_agency(key="rivale", name="Agence Rivale"), key="concurrent")


@pytest.fixture
def owner_browser(owner: StaffUser) -> Browser:
    browser = Browser(headers={"Accept-Language": "en"})
    browser.force_login(owner)
    return browser


@pytest.fixture
def member(agency: Agency) -> StaffUser:
    return StaffUser.objects.create_user(
        email="member@atelier.example", agency=agency, password="correct horse battery", role="member"
    )


@pytest.fixture
def member_browser(member: StaffUser) -> Browser:
    browser = Browser(headers={"Accept-Language": "en"})
    browser.force_login(member)
    return browser
