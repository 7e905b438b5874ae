"""Model rules: agency ownership derived from the parent, validation shared with every input path."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation

from veilleur.accounts.models import Agency, BusinessCalendar, StaffUser
from veilleur.clients.models import Client, Contact, MaintenanceTask, MaintenanceWindow, Site
from veilleur.monitoring.models import Monitor
from veilleur.plans.models import Plan


@pytest.fixture
def site(agency: Agency) -> Site:
    client = Client.objects.create(
        agency=agency,
        key="boulangerie",
        name="Boulangerie",
        plan=Plan.objects.get(agency=agency, key="basic"),
    )
    return Site.objects.create(
        client=client, key="www", name="Site vitrine", url="https://boulangerie.example/"
    )


def test_new_agency_gets_calendar_and_three_plans(agency: Agency) -> None:
    assert list(Plan.objects.filter(agency=agency).values_list("key", flat=True)) == [
        "premium",
        "standard",
        "basic",
    ]
    assert agency.calendar.weekly_hours["mon"] == ["09:00-18:00"]


def test_children_take_their_agency_from_the_client(site: Site) -> None:
    monitor = Monitor.objects.create(site=site, key="home", url=site.url, method="head")
    contact = Contact.objects.create(client=site.client, email=" Paul@Boulangerie.EXAMPLE ")
    task = MaintenanceTask.objects.create(
        client=site.client,
        site=site,
        date="2026-10-02",
        category="plugin",
        description="WooCommerce 9.3 → 9.4",
    )
    assert monitor.agency_id == contact.agency_id == task.agency_id == site.client.agency_id
    assert monitor.method == "HEAD"
    assert contact.email == "paul@boulangerie.example"


def test_monitor_interval_uses_plan_and_refuses_below_minimum(site: Site) -> None:
    monitor = Monitor(site=site, key="home", url=site.url)
    assert monitor.effective_interval_seconds() == 180
    monitor.interval_seconds = 5
    with pytest.raises(ValidationError) as refused:
        monitor.full_clean()
    assert "below the minimum of 10 s" in str(refused.value.message_dict["interval_seconds"])
    monitor.timeout_seconds = 3
    with override_settings(VEILLEUR_MIN_INTERVAL_SECONDS=2):
        monitor.full_clean()


def test_monitor_timeout_must_be_shorter_than_interval(site: Site) -> None:
    monitor = Monitor(site=site, key="home", url=site.url, interval_seconds=10, timeout_seconds=10)
    with translation.override("en"), pytest.raises(ValidationError, match="shorter than the interval"):
        monitor.full_clean()


def test_monitor_validation_names_the_field(site: Site) -> None:
    monitor = Monitor(site=site, key="Home", url="ftp://x", expected_status="2xx", method="FETCH")
    with pytest.raises(ValidationError) as refused:
        monitor.full_clean()
    assert set(refused.value.message_dict) >= {"key", "url", "expected_status", "method"}


def test_client_plan_must_be_the_agencys(agency: Agency, make_agency: Callable[..., Agency]) -> None:
    foreign = Plan.objects.get(agency=make_agency("other", "Other"), key="basic")
    client = Client(agency=agency, key="x", name="X", plan=foreign)
    with translation.override("en"), pytest.raises(ValidationError, match="another agency"):
        client.full_clean()


def test_key_is_unique_per_agency_in_validation(agency: Agency, make_agency: Callable[..., Agency]) -> None:
    plan = Plan.objects.get(agency=agency, key="basic")
    Client.objects.create(agency=agency, key="same", name="A", plan=plan)
    with pytest.raises(ValidationError):
        Client(agency=agency, key="same", name="B", plan=plan).full_clean()
    other = make_agency("other", "Other")
    Client(agency=other, key="same", name="B", plan=Plan.objects.get(agency=other, key="basic")).full_clean()


def test_maintenance_window_rrule_is_validated(site: Site) -> None:
    window = MaintenanceWindow(
        client=site.client,
        agency=site.client.agency,
        key="weekly",
        title="Mises à jour",
        start_date="2026-11-03",
        start_time="22:00",
        duration_minutes=60,
        rrule="FREQ=OFTEN",
    )
    with pytest.raises(ValidationError) as refused:
        window.full_clean()
    assert "rrule" in refused.value.message_dict


def test_calendar_version_rises_only_when_hours_or_holidays_change(agency: Agency) -> None:
    calendar = BusinessCalendar.objects.get(agency=agency)
    assert calendar.version == 1
    calendar.save()
    assert calendar.version == 1
    calendar.holidays = ["2026-12-25"]
    calendar.save()
    calendar.refresh_from_db()
    assert calendar.version == 2


def test_roles_decide_what_staff_may_change(agency: Agency) -> None:
    owner = StaffUser(agency=agency, email="o@x.example", role="owner")
    member = StaffUser(agency=agency, email="m@x.example", role="member")
    assert owner.has_perm("clients.change_client") and not owner.has_perm("accounts.delete_agency")
    assert member.has_perm("clients.view_client") and not member.has_perm("clients.change_client")
    assert member.has_perm("clients.add_maintenancetask")
    assert not owner.has_perm("auth.change_group")
