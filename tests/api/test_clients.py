"""Clients and plans through the API."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api, World
from veilleur.accounts.models import Agency
from veilleur.clients.models import Client, Contact, MaintenanceTask, MaintenanceWindow, Site
from veilleur.monitoring.models import Monitor
from veilleur.plans.models import Plan


def test_plans_are_listed_and_read(api: Api, agency: Agency) -> None:
    listed = api.get("/plans").json()
    assert [plan["key"] for plan in listed["items"]] == ["basic", "standard", "premium"]
    premium = next(plan for plan in listed["items"] if plan["key"] == "premium")
    read = api.get(f"/plans/{premium['id']}").json()
    assert read == premium
    assert read["check_interval_seconds"] == 30
    assert read["uptime_target_percent"] == 99.9
    assert read["service_credits"]


def test_plans_are_changed_not_deleted(api: Api, agency: Agency) -> None:
    """Clients hang on their plan: it is changed (the dashboard's plans editor checks it the same
    way), never deleted through the API."""
    plan = Plan.objects.filter(agency=agency).first()
    assert plan is not None
    assert api.post("/plans", {"key": "x"}).status_code == 422  # name, interval, response target missing
    changed = api.patch(f"/plans/{plan.pk}", {"name": "Essentiel", "uptime_target_percent": None})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["name"], changed.json()["uptime_target_percent"]) == ("Essentiel", None)
    assert api.delete(f"/plans/{plan.pk}").status_code == 405


def test_client_lifecycle(api: Api, agency: Agency) -> None:
    created = api.post("/clients", {"key": "acme", "name": "Acme", "plan_key": "premium"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["plan_key"] == "premium"
    # Language and zone default to the agency's.
    assert (body["language"], body["time_zone"]) == (agency.language, agency.time_zone)

    client_id = body["id"]
    assert api.get(f"/clients/{client_id}").json() == body

    basic = Plan.objects.get(agency=agency, key="basic")
    changed = api.patch(
        f"/clients/{client_id}", {"name": "Acme SA", "plan_id": basic.pk, "primary_color": "#AABBCC"}
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["name"] == "Acme SA"
    assert changed.json()["plan_key"] == "basic"
    assert changed.json()["primary_color"] == "#aabbcc"
    assert changed.json()["key"] == "acme"

    assert api.delete(f"/clients/{client_id}").status_code == 204
    assert api.get(f"/clients/{client_id}").status_code == 404
    assert not Client.objects.filter(pk=client_id).exists()


def test_client_needs_a_plan(api: Api) -> None:
    response = api.post("/clients", {"key": "acme", "name": "Acme"})
    assert response.status_code == 422
    assert "plan_id" in response.json()["fields"]


def test_plan_by_id_and_by_key_at_once_is_refused(api: Api, agency: Agency) -> None:
    plan = Plan.objects.get(agency=agency, key="basic")
    response = api.post("/clients", {"key": "a", "name": "A", "plan_id": plan.pk, "plan_key": "basic"})
    assert response.status_code == 422
    assert "plan_key" in response.json()["fields"]


def test_unknown_plan_key_is_a_field_error(api: Api) -> None:
    response = api.post("/clients", {"key": "a", "name": "A", "plan_key": "gold"})
    assert response.status_code == 422
    assert "gold" in response.json()["fields"]["plan_key"]


def test_duplicate_client_key_is_a_conflict(api: Api, world: World) -> None:
    response = api.post("/clients", {"key": world.client.key, "name": "Again", "plan_key": "basic"})
    assert response.status_code == 409
    assert response.json()["fields"] == {"key": "another client already uses this key"}
    other = api.post("/clients", {"key": "other", "name": "Other", "plan_key": "basic"}).json()
    renamed = api.patch(f"/clients/{other['id']}", {"key": world.client.key})
    assert renamed.status_code == 409
    assert "key" in renamed.json()["fields"]


def test_deleting_a_client_deletes_everything_under_it(api: Api, world: World) -> None:
    assert api.delete(f"/clients/{world.client.pk}").status_code == 204
    for model in (Site, Monitor, Contact, MaintenanceWindow, MaintenanceTask):
        assert not model.objects.filter(agency=world.agency).exists(), model


def test_duplicate_that_slips_past_validation_is_still_a_conflict(
    api: Api, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As when a concurrent request inserts the same key between the check and the save.
    monkeypatch.setattr(Client, "validate_constraints", lambda self, exclude=None: None)
    response = api.post("/clients", {"key": world.client.key, "name": "Twin", "plan_key": "basic"})
    assert response.status_code == 409
    assert response.json()["error"].startswith("Conflict")
    assert Client.objects.filter(agency=world.agency).count() == 1
