"""Contacts, maintenance windows and maintenance tasks."""

from __future__ import annotations

from datetime import date, time

from tests.api.conftest import Api, World
from veilleur.clients.models import Client, Contact, MaintenanceTask, MaintenanceWindow, Site


def test_contact_lifecycle(api: Api, world: World) -> None:
    created = api.post("/contacts", {"client_id": world.client.pk, "email": " Ops@Acme.Example "})
    assert created.status_code == 201, created.content
    contact = created.json()
    assert contact["email"] == "ops@acme.example"
    assert (contact["receives_reports"], contact["receives_incident_notices"]) == (True, False)
    assert api.get(f"/contacts/{contact['id']}").json() == contact

    changed = api.patch(f"/contacts/{contact['id']}", {"receives_incident_notices": True, "name": "Ops"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["receives_incident_notices"] is True

    assert api.delete(f"/contacts/{contact['id']}").status_code == 204
    assert not Contact.objects.filter(pk=contact["id"]).exists()


def test_contact_email_is_unique_per_client_whatever_its_case(api: Api, world: World) -> None:
    response = api.post("/contacts", {"client_id": world.client.pk, "email": world.contact.email.upper()})
    assert response.status_code == 409
    assert "email" in response.json()["fields"]


def test_invalid_contact_email_is_refused(api: Api, world: World) -> None:
    response = api.post("/contacts", {"client_id": world.client.pk, "email": "not an address"})
    assert response.status_code == 422
    assert "email" in response.json()["fields"]


def test_window_lifecycle(api: Api, world: World) -> None:
    created = api.post(
        "/maintenance-windows",
        {
            "client_id": world.client.pk,
            "key": "monthly",
            "title": "Monthly backup check",
            "start": "2026-04-01T03:30",
            "duration_minutes": 90,
            "rrule": "RRULE:FREQ=MONTHLY;BYMONTHDAY=1",
            "site_ids": [world.site.pk],
            "public_note": "Restoring last night's backup on a spare server to prove it works.",
        },
    )
    assert created.status_code == 201, created.content
    window = created.json()
    assert window["public_note"].startswith("Restoring last night's backup")
    assert window["start"] == "2026-04-01 03:30"
    assert window["rrule"] == "FREQ=MONTHLY;BYMONTHDAY=1"
    assert window["site_ids"] == [world.site.pk]
    stored = MaintenanceWindow.objects.get(pk=window["id"])
    assert (stored.start_date, stored.start_time) == (date(2026, 4, 1), time(3, 30))
    assert api.get(f"/maintenance-windows/{window['id']}").json() == window

    changed = api.patch(
        f"/maintenance-windows/{window['id']}", {"site_ids": [], "rrule": "", "start": "2026-04-02 04:00"}
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["site_ids"], changed.json()["rrule"]) == ([], "")
    assert changed.json()["start"] == "2026-04-02 04:00"

    assert api.delete(f"/maintenance-windows/{window['id']}").status_code == 204
    assert not MaintenanceWindow.objects.filter(pk=window["id"]).exists()


def test_window_sites_must_belong_to_its_client(api: Api, world: World) -> None:
    other = Client.objects.create(agency=world.agency, key="beta", name="Beta", plan=world.plan)
    other_site = Site.objects.create(client=other, key="www", name="Beta", url="https://beta.example")
    response = api.patch(f"/maintenance-windows/{world.window.pk}", {"site_ids": [other_site.pk]})
    assert response.status_code == 422
    assert "another client" in response.json()["fields"]["site_ids"]
    # Moving the window to the other client without new sites would leave it on foreign sites.
    moved = api.patch(f"/maintenance-windows/{world.window.pk}", {"client_id": other.pk})
    assert moved.status_code == 422
    assert "site_ids" in moved.json()["fields"]
    moved = api.patch(
        f"/maintenance-windows/{world.window.pk}", {"client_id": other.pk, "site_ids": [other_site.pk]}
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["site_ids"] == [other_site.pk]


def test_window_with_a_bad_start_or_rule_is_refused(api: Api, world: World) -> None:
    for field, value in (("start", "10/03/2026 22h"), ("rrule", "FREQ=SOMETIMES"), ("duration_minutes", 0)):
        response = api.patch(f"/maintenance-windows/{world.window.pk}", {field: value})
        assert response.status_code == 422, (field, response.content)
        assert field in response.json()["fields"]


def test_task_lifecycle(api: Api, world: World) -> None:
    created = api.post(
        "/maintenance-tasks",
        {
            "client_id": world.client.pk,
            "site_id": world.site.pk,
            "date": "2026-05-02",
            "category": "plugin",
            "description": "WooCommerce 9.8 → 9.9",
        },
    )
    assert created.status_code == 201, created.content
    task = created.json()
    assert (task["site_id"], task["date"], task["visible_to_client"]) == (world.site.pk, "2026-05-02", True)
    assert api.get(f"/maintenance-tasks/{task['id']}").json() == task

    changed = api.patch(f"/maintenance-tasks/{task['id']}", {"site_id": None, "visible_to_client": False})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["site_id"], changed.json()["visible_to_client"]) == (None, False)

    assert api.delete(f"/maintenance-tasks/{task['id']}").status_code == 204
    assert not MaintenanceTask.objects.filter(pk=task["id"]).exists()


def test_task_site_must_belong_to_its_client(api: Api, world: World) -> None:
    other = Client.objects.create(agency=world.agency, key="beta", name="Beta", plan=world.plan)
    response = api.post(
        "/maintenance-tasks",
        {
            "client_id": other.pk,
            "site_id": world.site.pk,
            "date": "2026-05-02",
            "category": "backup",
            "description": "Backup restored",
        },
    )
    assert response.status_code == 422
    assert "another client" in response.json()["fields"]["site_id"]


def test_tasks_are_filtered_by_client_site_and_dates(api: Api, world: World) -> None:
    for day in (1, 10, 20):
        MaintenanceTask.objects.create(
            client=world.client, date=date(2026, 6, day), category="backup", description=f"Backup {day}"
        )

    def dates(params: dict[str, object]) -> list[str]:
        return sorted(task["date"] for task in api.get("/maintenance-tasks", params).json()["items"])

    assert dates({"date_from": "2026-06-05", "date_to": "2026-06-20"}) == ["2026-06-10", "2026-06-20"]
    assert dates({"site_id": world.site.pk}) == [world.task.date.isoformat()]
    assert len(dates({"client_id": world.client.pk})) == 4
    assert api.get("/maintenance-tasks", {"date_from": "June"}).status_code == 422
