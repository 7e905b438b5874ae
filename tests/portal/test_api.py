"""Portal users through the API: listed and invited, never with a password; other agencies' unseen."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api, issue_token
from tests.notifications.mailsink import MailSink
from tests.portal.conftest import World, make_client
from veilleur.portal.models import ClientUser


@pytest.mark.django_db
def test_portal_users_are_listed_and_invited_without_passwords(world: World, sink: MailSink) -> None:
    api = Api(issue_token(world.agencies[0]))
    listed = api.get("/portal-users").json()
    assert sorted(item["email"] for item in listed["items"]) == [
        "anna@bakery.example",
        "bruno@florist.example",
        "rita@bakery.example",
    ]
    assert all("password" not in key for item in listed["items"] for key in item)
    assert {item["email"]: item["state"] for item in listed["items"]}["rita@bakery.example"] == "revoked"

    client_id = world.clients[0].client.pk
    created = api.post(
        "/portal-users", {"client_id": client_id, "email": "Nina@Bakery.example", "name": "Nina"}
    )
    assert created.status_code == 201, created.json()
    assert created.json()["state"] == "invited" and created.json()["invitation_sent"] is True
    assert (
        "/portal/invitation/" in sink.to("nina@bakery.example")[0].message.get_body(("plain",)).get_content()
    )
    again = api.post("/portal-users", {"client_id": client_id, "email": "nina@bakery.example"})
    assert again.status_code == 422 and "email" in again.json()["fields"]

    revoked = api.post(f"/portal-users/{created.json()['id']}/revoke")
    assert revoked.json()["state"] == "revoked"


@pytest.mark.django_db
def test_other_agencies_and_plans_without_a_portal(world: World) -> None:
    api = Api(issue_token(world.agencies[0]))
    foreign = world.clients[2].client.pk
    response = api.post("/portal-users", {"client_id": foreign, "email": "x@garage.example"})
    assert response.status_code == 422 and "client_id" in response.json()["fields"]
    foreign_user = ClientUser.objects.create(client=world.clients[2].client, email="g@garage.example")
    assert api.post(f"/portal-users/{foreign_user.pk}/revoke").status_code == 404
    basic = make_client(world.agencies[0], "kiosk", "Kiosk", plan="basic").client
    response = api.post("/portal-users", {"client_id": basic.pk, "email": "k@kiosk.example"})
    assert response.status_code == 422 and "portal" in response.json()["fields"]["client_id"]
    assert not ClientUser.objects.filter(client=basic).exists()
