"""Cursor pagination: every row once, in id order, and clear errors for bad cursors or limits."""

from __future__ import annotations

import base64

import pytest

from tests.api.conftest import Api, World
from veilleur.clients.models import Contact, MaintenanceTask, Site
from veilleur.monitoring.models import Monitor


def walk(api: Api, path: str, limit: int, **filters: object) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    cursor: str | None = None
    while True:
        params: dict[str, object] = {"limit": limit, **filters}
        if cursor:
            params["cursor"] = cursor
        response = api.get(path, params)
        assert response.status_code == 200, response.content
        page = response.json()
        assert len(page["items"]) <= limit
        rows.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return rows


@pytest.fixture
def many_contacts(world: World) -> list[int]:
    Contact.objects.bulk_create(
        Contact(agency=world.agency, client=world.client, email=f"person{n}@acme.example") for n in range(119)
    )
    return list(Contact.objects.filter(agency=world.agency).order_by("id").values_list("id", flat=True))


@pytest.mark.parametrize("limit", [1, 7, 50, 120, 200])
def test_walking_all_pages_sees_every_row_once(api: Api, many_contacts: list[int], limit: int) -> None:
    seen = [row["id"] for row in walk(api, "/contacts", limit)]
    assert seen == many_contacts


def test_default_page_is_fifty_rows(api: Api, many_contacts: list[int]) -> None:
    page = api.get("/contacts").json()
    assert len(page["items"]) == 50
    assert page["next_cursor"]


def test_rows_added_while_walking_are_not_skipped(api: Api, many_contacts: list[int], world: World) -> None:
    first = api.get("/contacts", {"limit": 100}).json()
    added = Contact.objects.create(client=world.client, email="late@acme.example")
    rest = api.get("/contacts", {"limit": 100, "cursor": first["next_cursor"]}).json()
    ids = [row["id"] for row in first["items"] + rest["items"]]
    assert ids == [*many_contacts, added.pk]


def test_filters_and_pagination_combine(api: Api, world: World) -> None:
    sites = Site.objects.bulk_create(
        Site(agency=world.agency, client=world.client, key=f"s{n}", name=f"S{n}", url="https://s.example")
        for n in range(30)
    )
    Monitor.objects.bulk_create(
        Monitor(agency=world.agency, site=site, key="home", url="https://s.example") for site in sites
    )
    MaintenanceTask.objects.bulk_create(
        MaintenanceTask(
            agency=world.agency, client=world.client, date=world.task.date, category="other", description="x"
        )
        for _ in range(25)
    )
    assert len(walk(api, "/monitors", 7, client_id=world.client.pk)) == 31
    assert len(walk(api, "/sites", 4, client_id=world.client.pk)) == 31
    assert len(walk(api, "/maintenance-tasks", 10, client_id=world.client.pk)) == 26


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        "not base64 at all",
        base64.urlsafe_b64encode(b"abc").decode(),
        base64.urlsafe_b64encode(b"-5").decode(),
        base64.urlsafe_b64encode(b"0").decode(),
        base64.urlsafe_b64encode(str(10**30).encode()).decode(),
        base64.urlsafe_b64encode("١٢".encode()).decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        "MQ" * 100,
    ],
)
def test_malformed_cursor_is_a_400(api: Api, world: World, cursor: str) -> None:
    response = api.get("/clients", {"cursor": cursor})
    assert response.status_code == 400
    assert "cursor" in response.json()["error"]
    assert "cursor" in response.json()["fields"]


@pytest.mark.parametrize("limit", [0, -1, 201, 10**30, "ten"])
def test_limit_out_of_range_is_refused(api: Api, world: World, limit: object) -> None:
    response = api.get("/clients", {"limit": limit})
    assert response.status_code == 422
    assert "limit" in response.json()["fields"]
