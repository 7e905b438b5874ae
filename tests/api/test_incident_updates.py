"""Public updates on an incident over the API: posted by the token's name, the first one records
when the client was first told, bad input is named, another agency's incident is a 404."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import Api, World, build_world
from tests.api.monitoring import make_incident, parse
from veilleur.accounts.models import Agency
from veilleur.incidents.models import Incident, IncidentUpdate
from veilleur.incidents.updates import MAX_MESSAGE_LENGTH


def ms(instant: datetime | None) -> datetime | None:
    """An instant as the API shows it: to the millisecond."""
    return None if instant is None else instant.replace(microsecond=instant.microsecond // 1000 * 1000)


@pytest.fixture
def incident(world: World) -> Incident:
    return make_incident(world.monitor, timezone.now() - timedelta(minutes=30))


@pytest.fixture
def theirs(make_agency: Callable[..., Agency]) -> Incident:
    rival = build_world(make_agency("other", "Other agency"), prefix="rival")
    return make_incident(rival.monitor, timezone.now() - timedelta(minutes=30))


def test_post_records_the_update_and_the_first_client_update(api: Api, incident: Incident) -> None:
    first = api.post(
        f"/incidents/{incident.pk}/updates", {"status": "investigating", "message": "  We are looking.  "}
    )

    assert first.status_code == 201, first.content
    answer = first.json()
    update = answer["update"]
    assert (update["incident_id"], update["status"], update["message"]) == (
        incident.pk,
        "investigating",
        "We are looking.",
    )
    assert update["posted_by"] == "API token tests"
    assert parse(answer["first_client_update_at"]) == parse(update["posted_at"])
    incident.refresh_from_db()
    assert ms(incident.first_client_update_at) == parse(update["posted_at"])

    second = api.post(f"/incidents/{incident.pk}/updates", {"status": "identified", "message": "Disk full."})

    assert second.status_code == 201
    first_told = ms(incident.first_client_update_at)
    assert parse(second.json()["first_client_update_at"]) == first_told
    assert parse(second.json()["update"]["posted_at"]) >= first_told  # type: ignore[operator]
    read = api.get(f"/incidents/{incident.pk}").json()
    assert parse(read["first_client_update_at"]) == first_told


def test_list_is_oldest_first_and_paginated(api: Api, incident: Incident) -> None:
    for n, status in enumerate(["investigating", "identified", "monitoring", "resolved"]):
        posted = api.post(f"/incidents/{incident.pk}/updates", {"status": status, "message": f"n{n}"})
        assert posted.status_code == 201

    first = api.get(f"/incidents/{incident.pk}/updates", {"limit": 3}).json()
    rest = api.get(f"/incidents/{incident.pk}/updates", {"cursor": first["next_cursor"]}).json()

    messages = [item["message"] for item in first["items"] + rest["items"]]
    assert messages == ["n0", "n1", "n2", "n3"]
    assert rest["next_cursor"] is None
    assert [item["status"] for item in rest["items"]] == ["resolved"]


def test_an_update_never_predates_its_incident(api: Api, world: World) -> None:
    # An incident confirmed "in the future" of this clock: the update is dated at confirmation.
    future = make_incident(world.monitor, timezone.now() + timedelta(minutes=5))

    response = api.post(f"/incidents/{future.pk}/updates", {"status": "investigating", "message": "Soon"})

    assert response.status_code == 201
    assert parse(response.json()["update"]["posted_at"]) == ms(future.confirmed_at)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "fixed", "message": "Done"}, "status"),
        ({"status": "Resolved", "message": "Done"}, "status"),
        ({"status": 1, "message": "Done"}, "status"),
        ({"message": "Done"}, "status"),
        ({"status": "resolved", "message": "   "}, "message"),
        ({"status": "resolved", "message": ""}, "message"),
        ({"status": "resolved", "message": "x" * (MAX_MESSAGE_LENGTH + 1)}, "message"),
        ({"status": "resolved", "message": ["Done"]}, "message"),
        ({"status": "resolved", "message": "nul\x00"}, "message"),
        ({"status": "resolved"}, "message"),
        ({"status": "resolved", "message": "Done", "posted_at": "2020-01-01T00:00:00Z"}, "posted_at"),
    ],
)
def test_bad_input_is_named_and_writes_nothing(
    api: Api, incident: Incident, body: dict[str, Any], field: str
) -> None:
    response = api.post(f"/incidents/{incident.pk}/updates", body)

    assert response.status_code == 422, response.content
    assert field in response.json()["fields"], response.json()
    assert not IncidentUpdate.objects.exists()
    incident.refresh_from_db()
    assert incident.first_client_update_at is None


def test_malformed_json_is_a_400(api: Api, incident: Incident) -> None:
    response = api.post(f"/incidents/{incident.pk}/updates", raw='{"status": ')
    assert response.status_code == 400 and "JSON" in response.json()["error"]


def test_another_agencys_incident_is_a_404(api: Api, world: World, theirs: Incident) -> None:
    body = {"status": "investigating", "message": "Taken over"}

    posted = api.post(f"/incidents/{theirs.pk}/updates", body)
    listed = api.get(f"/incidents/{theirs.pk}/updates")

    assert posted.status_code == 404 and listed.status_code == 404
    assert "rival" not in posted.content.decode() + listed.content.decode()
    assert not IncidentUpdate.objects.exists()
    assert api.get("/incidents/987654/updates").status_code == 404


def test_openapi_lists_the_updates(api: Api) -> None:
    paths = api.http.get("/api/v1/openapi.json").json()["paths"]
    assert set(paths["/api/v1/incidents/{id}/updates"]) == {"get", "post"}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=st.dictionaries(
        st.sampled_from(["status", "message"]) | st.text(max_size=8),
        st.none()
        | st.booleans()
        | st.integers()
        | st.text(max_size=40)
        | st.sampled_from(["investigating", "identified", "monitoring", "resolved", " "])
        | st.lists(st.text(max_size=5), max_size=2),
        max_size=4,
    )
    | st.none()
    | st.lists(st.integers(), max_size=2)
    | st.text(max_size=10)
)
def test_garbage_never_answers_a_server_error(api: Api, incident: Incident, body: Any) -> None:
    response = api.post(f"/incidents/{incident.pk}/updates", raw=json.dumps(body))
    assert response.status_code < 500, response.content
    if response.status_code != 201:
        answer = response.json()
        assert answer["error"] and isinstance(answer["fields"], dict)
    incident.refresh_from_db()
    first = IncidentUpdate.objects.filter(incident=incident).order_by("posted_at", "id").first()
    assert incident.first_client_update_at == (first.posted_at if first else None)
