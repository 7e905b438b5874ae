"""Notification channels and on-call addresses over the API: CRUD, masked URLs, tenancy, errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.api.conftest import Api, World, build_world, issue_token
from veilleur.accounts.models import Agency
from veilleur.notifications.models import NotificationChannel, OnCallAddress
from veilleur.plans.models import Plan

SLACK = "slack://T000/B000/XXXX"
HOOK = "https://hooks.acme.example/veilleur/s3cr3t"


@pytest.fixture
def theirs(make_agency: Callable[..., Agency]) -> World:
    return build_world(make_agency("other", "Other agency"), prefix="rival")


def test_channel_lifecycle(api: Api, world: World) -> None:
    created = api.post(
        "/channels",
        {"key": "ops-slack", "name": "Ops", "kind": "apprise", "url": SLACK, "plan_id": world.plan.pk},
    )
    assert created.status_code == 201, created.content
    channel = created.json()
    assert channel["url"] == "slack://…" and channel["secret"] is None
    assert channel["events"] == ["incident_confirmed", "incident_recovered", "sla_warning", "sla_breach"]
    assert (channel["plan_id"], channel["client_id"], channel["enabled"]) == (world.plan.pk, None, True)
    assert api.get(f"/channels/{channel['id']}").json() == channel
    assert api.get("/channels").json()["items"] == [channel]

    changed = api.patch(
        f"/channels/{channel['id']}",
        {"plan_id": None, "client_id": world.client.pk, "events": ["sla_breach"], "enabled": False},
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["plan_id"], changed.json()["client_id"]) == (None, world.client.pk)
    assert (changed.json()["events"], changed.json()["enabled"]) == (["sla_breach"], False)

    assert api.delete(f"/channels/{channel['id']}").status_code == 204
    assert not NotificationChannel.objects.filter(pk=channel["id"]).exists()


def test_a_webhook_url_and_secret_are_shown_only_when_asked(api: Api, world: World) -> None:
    created = api.post("/channels", {"key": "hook", "name": "Hook", "kind": "webhook", "url": HOOK})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["url"] == "https://hooks.acme.example/…" and body["secret"] is None
    assert "s3cr3t" not in api.get("/channels").content.decode()
    revealed = api.get(f"/channels/{body['id']}", {"reveal": "true"}).json()
    stored = NotificationChannel.objects.get(pk=body["id"])
    assert (revealed["url"], revealed["secret"]) == (HOOK, stored.secret)
    assert len(stored.secret) == 64

    rotated = api.patch(f"/channels/{body['id']}", {"secret": "a-new-secret-agreed-with-them"})
    assert rotated.status_code == 200
    stored.refresh_from_db()
    assert stored.secret == "a-new-secret-agreed-with-them"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"kind": "webhook", "url": SLACK}, "url", "absolute http:// or https://"),
        ({"kind": "apprise", "url": "nosuchservice://abc"}, "url", "Apprise does not accept"),
        ({"kind": "pigeon", "url": HOOK}, "kind", "webhook"),
        ({"kind": "webhook", "url": HOOK, "events": ["site_on_fire"]}, "events", "incident_confirmed"),
        ({"kind": "webhook", "url": HOOK, "events": []}, "events", "at least 1"),
        ({"kind": "webhook", "url": HOOK, "secret": "short"}, "secret", "at least 16"),
        ({"kind": "webhook", "url": HOOK, "key": "Not A Key"}, "key", "invalid key"),
        ({"kind": "webhook", "url": HOOK, "enabled": "yes"}, "enabled", "boolean"),
        ({"kind": "webhook", "url": HOOK, "plan_id": 999999}, "plan_id", "no plan with id"),
    ],
)
def test_invalid_channels_are_refused(
    api: Api, world: World, body: dict[str, object], field: str, message: str
) -> None:
    response = api.post("/channels", {"key": "hook", "name": "Hook", **body})
    assert response.status_code == 422, response.content
    assert message in response.json()["fields"][field]
    assert "s3cr3t" not in response.content.decode()
    assert not NotificationChannel.objects.exists()


def test_a_channel_has_one_scope_at_most(api: Api, world: World) -> None:
    response = api.post(
        "/channels",
        {
            "key": "hook",
            "name": "Hook",
            "kind": "webhook",
            "url": HOOK,
            "plan_id": world.plan.pk,
            "client_id": world.client.pk,
        },
    )
    assert response.status_code == 422
    assert "not both" in response.json()["fields"]["client_id"]


def test_a_channel_key_is_unique_in_the_agency(api: Api, world: World) -> None:
    body = {"key": "hook", "name": "Hook", "kind": "webhook", "url": HOOK}
    assert api.post("/channels", body).status_code == 201
    response = api.post("/channels", body)
    assert response.status_code == 409
    assert "key" in response.json()["fields"]


def test_on_call_lifecycle(api: Api, world: World) -> None:
    created = api.post("/on-call", {"email": " Nuit@Atelier.Example ", "plan_id": world.plan.pk})
    assert created.status_code == 201, created.content
    address = created.json()
    assert (address["email"], address["plan_id"], address["client_id"]) == (
        "nuit@atelier.example",
        world.plan.pk,
        None,
    )
    assert address["escalation"] is False
    assert api.get(f"/on-call/{address['id']}").json() == address
    assert api.get("/on-call").json()["items"] == [address]

    changed = api.patch(f"/on-call/{address['id']}", {"plan_id": None, "escalation": True})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["plan_id"], changed.json()["escalation"]) == (None, True)
    assert api.patch(f"/on-call/{address['id']}", {"email": None}).status_code == 422
    assert api.post("/on-call", {"email": "not an address"}).status_code == 422

    assert api.delete(f"/on-call/{address['id']}").status_code == 204
    assert not OnCallAddress.objects.exists()


def test_another_agencys_channels_and_addresses_are_404(api: Api, world: World, theirs: World) -> None:
    channel = NotificationChannel.objects.create(
        agency=theirs.agency, key="rival-hook", name="Rival", kind="webhook", url="https://rival.example/h"
    )
    address = OnCallAddress.objects.create(agency=theirs.agency, email="rival@rival.example")
    for path in (f"/channels/{channel.pk}", f"/on-call/{address.pk}"):
        for response in (
            api.get(path),
            api.patch(path, {"enabled": False} if "channels" in path else {}),
            api.delete(path),
        ):
            assert response.status_code == 404, (path, response.content)
            assert "rival" not in response.content.decode()
    assert api.get("/channels").json()["items"] == [] and api.get("/on-call").json()["items"] == []
    # Nor can one point a channel of one's own at another agency's plan or client.
    rival_plan = Plan.objects.get(agency=theirs.agency, key="standard")
    response = api.post(
        "/channels", {"key": "x", "name": "X", "kind": "webhook", "url": HOOK, "plan_id": rival_plan.pk}
    )
    assert response.status_code == 422
    response = api.post("/on-call", {"email": "a@acme.example", "client_id": theirs.client.pk})
    assert response.status_code == 422
    assert NotificationChannel.objects.get(pk=channel.pk).enabled is True


def test_channels_need_a_token(world: World) -> None:
    assert Api(None).get("/channels").status_code == 401
    assert Api("vlr_0000_nope").post("/on-call", {"email": "a@acme.example"}).status_code == 401
    assert Api(issue_token(world.agency, "second")).get("/on-call").status_code == 200
