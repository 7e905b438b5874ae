"""Incidents with every timestamp, and blips: filters, newest-first pages, tenancy, query counts."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api.conftest import Api, World, build_world
from tests.api.monitoring import DAY, at, iso, make_blip, make_incident, parse, walk
from veilleur.accounts.models import Agency, StaffUser
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import Monitor

PROOF = [
    {"at": "2026-03-02T10:00:00+00:00", "ok": False, "error_class": "timeout", "status_code": None},
    {"at": "2026-03-02T10:00:20+00:00", "ok": False, "error_class": "timeout", "status_code": None},
]
RECOVERY_PROOF = [{"at": "2026-03-02T10:42:00+00:00", "ok": True, "error_class": "", "status_code": 200}]


@pytest.fixture
def settled(world: World, owner: StaffUser) -> Incident:
    """An outage that went through every step, acknowledged by the owner by email."""
    return make_incident(
        world.monitor,
        at(10),
        confirmed_at=at(10, 0, 20),
        notified_at=at(10, 0, 21),
        acknowledged_at=at(10, 5),
        acknowledged_by=owner,
        ack_channel="email_link",
        first_client_update_at=at(10, 12),
        sla_target_minutes=30,
        sla_calendar="always",
        sla_started_at=at(10, 0, 20),
        sla_warn_at=at(10, 22, 50),
        sla_due_at=at(10, 30, 20),
        recovered_at=at(10, 41, 30),
        resolved_at=at(10, 42),
        cause_status_code=None,
        proof=PROOF,
        recovery_proof=RECOVERY_PROOF,
    )


def read(api: Api, incident: Incident) -> dict[str, Any]:
    response = api.get(f"/incidents/{incident.pk}")
    assert response.status_code == 200, response.content
    return response.json()


def test_an_incident_shows_every_timestamp_and_who_acknowledged(
    api: Api, world: World, settled: Incident
) -> None:
    body = read(api, settled)
    assert body == {
        "id": settled.pk,
        "monitor_id": world.monitor.pk,
        "site_id": world.site.pk,
        "client_id": world.client.pk,
        "kind": "down",
        "open": False,
        "ongoing": False,
        "first_failed_at": "2026-03-02T10:00:00Z",
        "confirmed_at": "2026-03-02T10:00:20Z",
        "notified_at": "2026-03-02T10:00:21Z",
        "acknowledged_at": "2026-03-02T10:05:00Z",
        "acknowledged_by": "owner@atelier.example",
        "ack_channel": "email_link",
        "first_client_update_at": "2026-03-02T10:12:00Z",
        "recovered_at": "2026-03-02T10:41:30Z",
        "resolved_at": "2026-03-02T10:42:00Z",
        "duration_seconds": 2490.0,
        "downtime_seconds": 2490.0,
        "cause": {"error_class": "timeout", "status_code": None, "message": "no answer within 10 s"},
        "sla": {
            "target_minutes": 30,
            "calendar": "always",
            "calendar_version": None,
            "started_at": "2026-03-02T10:00:20Z",
            "warn_at": "2026-03-02T10:22:50Z",
            "due_at": "2026-03-02T10:30:20Z",
            "outcome": "met",
        },
        "proof": PROOF,
        "recovery_proof": RECOVERY_PROOF,
        "created_at": body["created_at"],
    }


def test_steps_not_reached_are_null(api: Api, world: World) -> None:
    incident = make_incident(world.monitor, at(10), cause_error_class="http_status", cause_status_code=503)
    body = read(api, incident)
    for step in ("notified_at", "acknowledged_at", "first_client_update_at", "recovered_at", "resolved_at"):
        assert body[step] is None, step
    assert (body["acknowledged_by"], body["ack_channel"]) == (None, None)
    assert body["cause"]["status_code"] == 503


def test_an_open_incident_runs_to_now_flagged_ongoing(api: Api, world: World) -> None:
    started = timezone.now() - timedelta(minutes=10)
    body = read(api, make_incident(world.monitor, started))
    assert (body["open"], body["ongoing"]) == (True, True)
    assert 600 <= body["downtime_seconds"] < 600 + 60
    assert body["duration_seconds"] == body["downtime_seconds"]


def test_a_recovered_incident_awaiting_confirmation_stops_counting(api: Api, world: World) -> None:
    # Phase confirming_up: recovered_at is known, the recovery is not confirmed yet.
    incident = make_incident(world.monitor, at(10), recovered_at=at(10, 30))
    body = read(api, incident)
    assert (body["open"], body["ongoing"], body["downtime_seconds"]) == (True, False, 1800.0)


def test_a_slowdown_is_never_downtime(api: Api, world: World) -> None:
    incident = make_incident(
        world.monitor,
        at(10),
        kind=Incident.Kind.DEGRADED,
        cause_error_class="slow",
        recovered_at=at(11),
        resolved_at=at(11),
    )
    body = read(api, incident)
    assert (body["kind"], body["duration_seconds"], body["downtime_seconds"]) == ("degraded", 3600.0, 0.0)


def test_an_acknowledger_deleted_since_is_still_named(api: Api, settled: Incident, owner: StaffUser) -> None:
    Incident.objects.filter(pk=settled.pk).update(acknowledged_by_label=owner.email)
    owner.delete()
    body = read(api, settled)
    assert (body["acknowledged_by"], body["ack_channel"]) == ("owner@atelier.example", "email_link")


def test_hand_edited_proof_that_is_not_a_list_of_checks_is_left_out(api: Api, world: World) -> None:
    incident = make_incident(
        world.monitor, at(10), proof={"note": "edited"}, recovery_proof=[1, {"ok": True}]
    )
    body = read(api, incident)
    assert (body["proof"], body["recovery_proof"]) == ([], [{"ok": True}])


@pytest.fixture
def spread(agency: Agency, world: World) -> dict[str, Any]:
    """Incidents on two monitors of two clients; one of them still open."""
    other = build_world(agency, prefix="bakery")
    return {
        "early": make_incident(world.monitor, at(2), recovered_at=at(3), resolved_at=at(3, 1)),
        "late": make_incident(world.monitor, at(8), recovered_at=at(9), resolved_at=at(9, 1)),
        "open": make_incident(world.monitor, at(20)),
        "bakery": make_incident(other.monitor, at(5), recovered_at=at(6), resolved_at=at(6, 1)),
        "other": other,
    }


def ids(api: Api, path: str, **params: Any) -> list[int]:
    response = api.get(path, {"limit": 200, **params})
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_incidents_come_newest_first(api: Api, spread: dict[str, Any]) -> None:
    expected = [spread[name].pk for name in ("open", "late", "bakery", "early")]
    assert ids(api, "/incidents") == expected


def test_incidents_filter_by_place(api: Api, world: World, spread: dict[str, Any]) -> None:
    mine = [spread[name].pk for name in ("open", "late", "early")]
    assert ids(api, "/incidents", monitor_id=world.monitor.pk) == mine
    assert ids(api, "/incidents", site_id=world.site.pk) == mine
    assert ids(api, "/incidents", client_id=world.client.pk) == mine
    assert ids(api, "/incidents", client_id=spread["other"].client.pk) == [spread["bakery"].pk]


def test_incidents_filter_by_open(api: Api, spread: dict[str, Any]) -> None:
    assert ids(api, "/incidents", open="true") == [spread["open"].pk]
    assert ids(api, "/incidents", open="false") == [spread[name].pk for name in ("late", "bakery", "early")]


def test_incidents_filter_by_overlap_with_a_range(api: Api, spread: dict[str, Any]) -> None:
    # 02:30–05:30 overlaps the early outage (02–03) and the bakery's (05–06), not the late one.
    found = ids(api, "/incidents", start=iso(at(2, 30)), end=iso(at(5, 30)))
    assert found == [spread["bakery"].pk, spread["early"].pk]
    # An open incident lasts until now: any range after its start finds it.
    assert ids(api, "/incidents", start=iso(at(22))) == [spread["open"].pk]
    assert ids(api, "/incidents", end=iso(at(2))) == []  # end is excluded
    assert ids(api, "/incidents", start=iso(at(3))) == [spread[n].pk for n in ("open", "late", "bakery")]


def test_walking_incident_pages_sees_each_once_even_with_equal_times(api: Api, world: World) -> None:
    # Made out of time order, several at the same instant: newest first, ties highest id first.
    made = []
    for n in range(17):
        hour = n * 5 % 6
        incident = make_incident(world.monitor, at(hour), recovered_at=at(23), resolved_at=at(23))
        made.append((hour, incident.pk))
    expected = [pk for _, pk in sorted(made, reverse=True)]
    for limit in (1, 2, 5, 17):
        assert [item["id"] for item in walk(api, "/incidents", limit)] == expected


def test_incidents_opened_while_walking_do_not_shift_the_pages(api: Api, world: World) -> None:
    made = [
        make_incident(world.monitor, at(n), recovered_at=at(n, 30), resolved_at=at(n, 31)) for n in range(6)
    ]
    first = api.get("/incidents", {"limit": 3}).json()
    make_incident(world.monitor, at(20))
    rest = api.get("/incidents", {"limit": 3, "cursor": first["next_cursor"]}).json()
    found = [item["id"] for item in first["items"] + rest["items"]]
    assert found == [incident.pk for incident in reversed(made)]


def encoded(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("path", ["/incidents", "/blips"])
@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        "MQ",
        encoded("t:1.0"),
        encoded("t:" + "9" * 18 + ".1"),
        encoded("t:12.x"),
        encoded("r:1.1"),
        "x" * 99,
    ],
)
def test_a_cursor_not_handed_out_is_a_400(api: Api, world: World, path: str, cursor: str) -> None:
    response = api.get(path, {"cursor": cursor})
    assert response.status_code == 400, response.content
    assert "cursor" in response.json()["fields"]


@pytest.mark.parametrize("path", ["/incidents", "/blips"])
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-03-02T10:00:00"}, "start"),
        ({"end": "soon"}, "end"),
        ({"start": iso(at(10)), "end": iso(at(9))}, "end"),
        ({"monitor_id": "abc"}, "monitor_id"),
        ({"client_id": "0"}, "client_id"),
        ({"site_id": str(2**70)}, "site_id"),
        ({"limit": 201}, "limit"),
    ],
)
def test_bad_filters_are_refused_by_name(
    api: Api, world: World, path: str, params: dict[str, str], field: str
) -> None:
    response = api.get(path, params)
    assert response.status_code == 422, response.content
    assert list(response.json()["fields"]) == [field]


def test_open_must_be_a_boolean(api: Api, world: World) -> None:
    response = api.get("/incidents", {"open": "maybe"})
    assert response.status_code == 422
    assert "open" in response.json()["fields"]


# --- blips ------------------------------------------------------------------------------------


def test_blips_show_what_failed_newest_first(api: Api, world: World) -> None:
    early = make_blip(world.monitor, at(9), seconds=12, status_code=502, message="bad gateway")
    late = make_blip(world.monitor, at(11))
    response = api.get("/blips")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["id"] for item in items] == [late.pk, early.pk]
    assert items[1] == {
        "id": early.pk,
        "monitor_id": world.monitor.pk,
        "site_id": world.site.pk,
        "client_id": world.client.pk,
        "started_at": "2026-03-02T09:00:00Z",
        "ended_at": "2026-03-02T09:00:12Z",
        "duration_seconds": 12.0,
        "error_class": "connect",
        "status_code": 502,
        "message": "bad gateway",
    }


def test_blips_filter_by_monitor_and_range(api: Api, world: World) -> None:
    second = Monitor.objects.create(site=world.site, key="shop", url="https://acme.example/shop")
    blips = [make_blip(world.monitor, at(hour)) for hour in (8, 9, 10)]
    theirs = make_blip(second, at(9))
    assert ids(api, "/blips", monitor_id=second.pk) == [theirs.pk]
    in_range = ids(api, "/blips", monitor_id=world.monitor.pk, start=iso(at(8, 0, 10)), end=iso(at(10)))
    assert in_range == [blips[1].pk, blips[0].pk]  # the 08:00 blip lasts until 08:00:15


def test_walking_blip_pages_sees_each_once(api: Api, world: World) -> None:
    made = [make_blip(world.monitor, DAY + timedelta(minutes=n % 9)).pk for n in range(25)]
    found = [item["id"] for item in walk(api, "/blips", 4)]
    assert sorted(found) == sorted(made) and len(found) == len(set(found))
    times = [parse(item["started_at"]) for item in walk(api, "/blips", 4)]
    assert times == sorted(times, reverse=True)


# --- tenancy and query counts -----------------------------------------------------------------


def test_another_agencys_incidents_and_blips_stay_unseen(
    api: Api, world: World, make_agency: Callable[..., Agency]
) -> None:
    theirs = build_world(make_agency("other", "Other agency"), prefix="rival")
    their_incident = make_incident(theirs.monitor, at(10))
    make_blip(theirs.monitor, at(9))
    mine = make_incident(world.monitor, at(10))
    response = api.get(f"/incidents/{their_incident.pk}")
    assert response.status_code == 404
    assert response.json()["error"] == f"There is no incident with id {their_incident.pk}."
    assert ids(api, "/incidents") == [mine.pk]
    assert ids(api, "/blips") == []
    for param, row in (
        ("monitor_id", theirs.monitor),
        ("site_id", theirs.site),
        ("client_id", theirs.client),
    ):
        assert ids(api, "/incidents", **{param: row.pk}) == []
        assert ids(api, "/blips", **{param: row.pk}) == []


def add_events(world: World, count: int, owner: StaffUser) -> None:
    for n in range(count):
        monitor = Monitor.objects.create(
            site=world.site, key=f"events-{n}-{count}", url="https://acme.example/"
        )
        make_incident(monitor, at(10), acknowledged_at=at(10, 1), acknowledged_by=owner, ack_channel="web")
        make_blip(monitor, at(9))


@pytest.mark.parametrize("path", ["/incidents", "/blips"])
def test_list_queries_do_not_grow_with_rows(api: Api, world: World, owner: StaffUser, path: str) -> None:
    api.get("/plans")  # the token's last-use write happens on the first request only
    add_events(world, 1, owner)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(path, {"limit": 200}).status_code == 200
        return len(captured.captured_queries)

    few = count()
    add_events(world, 15, owner)
    assert count() == few


def make_incident_for_ack(agency: Agency, prefix: str = "acme") -> Incident:
    return make_incident(build_world(agency, prefix).monitor, timezone.now() - timedelta(minutes=5))


def test_ack_through_the_api_then_twice_is_a_polite_409(api: Api, agency: Agency) -> None:
    incident = make_incident_for_ack(agency)
    first = api.post(f"/incidents/{incident.pk}/ack")
    assert first.status_code == 200, first.content
    body = first.json()
    assert body["incident"]["ack_channel"] == "api"
    assert body["incident"]["acknowledged_by"].startswith("API token ")
    second = api.post(f"/incidents/{incident.pk}/ack")
    assert second.status_code == 409
    assert "already acknowledged" in second.json()["error"]


def test_ack_of_another_agencys_incident_is_404(api: Api, make_agency: Callable[..., Agency]) -> None:
    theirs = make_incident_for_ack(make_agency("other", "Other agency"), "theirs")
    assert api.post(f"/incidents/{theirs.pk}/ack").status_code == 404
    theirs.refresh_from_db()
    assert theirs.acknowledged_at is None


def test_an_ack_after_the_recovery_is_recorded_and_changes_no_outcome(api: Api, agency: Agency) -> None:
    """A Premium outage at 3 a.m. healed in 5 minutes, acknowledged at 7 a.m.: still met."""
    started = timezone.now() - timedelta(hours=4)
    incident = make_incident(
        build_world(agency).monitor,
        started,
        sla_due_at=started + timedelta(minutes=30, seconds=20),
        recovered_at=started + timedelta(minutes=5),
        resolved_at=started + timedelta(minutes=5, seconds=20),
    )
    before = api.get(f"/incidents/{incident.pk}").json()["sla"]["outcome"]
    done = api.post(f"/incidents/{incident.pk}/ack")
    assert done.status_code == 200, done.content
    body = done.json()
    assert before == body["incident"]["sla"]["outcome"] == "met_recovered"
    assert body["incident"]["acknowledged_at"] is not None
    assert "already recovered" in body["message"] and "stays met_recovered" in body["message"]
