"""Durations and instants in both languages; the delivery log in the admin, per agency."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as HttpClient
from django.utils import timezone, translation

from veilleur.accounts.models import Agency, StaffUser
from veilleur.notifications.models import OnCallAddress, OutboxMessage
from veilleur.notifications.wording import format_duration, format_instant, format_span

from .conftest import ON_CALL, Outage, Shop


@pytest.mark.parametrize(
    ("seconds", "english", "french"),
    [
        (0, "0 s", "0 s"),
        (45, "45 s", "45 s"),
        (750, "12 min 30 s", "12 min 30 s"),
        (3600, "1 h", "1 h"),
        (3_905.9, "1 h 5 min 5 s", "1 h 5 min 5 s"),
        (2 * 86400 + 3 * 3600, "2 d 3 h", "2 j 3 h"),
    ],
)
def test_durations(seconds: float, english: str, french: str) -> None:
    with translation.override("en"):
        assert format_duration(seconds) == english
    with translation.override("fr"):
        assert format_duration(seconds) == french


def test_instants_follow_the_language_and_the_zone() -> None:
    moment = datetime(2026, 12, 24, 23, 30, 5, tzinfo=UTC)
    with timezone.override(ZoneInfo("Europe/Paris")):
        with translation.override("fr"):
            assert format_instant(moment) == "25 décembre 2026 à 00:30:05 CET"
        with translation.override("en"):
            assert format_instant(moment) == "December 25, 2026, 00:30:05 CET"


@pytest.mark.parametrize("microseconds", [(0, 0), (999_999, 0), (0, 999_999), (400_000, 600_000)])
def test_a_span_agrees_with_the_instants_shown(microseconds: tuple[int, int]) -> None:
    """Instants are shown to the second: 14:00:00 → 14:01:00 reads "1 min", whatever the fractions."""
    start = datetime(2026, 10, 1, 12, 0, 0, microseconds[0], tzinfo=UTC)
    end = datetime(2026, 10, 1, 12, 1, 0, microseconds[1], tzinfo=UTC)
    with translation.override("en"):
        assert format_span(start, end) == "1 min"


@pytest.fixture
def signed_in(client: HttpClient, owner: StaffUser) -> HttpClient:
    client.force_login(owner)
    return client


def test_the_admin_lists_only_the_agency_s_notifications(
    shop: Shop, signed_in: HttpClient, make_agency: Callable[..., Agency]
) -> None:
    Outage(shop.monitor).go_down()
    other = make_agency("rival", "Rival")
    OnCallAddress.objects.create(agency=other, email="spy@rival.example")
    page = signed_in.get("/admin/notifications/outboxmessage/")
    assert page.status_code == 200
    assert ON_CALL.encode() in page.content and b"rival" not in page.content
    row = OutboxMessage.objects.get(recipient=ON_CALL)
    detail = signed_in.get(f"/admin/notifications/outboxmessage/{row.pk}/change/")
    assert detail.status_code == 200 and row.message_id.strip("<>").encode() in detail.content
    assert signed_in.get("/admin/notifications/oncalladdress/").status_code == 200
    assert b"spy@rival" not in signed_in.get("/admin/notifications/oncalladdress/").content
