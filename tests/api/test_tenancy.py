"""One agency's token never reaches another agency's rows: 404 for each, absent from every list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.api.conftest import Api, World, build_world, issue_token
from veilleur.accounts.models import Agency

# (path, the world's attribute holding the row, a valid PATCH body)
OBJECTS: list[tuple[str, str, dict[str, Any]]] = [
    ("/plans", "plan", {}),
    ("/clients", "client", {"name": "Taken over"}),
    ("/sites", "site", {"name": "Taken over"}),
    ("/monitors", "monitor", {"paused": True}),
    ("/contacts", "contact", {"name": "Taken over"}),
    ("/maintenance-windows", "window", {"title": "Taken over"}),
    ("/maintenance-tasks", "task", {"description": "Taken over"}),
]
WRITABLE = [entry for entry in OBJECTS if entry[0] != "/plans"]


@pytest.fixture
def mine(world: World) -> World:
    return world


@pytest.fixture
def theirs(make_agency: Callable[..., Agency]) -> World:
    return build_world(make_agency("other", "Other agency"), prefix="rival")


def assert_not_found(response: Any) -> None:
    assert response.status_code == 404, response.content
    body = response.json()
    assert "There is no" in body["error"]
    assert "rival" not in response.content.decode()


@pytest.mark.parametrize(("path", "attribute", "patch"), OBJECTS)
def test_reading_another_agencys_row_is_a_404(
    api: Api, mine: World, theirs: World, path: str, attribute: str, patch: dict[str, Any]
) -> None:
    assert api.get(f"{path}/{getattr(mine, attribute).pk}").status_code == 200
    assert_not_found(api.get(f"{path}/{getattr(theirs, attribute).pk}"))


@pytest.mark.parametrize(("path", "attribute", "patch"), WRITABLE)
def test_changing_or_deleting_another_agencys_row_is_a_404(
    api: Api, mine: World, theirs: World, path: str, attribute: str, patch: dict[str, Any]
) -> None:
    row = getattr(theirs, attribute)
    assert_not_found(api.patch(f"{path}/{row.pk}", patch))
    assert_not_found(api.delete(f"{path}/{row.pk}"))
    row.refresh_from_db()
    assert "Taken over" not in str(row.__dict__)


@pytest.mark.parametrize("path", [entry[0] for entry in OBJECTS])
def test_lists_show_only_the_agencys_rows(api: Api, mine: World, theirs: World, path: str) -> None:
    response = api.get(path, {"limit": 200})
    assert response.status_code == 200
    attribute = next(entry[1] for entry in OBJECTS if entry[0] == path)
    ids = {row["id"] for row in response.json()["items"]}
    assert getattr(mine, attribute).pk in ids
    assert getattr(theirs, attribute).pk not in ids
    assert "rival" not in response.content.decode()


@pytest.mark.parametrize(
    ("path", "param", "attribute"),
    [
        ("/sites", "client_id", "client"),
        ("/monitors", "site_id", "site"),
        ("/monitors", "client_id", "client"),
        ("/contacts", "client_id", "client"),
        ("/maintenance-windows", "client_id", "client"),
        ("/maintenance-tasks", "client_id", "client"),
        ("/maintenance-tasks", "site_id", "site"),
    ],
)
def test_filtering_on_another_agencys_ids_finds_nothing(
    api: Api, mine: World, theirs: World, path: str, param: str, attribute: str
) -> None:
    response = api.get(path, {param: getattr(theirs, attribute).pk})
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


def reference_cases(mine: World, theirs: World) -> list[tuple[str, str, dict[str, Any]]]:
    """(path, field, body) creating or changing a row of mine that points at a row of theirs."""
    return [
        ("POST /clients", "plan_id", {"key": "x", "name": "X", "plan_id": theirs.plan.pk}),
        (
            "POST /sites",
            "client_id",
            {"client_id": theirs.client.pk, "key": "x", "name": "X", "url": "https://x.example"},
        ),
        ("POST /monitors", "site_id", {"site_id": theirs.site.pk, "key": "x"}),
        ("POST /contacts", "client_id", {"client_id": theirs.client.pk, "email": "x@x.example"}),
        (
            "POST /maintenance-windows",
            "client_id",
            {
                "client_id": theirs.client.pk,
                "key": "x",
                "title": "X",
                "start": "2026-01-01 10:00",
                "duration_minutes": 5,
            },
        ),
        (
            "POST /maintenance-windows",
            "site_ids",
            {
                "client_id": mine.client.pk,
                "key": "x",
                "title": "X",
                "start": "2026-01-01 10:00",
                "duration_minutes": 5,
                "site_ids": [theirs.site.pk],
            },
        ),
        (
            "POST /maintenance-tasks",
            "client_id",
            {"client_id": theirs.client.pk, "date": "2026-01-01", "category": "other", "description": "X"},
        ),
        (
            "POST /maintenance-tasks",
            "site_id",
            {
                "client_id": mine.client.pk,
                "site_id": theirs.site.pk,
                "date": "2026-01-01",
                "category": "other",
                "description": "X",
            },
        ),
        (f"PATCH /clients/{mine.client.pk}", "plan_id", {"plan_id": theirs.plan.pk}),
        (f"PATCH /sites/{mine.site.pk}", "client_id", {"client_id": theirs.client.pk}),
        (f"PATCH /monitors/{mine.monitor.pk}", "site_id", {"site_id": theirs.site.pk}),
        (f"PATCH /contacts/{mine.contact.pk}", "client_id", {"client_id": theirs.client.pk}),
        (f"PATCH /maintenance-windows/{mine.window.pk}", "client_id", {"client_id": theirs.client.pk}),
        (f"PATCH /maintenance-windows/{mine.window.pk}", "site_ids", {"site_ids": [theirs.site.pk]}),
        (f"PATCH /maintenance-tasks/{mine.task.pk}", "client_id", {"client_id": theirs.client.pk}),
        (f"PATCH /maintenance-tasks/{mine.task.pk}", "site_id", {"site_id": theirs.site.pk}),
    ]


def test_another_agencys_ids_cannot_be_referenced(api: Api, mine: World, theirs: World) -> None:
    for request, field, body in reference_cases(mine, theirs):
        method, path = request.split(" ")
        response = api.send(method, path, body)
        assert response.status_code == 422, (request, response.content)
        assert field in response.json()["fields"], (request, response.json())
        assert "There is no" in response.json()["error"] or "there is no" in response.json()["error"]


def test_the_other_agencys_token_sees_only_its_own_rows(mine: World, theirs: World) -> None:
    their_api = Api(issue_token(theirs.agency, "theirs"))
    clients = their_api.get("/clients").json()["items"]
    assert [client["id"] for client in clients] == [theirs.client.pk]
    assert their_api.get(f"/clients/{mine.client.pk}").status_code == 404


def test_another_agencys_site_uptime_is_a_404(api: Api, mine: World, theirs: World) -> None:
    assert api.get(f"/sites/{mine.site.pk}/uptime", {"month": "2026-10"}).status_code == 200
    assert_not_found(api.get(f"/sites/{theirs.site.pk}/uptime", {"month": "2026-10"}))
