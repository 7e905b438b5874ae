"""Bad input gets a 4xx naming the field, with the same rules as the models, and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, World
from veilleur.clients.models import Client, Contact, MaintenanceTask, MaintenanceWindow, Site
from veilleur.monitoring.models import Monitor

HUGE = 10**30
CREATE_PATHS = ["/clients", "/sites", "/monitors", "/contacts", "/maintenance-windows", "/maintenance-tasks"]


def valid_bodies(world: World) -> dict[str, dict[str, Any]]:
    return {
        "/clients": {"key": "new", "name": "New", "plan_id": world.plan.pk},
        "/sites": {"client_id": world.client.pk, "key": "new", "name": "New", "url": "https://new.example"},
        "/monitors": {"site_id": world.site.pk, "key": "new"},
        "/contacts": {"client_id": world.client.pk, "email": "new@acme.example"},
        "/maintenance-windows": {
            "client_id": world.client.pk,
            "key": "new",
            "title": "New",
            "start": "2026-01-01 10:00",
            "duration_minutes": 30,
        },
        "/maintenance-tasks": {
            "client_id": world.client.pk,
            "date": "2026-01-01",
            "category": "other",
            "description": "New",
        },
    }


# (path, field, bad value): each is sent in an otherwise valid create body.
BAD_VALUES: list[tuple[str, str, Any]] = [
    ("/clients", "time_zone", "Mars/Olympus_Mons"),
    ("/clients", "time_zone", 42),
    ("/clients", "language", "de"),
    ("/clients", "key", "Not A Key"),
    ("/clients", "key", "-dash"),
    ("/clients", "name", ""),
    ("/clients", "name", "x" * 201),
    ("/clients", "name", 5),
    ("/clients", "logo_url", "javascript:alert(1)"),
    ("/clients", "primary_color", "blue"),
    ("/clients", "accent_color", "#12345"),
    ("/clients", "plan_id", "1"),
    ("/clients", "plan_id", True),
    ("/clients", "plan_id", 0),
    ("/clients", "plan_id", HUGE),
    ("/clients", "plan_id", 987654),
    ("/clients", "unknown", "x"),
    ("/sites", "url", "ftp://files.example"),
    ("/sites", "url", "not a url"),
    ("/sites", "url", "https://"),
    ("/sites", "degraded_above_ms", 99),
    ("/sites", "degraded_above_ms", 120_001),
    ("/sites", "degraded_above_ms", "3000 ms"),
    ("/sites", "url", "http://example.com:99999/"),
    ("/sites", "apdex_threshold_ms", -1),
    ("/sites", "apdex_threshold_ms", 2**31),
    ("/sites", "apdex_threshold_ms", 1.5),
    ("/sites", "client_id", None),
    ("/sites", "client_id", [1]),
    ("/sites", "name", "nul\x00byte"),
    ("/sites", "name", "lone \ud800 surrogate"),
    ("/sites", "name", "Shop\r\nBcc: everyone@example.com"),
    ("/sites", "name", "Shop\n"),
    ("/clients", "name", "Bell\x07"),
    ("/clients", "name", "Next\x85line"),
    ("/clients", "key", "shop\n"),
    ("/clients", "primary_color", "#123456\n"),
    ("/contacts", "name", "Marie\tCurie"),
    ("/maintenance-windows", "title", "Nightly\u2028backup"),
    ("/maintenance-windows", "public_note", "Bell\x07"),
    ("/maintenance-tasks", "description", "Colours \x1b[31mred"),
    ("/monitors", "expected_status", "200-abc"),
    ("/monitors", "expected_status", "600"),
    ("/monitors", "expected_status", "399-200"),
    ("/monitors", "method", "FETCH"),
    ("/monitors", "timeout_seconds", 0),
    ("/monitors", "timeout_seconds", 61),
    ("/monitors", "interval_seconds", 5),
    ("/monitors", "interval_seconds", HUGE),
    ("/monitors", "interval_seconds", -HUGE),
    ("/monitors", "request_headers", {"X-A": 1}),
    ("/monitors", "request_headers", {"X-A": "a\r\nInjected: yes"}),
    ("/monitors", "request_headers", ["X-A"]),
    ("/monitors", "follow_redirects", "yes"),
    ("/monitors", "paused", 1),
    ("/monitors", "keyword", "k" * 501),
    ("/monitors", "site_id", 987654),
    ("/contacts", "email", "nobody"),
    ("/contacts", "email", "a@b@c"),
    ("/contacts", "receives_reports", "true"),
    ("/maintenance-windows", "rrule", "FREQ=SOMETIMES"),
    ("/maintenance-windows", "rrule", "DTSTART:20260101T000000\nRRULE:FREQ=DAILY"),
    ("/maintenance-windows", "rrule", "BYDAY=TU"),
    ("/maintenance-windows", "start", "tomorrow"),
    ("/maintenance-windows", "start", "2026-02-30 10:00"),
    ("/maintenance-windows", "start", 20260101),
    ("/maintenance-windows", "duration_minutes", 0),
    ("/maintenance-windows", "duration_minutes", HUGE),
    ("/maintenance-windows", "site_ids", ["a"]),
    ("/maintenance-windows", "site_ids", [HUGE]),
    ("/maintenance-windows", "site_ids", [987654]),
    ("/maintenance-windows", "site_ids", 5),
    ("/maintenance-tasks", "category", "gardening"),
    ("/maintenance-tasks", "date", "2026-13-01"),
    ("/maintenance-tasks", "date", "yesterday"),
    ("/maintenance-tasks", "description", ""),
    ("/maintenance-tasks", "visible_to_client", "no"),
]


@pytest.mark.parametrize(("path", "field", "value"), BAD_VALUES)
def test_bad_field_value_is_refused_by_name(
    api: Api, world: World, path: str, field: str, value: Any
) -> None:
    body = {**valid_bodies(world)[path], field: value}
    before = counts()
    response = api.post(path, body)
    assert response.status_code == 422, response.content
    answer = response.json()
    assert field in answer["fields"], answer
    assert answer["error"].endswith(".")
    assert field in answer["error"]
    assert counts() == before


def counts() -> tuple[int, ...]:
    models = (Client, Site, Monitor, Contact, MaintenanceWindow, MaintenanceTask)
    return tuple(model.objects.count() for model in models)


@pytest.mark.parametrize("path", CREATE_PATHS)
def test_valid_bodies_are_accepted(api: Api, world: World, path: str) -> None:
    response = api.post(path, valid_bodies(world)[path])
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("path", CREATE_PATHS)
@pytest.mark.parametrize(
    "raw", ['{"key": ', "{'key': 'x'}", "not json", "\xff\xfe", "[" * 100_000 + "]" * 100_000]
)
def test_malformed_json_is_a_400(api: Api, world: World, path: str, raw: str) -> None:
    response = api.post(path, raw=raw.encode("latin-1") if raw == "\xff\xfe" else raw)
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]
    assert response.json()["fields"] == {}


@pytest.mark.parametrize("path", CREATE_PATHS)
@pytest.mark.parametrize("raw", ["", "null", "[]", "42", '"text"', "true"])
def test_body_that_is_not_an_object_is_a_422(api: Api, world: World, path: str, raw: str) -> None:
    response = api.post(path, raw=raw)
    assert response.status_code == 422
    assert "JSON object" in response.json()["error"]


def test_missing_required_fields_are_all_named(api: Api, world: World) -> None:
    response = api.post("/sites", {})
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"client_id", "key", "name", "url"}


def test_patch_refuses_null_for_a_required_field(api: Api, world: World) -> None:
    response = api.patch(f"/sites/{world.site.pk}", {"url": None})
    assert response.status_code == 422
    assert "url" in response.json()["fields"]


def test_patch_refuses_unknown_fields_and_malformed_json(api: Api, world: World) -> None:
    unknown = api.patch(f"/sites/{world.site.pk}", {"colour": "red"})
    assert unknown.status_code == 422
    assert unknown.json()["fields"] == {"colour": "unknown field"}
    assert api.patch(f"/sites/{world.site.pk}", raw="{").status_code == 400


def test_empty_patch_changes_nothing(api: Api, world: World) -> None:
    before = api.get(f"/sites/{world.site.pk}").json()
    response = api.patch(f"/sites/{world.site.pk}", {})
    assert response.status_code == 200
    assert response.json() == before


@pytest.mark.parametrize("bad_id", ["abc", "0", "-3", str(HUGE), "1.5"])
def test_bad_ids_in_the_path_are_refused(api: Api, world: World, bad_id: str) -> None:
    response = api.get(f"/clients/{bad_id}")
    assert response.status_code == 422
    assert "id" in response.json()["fields"]


@pytest.mark.parametrize(("path", "param"), [("/sites", "client_id"), ("/monitors", "site_id")])
def test_bad_filter_values_are_refused(api: Api, world: World, path: str, param: str) -> None:
    for value in ("abc", str(HUGE), "0"):
        response = api.get(path, {param: value})
        assert response.status_code == 422
        assert param in response.json()["fields"]


def test_model_messages_are_in_english_whatever_the_request_language(api: Api, world: World) -> None:
    api.http.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    response = api.post("/sites", {**valid_bodies(world)["/sites"], "url": "https://intranet"})
    assert response.status_code == 422
    assert response.json()["fields"]["url"] == "Enter a valid URL."
