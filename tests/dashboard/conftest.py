"""Two agencies with a client, a site, a monitor, a contact and a window each, and their staff."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time

import pytest
from django.test import Client as Browser

from veilleur.accounts.models import Agency, StaffUser
from veilleur.clients.models import Client, Contact, MaintenanceTask, MaintenanceWindow, Site
from veilleur.monitoring.models import Monitor
from veilleur.plans.models import Plan


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
