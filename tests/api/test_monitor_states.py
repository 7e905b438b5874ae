"""Monitors' current state: one monitor's, and the dashboard list with a state per monitor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import Api, World, build_world
from tests.api.monitoring import at, make_incident, make_runtime, parse
from veilleur.accounts.models import Agency
from veilleur.clients.models import Site
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import Monitor


def state(api: Api, monitor: Monitor) -> dict[str, Any]:
    response = api.get(f"/monitors/{monitor.pk}/state")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_monitor_never_scheduled_is_unknown(api: Api, world: World) -> None:
    assert state(api, world.monitor) == {
        "monitor_id": world.monitor.pk,
        "status": "unknown",
        "phase": None,
        "last_checked_at": None,
        "last_ok": None,
        "last_error_class": None,
        "last_total_ms": None,
        "next_check_at": None,
        "open_incident_id": None,
    }


def test_a_monitor_scheduled_but_never_checked_is_unknown(api: Api, world: World) -> None:
    make_runtime(world.monitor, due_at=at(12, 0, 30))
    body = state(api, world.monitor)
    assert body["status"] == "unknown"
    assert body["phase"] == "up"
    assert parse(body["next_check_at"]) == at(12, 0, 30)


def test_a_checked_monitor_without_open_incident_is_up(api: Api, world: World) -> None:
    make_runtime(
        world.monitor, last_checked_at=at(11, 59), last_ok=True, last_total_ms=231, due_at=at(12), phase="up"
    )
    make_incident(world.monitor, at(3), recovered_at=at(4), resolved_at=at(4, 1))  # over: no effect
    body = state(api, world.monitor)
    assert body["status"] == "up"
    assert parse(body["last_checked_at"]) == at(11, 59)
    assert (body["last_ok"], body["last_error_class"], body["last_total_ms"]) == (True, "", 231)
    assert parse(body["next_check_at"]) == at(12)
    assert body["open_incident_id"] is None


def test_a_monitor_failing_unconfirmed_is_still_up(api: Api, world: World) -> None:
    make_runtime(
        world.monitor, last_checked_at=at(11), last_ok=False, last_error_class="dns", phase="confirming_down"
    )
    body = state(api, world.monitor)
    assert (body["status"], body["phase"], body["last_ok"]) == ("up", "confirming_down", False)
    assert body["last_error_class"] == "dns"


@pytest.mark.parametrize("phase", ["down", "confirming_up"])
def test_a_monitor_with_an_open_incident_is_down(api: Api, world: World, phase: str) -> None:
    make_runtime(world.monitor, last_checked_at=at(11), last_ok=phase == "confirming_up", phase=phase)
    incident = make_incident(world.monitor, at(10))
    body = state(api, world.monitor)
    assert (body["status"], body["phase"], body["open_incident_id"]) == ("down", phase, incident.pk)


def test_an_open_slowdown_is_degraded_not_down(api: Api, world: World) -> None:
    make_runtime(world.monitor, last_checked_at=at(11), last_ok=True, last_total_ms=4200)
    incident = make_incident(world.monitor, at(10), kind=Incident.Kind.DEGRADED, cause_error_class="slow")
    body = state(api, world.monitor)
    assert (body["status"], body["open_incident_id"]) == ("degraded", incident.pk)


def test_paused_wins_and_has_no_next_check(api: Api, world: World) -> None:
    make_runtime(world.monitor, last_checked_at=at(11), last_ok=False, phase="down")
    incident = make_incident(world.monitor, at(10))
    Monitor.objects.filter(pk=world.monitor.pk).update(paused=True)
    body = state(api, world.monitor)
    assert (body["status"], body["next_check_at"], body["open_incident_id"]) == ("paused", None, incident.pk)


def test_state_of_a_missing_monitor_is_a_404(api: Api, world: World) -> None:
    response = api.get("/monitors/999999/state")
    assert response.status_code == 404
    assert response.json()["error"] == "There is no monitor with id 999999."


def test_list_shows_each_monitor_with_its_state(api: Api, world: World) -> None:
    second = Monitor.objects.create(site=world.site, key="shop", url="https://acme.example/shop")
    make_runtime(world.monitor, last_checked_at=at(11), last_ok=True, last_total_ms=90)
    make_runtime(second, last_checked_at=at(11), last_ok=False, last_error_class="http_status", phase="down")
    incident = make_incident(second, at(10), cause_error_class="http_status", cause_status_code=503)
    response = api.get("/monitors/states")
    assert response.status_code == 200, response.content
    items = {item["id"]: item for item in response.json()["items"]}
    assert items[world.monitor.pk]["key"] == "home"
    assert items[world.monitor.pk]["client_id"] == world.client.pk
    assert items[world.monitor.pk]["state"]["status"] == "up"
    assert items[second.pk]["state"]["status"] == "down"
    assert items[second.pk]["state"]["open_incident_id"] == incident.pk
    assert items[second.pk]["state"]["last_error_class"] == "http_status"


def test_list_filters_by_client_and_site(api: Api, agency: Agency, world: World) -> None:
    other = build_world(agency, prefix="other")
    by_client = api.get("/monitors/states", {"client_id": other.client.pk}).json()["items"]
    assert [item["id"] for item in by_client] == [other.monitor.pk]
    by_site = api.get("/monitors/states", {"site_id": world.site.pk}).json()["items"]
    assert [item["id"] for item in by_site] == [world.monitor.pk]


def test_list_pages_see_every_monitor_once(api: Api, world: World) -> None:
    Monitor.objects.bulk_create(
        Monitor(agency=world.agency, site=world.site, key=f"page-{n}", url=f"https://acme.example/{n}")
        for n in range(12)
    )
    seen: list[int] = []
    cursor = None
    while True:
        page = api.get("/monitors/states", {"limit": 5, **({"cursor": cursor} if cursor else {})}).json()
        seen.extend(item["id"] for item in page["items"])
        if (cursor := page["next_cursor"]) is None:
            break
    assert seen == sorted(set(seen)) and len(seen) == 13


def add_monitors_with_history(site: Site, count: int, prefix: str) -> None:
    for n in range(count):
        monitor = Monitor.objects.create(
            site=site, key=f"{prefix}-{n}", url=f"https://acme.example/{prefix}/{n}"
        )
        make_runtime(monitor, last_checked_at=at(11), last_ok=n % 2 == 0, phase="down" if n % 2 else "up")
        if n % 2:
            make_incident(monitor, at(10))


def test_list_queries_do_not_grow_with_monitors(api: Api, world: World) -> None:
    api.get("/plans")  # the token's last-use write happens on the first request only
    add_monitors_with_history(world.site, 1, "first")

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/monitors/states", {"limit": 200}).status_code == 200
        return len(captured.captured_queries)

    few = count()
    add_monitors_with_history(world.site, 20, "more")
    assert count() == few


def test_another_agencys_monitors_stay_unseen(
    api: Api, world: World, make_agency: Callable[..., Agency]
) -> None:
    theirs = build_world(make_agency("other", "Other agency"), prefix="rival")
    make_runtime(theirs.monitor, last_checked_at=at(11), last_ok=True)
    assert api.get(f"/monitors/{theirs.monitor.pk}/state").status_code == 404
    listed = api.get("/monitors/states", {"limit": 200})
    assert [item["id"] for item in listed.json()["items"]] == [world.monitor.pk]
    assert "rival" not in listed.content.decode()
    assert api.get("/monitors/states", {"client_id": theirs.client.pk}).json()["items"] == []


def test_the_states_list_is_not_taken_for_a_monitor_id(api: Api, world: World) -> None:
    assert api.get("/monitors/states").status_code == 200
    response = api.get("/monitors/stats/state")
    assert response.status_code == 422
    assert "id" in response.json()["fields"]
