"""The admin shows each agency its own rows only, and enforces per-agency uniqueness in the form."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from veilleur.accounts.models import Agency, StaffUser
from veilleur.clients.models import Client, Site
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import Monitor
from veilleur.plans.models import Plan


def _client_with_site(agency: Agency, key: str) -> Client:
    plan = Plan.objects.get(agency=agency, key="standard")
    client = Client.objects.create(agency=agency, key=key, name=key.title(), plan=plan)
    site = Site.objects.create(client=client, key="www", name="Site", url=f"https://{key}.example/")
    monitor = Monitor.objects.create(site=site, key="home", url=f"https://{key}.example/")
    failed = timezone.now() - timedelta(minutes=10)
    Incident.objects.create(
        monitor=monitor, first_failed_at=failed, confirmed_at=failed, cause_error_class="timeout"
    )
    return client


@pytest.fixture
def signed_in(client: HttpClient, owner: StaffUser) -> HttpClient:
    client.force_login(owner)
    return client


def test_lists_show_only_own_agency(
    signed_in: HttpClient, owner: StaffUser, make_agency: Callable[..., Agency]
) -> None:
    _client_with_site(owner.agency, "mine")
    _client_with_site(make_agency("other", "Other agency"), "theirs")
    for url in (
        "/admin/clients/client/",
        "/admin/clients/site/",
        "/admin/monitoring/monitor/",
        "/admin/plans/plan/",
        "/admin/incidents/incident/",
    ):
        page = signed_in.get(url)
        assert page.status_code == 200, url
        assert b"theirs" not in page.content.lower(), url
    assert b"Mine" in signed_in.get("/admin/clients/client/").content


def test_other_agency_object_is_not_found(signed_in: HttpClient, make_agency: Callable[..., Agency]) -> None:
    theirs = _client_with_site(make_agency("other", "Other agency"), "theirs")
    response = signed_in.get(f"/admin/clients/client/{theirs.pk}/change/")
    assert (
        response.status_code == 302
    )  # Django's admin redirects a missing object to the index with a message
    assert signed_in.get(f"/admin/clients/client/{theirs.pk}/delete/").status_code == 302
    assert Client.objects.filter(pk=theirs.pk).exists()


def test_add_client_scopes_plan_choices_and_checks_key_uniqueness(
    signed_in: HttpClient, owner: StaffUser, make_agency: Callable[..., Agency]
) -> None:
    other = make_agency("other", "Other agency")
    foreign_plan = Plan.objects.get(agency=other, key="premium")
    form = {
        "key": "boulangerie",
        "name": "Boulangerie",
        "language": "fr",
        "time_zone": "Europe/Paris",
        "plan": str(foreign_plan.pk),
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
        "sites-TOTAL_FORMS": "0",
        "sites-INITIAL_FORMS": "0",
        "maintenance_windows-TOTAL_FORMS": "0",
        "maintenance_windows-INITIAL_FORMS": "0",
    }
    refused = signed_in.post("/admin/clients/client/add/", form)
    assert refused.status_code == 200 and "plan" in refused.context["adminform"].form.errors

    own_plan = Plan.objects.get(agency=owner.agency, key="premium")
    created = signed_in.post("/admin/clients/client/add/", {**form, "plan": str(own_plan.pk)})
    assert created.status_code == 302
    assert Client.objects.get(key="boulangerie").agency == owner.agency

    duplicate = signed_in.post("/admin/clients/client/add/", {**form, "plan": str(own_plan.pk)})
    assert duplicate.status_code == 200
    assert duplicate.context["adminform"].form.errors
    assert Client.objects.filter(key="boulangerie").count() == 1


def test_member_reads_but_cannot_change_clients(client: HttpClient, agency: Agency) -> None:
    member = StaffUser.objects.create_user(
        email="m@atelier.example", agency=agency, password="x" * 12, role="member"
    )
    client.force_login(member)
    _client_with_site(agency, "mine")
    assert client.get("/admin/clients/client/").status_code == 200
    assert client.get("/admin/clients/client/add/").status_code == 403
    assert client.get("/admin/clients/maintenancetask/add/").status_code == 200
