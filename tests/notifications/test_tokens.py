"""Acknowledgement tokens: they name the incident and the alert, and refuse tampering and age."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings

from veilleur.notifications.models import OutboxMessage
from veilleur.notifications.tokens import (
    AckTokenExpired,
    AckTokenInvalid,
    ack_url,
    make_ack_token,
    read_ack_token,
)

from .conftest import ON_CALL, Outage, Shop


def alert(shop: Shop) -> OutboxMessage:
    Outage(shop.monitor).go_down()
    return OutboxMessage.objects.get(recipient=ON_CALL)


def test_a_token_gives_back_its_incident_and_alert(shop: Shop) -> None:
    row = alert(shop)
    assert row.incident is not None
    assert read_ack_token(make_ack_token(row.incident, row)) == (row.incident.pk, row.pk)


def test_the_link_uses_the_agency_address_else_the_install_s(shop: Shop) -> None:
    row = alert(shop)
    assert row.incident is not None
    assert ack_url(row.incident, row).startswith("https://veilleur.atelier.example/ack/")
    row.agency.base_url = ""
    with override_settings(VEILLEUR_BASE_URL="http://127.0.0.1:8000"):
        url = ack_url(row.incident, row)
    assert url.startswith("http://127.0.0.1:8000/ack/") and url.endswith("/")


def test_an_altered_token_is_refused(shop: Shop) -> None:
    row = alert(shop)
    assert row.incident is not None
    token = make_ack_token(row.incident, row)
    payload, stamp, signature = token.split(":")
    for bad in (token[:-2], f"{payload}x:{stamp}:{signature}", "", "not-a-token", token.replace(":", "/")):
        with pytest.raises(AckTokenInvalid, match="not valid"):
            read_ack_token(bad)


def test_a_token_from_another_install_is_refused(shop: Shop) -> None:
    row = alert(shop)
    assert row.incident is not None
    with override_settings(SECRET_KEY="another install's key, long enough to be used as one"):
        foreign = make_ack_token(row.incident, row)
    with pytest.raises(AckTokenInvalid):
        read_ack_token(foreign)


def test_an_old_token_has_expired(shop: Shop) -> None:
    row = alert(shop)
    assert row.incident is not None
    token = make_ack_token(row.incident, row)
    with pytest.raises(AckTokenExpired, match="expired"):
        read_ack_token(token, max_age=timedelta(seconds=-1))
