"""Applying a file creates what it describes, with the values it gives and the documented defaults."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from decimal import Decimal

import pytest

from veilleur.accounts.models import Agency, BusinessCalendar
from veilleur.clients.models import Client, Contact, MaintenanceWindow, Site
from veilleur.monitoring.models import Monitor
from veilleur.plans.models import Plan

from .conftest import EXAMPLE, RunCli

pytestmark = pytest.mark.django_db


def test_the_example_creates_its_clients_sites_and_monitors(agency: Agency, run_cli: RunCli) -> None:
    result = run_cli("apply", EXAMPLE)

    assert result.status == 0, result.err
    assert "+ client boulangerie-martin" in result.out
    assert "+ monitor boulangerie-martin/www/home" in result.out
    assert "+ maintenance window maison-rousseau/hebdomadaire" in result.out
    assert Client.objects.filter(agency=agency).count() == 3
    plans = dict(Client.objects.filter(agency=agency).values_list("key", "plan__key"))
    assert plans == {
        "boulangerie-martin": "basic",
        "cabinet-durand": "standard",
        "maison-rousseau": "premium",
    }


def test_agency_and_calendar_take_the_file_values(agency: Agency, run_cli: RunCli) -> None:
    run_cli("apply", EXAMPLE)

    agency.refresh_from_db()
    assert (agency.name, agency.key, agency.language) == ("Atelier Lumière", "atelier", "fr")
    assert agency.base_url == "https://veilleur.atelier-lumiere.example"
    calendar = BusinessCalendar.objects.get(agency=agency)
    assert calendar.weekly_hours["mon"] == ["09:00-12:30", "14:00-18:00"]
    assert "sat" not in calendar.weekly_hours
    assert "2026-12-25" in calendar.holidays and "2027-03-29" in calendar.holidays
    assert calendar.holidays == sorted(calendar.holidays)


def test_plans_take_every_field(agency: Agency, run_cli: RunCli) -> None:
    run_cli("apply", EXAMPLE)

    premium = Plan.objects.get(agency=agency, key="premium")
    assert premium.name == "Performance"
    assert premium.check_interval_seconds == 30
    assert premium.uptime_target_percent == Decimal("99.9")
    assert premium.service_credits[1] == {"below_percent": 99.0, "credit_percent": 25}
    assert premium.response_calendar == "always"
    basic = Plan.objects.get(agency=agency, key="basic")
    assert (basic.email_alerts, basic.status_page, basic.uptime_target_percent) == (True, False, None)


def test_nested_objects_get_values_and_defaults(agency: Agency, run_cli: RunCli) -> None:
    run_cli("apply", EXAMPLE)

    client = Client.objects.get(agency=agency, key="maison-rousseau")
    assert (client.language, client.time_zone, client.primary_color) == ("en", "America/Montreal", "#831843")
    bakery = Client.objects.get(agency=agency, key="boulangerie-martin")
    assert (bakery.language, bakery.time_zone, bakery.primary_color) == ("fr", "Europe/Paris", "")
    contact = Contact.objects.get(client=bakery)
    assert contact.email == "claire.martin@boulangerie-martin.example"
    home = Monitor.objects.get(site__client=bakery, site__key="www", key="home")
    assert home.url == "https://www.boulangerie-martin.example/"  # the site's, when left out
    assert (home.method, home.expected_status, home.interval_seconds) == ("GET", "200-399", None)
    health = Monitor.objects.get(site__client=client, key="health")
    assert health.expected_status == "200,204"
    assert health.request_headers == {"Accept": "application/json"}


def test_maintenance_windows_keep_wall_time_rule_and_sites(agency: Agency, run_cli: RunCli) -> None:
    run_cli("apply", EXAMPLE)

    weekly = MaintenanceWindow.objects.get(client__key="maison-rousseau", key="hebdomadaire")
    assert (weekly.start_date, weekly.start_time) == (date(2026, 1, 6), time(22, 0))
    assert weekly.rrule == "FREQ=WEEKLY;BYDAY=TU"
    assert weekly.sites.count() == 0  # none listed: all the client's sites
    migration = MaintenanceWindow.objects.get(client__key="maison-rousseau", key="migration-serveur")
    assert sorted(migration.sites.values_list("key", flat=True)) == ["api", "boutique"]
    assert migration.rrule == ""
    assert migration.public_note.startswith("La boutique passe sur un serveur plus rapide")
    assert Site.objects.filter(client__key="cabinet-durand").count() == 2


def test_an_empty_install_gets_its_agency_from_the_file(db: None, run_cli: RunCli) -> None:
    result = run_cli("apply", EXAMPLE)

    assert result.status == 0, result.err
    assert list(Agency.objects.values_list("name", flat=True)) == ["Atelier Lumière"]


def test_agency_option_picks_one_of_several(make_agency: Callable[..., Agency], run_cli: RunCli) -> None:
    first, second = make_agency("first", "First"), make_agency("second", "Second")

    ambiguous = run_cli("apply", EXAMPLE)
    chosen = run_cli("apply", EXAMPLE, "--agency", "second")

    assert ambiguous.status == 2 and "--agency" in ambiguous.err
    assert chosen.status == 0, chosen.err
    assert not Client.objects.filter(agency=first).exists()
    assert Client.objects.filter(agency=second).count() == 3
