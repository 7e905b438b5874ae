"""Reports through the API: list and read with their state, the draft's text (PATCH, checked,
rendered in), publish once, another agency's reports unseen; clients carry their report
settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from django.utils import timezone

from tests.api.conftest import Api, World, build_world, issue_token
from veilleur.accounts.models import Agency
from veilleur.clients.models import Client
from veilleur.notifications.models import OutboxMessage
from veilleur.reports.models import Report
from veilleur.reports.sending import generate_report

pytestmark = pytest.mark.django_db

LAST_MONTH = date(2026, 10, 1)


@pytest.fixture
def draft(world: World) -> Report:
    Client.objects.filter(pk=world.client.pk).update(created_at=datetime(2026, 1, 1, tzinfo=UTC))
    world.client.refresh_from_db()
    return generate_report(world.client, Report.Kind.MONTHLY, LAST_MONTH, timezone.now())


def test_list_and_read_with_the_state(api: Api, draft: Report, world: World) -> None:
    listed = api.get("/reports", {"state": "draft"}).json()
    [item] = listed["items"]
    assert (item["id"], item["client_key"], item["kind"], item["state"]) == (
        draft.pk,
        "acme",
        "monthly",
        "draft",
    )
    assert item["period_start"] == "2026-10-01" and item["published_at"] is None
    assert "performance" in item["hideable_sections"] and "trends" not in item["hideable_sections"]
    assert api.get("/reports", {"state": "published"}).json()["items"] == []
    assert api.get("/reports", {"client_id": world.client.pk}).json()["items"][0]["id"] == draft.pk
    assert api.get(f"/reports/{draft.pk}").json()["intro"] == ""
    pdf = api.get(f"/reports/{draft.pk}/pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content == bytes(draft.pdf)


def test_patch_the_text_then_publish_once(api: Api, draft: Report, world: World) -> None:
    body = {"intro": "A calm month.", "next_steps": "Move to PHP 8.3.", "hidden_sections": ["incidents"]}
    changed = api.patch(f"/reports/{draft.pk}", body)
    assert changed.status_code == 200, changed.content
    assert changed.json()["intro"] == "A calm month." and changed.json()["hidden_sections"] == ["incidents"]
    stored = Report.objects.get(pk=draft.pk)
    assert "A calm month." in stored.html and "Move to PHP 8.3." in stored.html

    published = api.post(f"/reports/{draft.pk}/publish")
    assert published.status_code == 200 and published.json()["state"] == "published"
    assert api.post(f"/reports/{draft.pk}/publish").status_code == 409
    assert [row.recipient for row in OutboxMessage.objects.filter(report=draft)] == [world.contact.email]
    refused = api.patch(f"/reports/{draft.pk}", {"intro": "Changed afterwards"})
    assert refused.status_code == 409 and "published" in refused.json()["error"]
    assert Report.objects.get(pk=draft.pk).intro == "A calm month."


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"intro": "bell\x07"}, "intro"),
        ({"closing_note": "x" * 4001}, "closing_note"),
        ({"hidden_sections": ["headline"]}, "hidden_sections"),
        ({"hidden_sections": ["trends"]}, "hidden_sections"),  # not a section of the monthly
        ({"next_steps": None}, "next_steps"),
        ({"send_after": "2026-11-04T08:00:00"}, "send_after"),  # no UTC offset
        ({"headline": "x"}, "headline"),
    ],
)
def test_bad_patches_name_the_field_and_change_nothing(
    api: Api, draft: Report, body: dict, field: str
) -> None:
    before = Report.objects.values().get(pk=draft.pk)
    response = api.patch(f"/reports/{draft.pk}", body)
    assert response.status_code == 422, response.content
    assert field in response.json()["fields"]
    assert Report.objects.values().get(pk=draft.pk) == before


def test_send_after_schedules_and_null_keeps_the_draft(api: Api, draft: Report) -> None:
    when = "2026-11-04T08:00:00+01:00"
    assert (
        api.patch(f"/reports/{draft.pk}", {"send_after": when}).json()["send_after"] == "2026-11-04T07:00:00Z"
    )
    assert api.patch(f"/reports/{draft.pk}", {"send_after": None}).json()["send_after"] is None


def test_another_agencys_reports_are_unseen(draft: Report, make_agency: Callable[..., Agency]) -> None:
    rival = build_world(make_agency("other", "Other agency"), prefix="rival")
    theirs = Api(issue_token(rival.agency))
    assert theirs.get("/reports").json()["items"] == []
    for response in (
        theirs.get(f"/reports/{draft.pk}"),
        theirs.get(f"/reports/{draft.pk}/pdf"),
        theirs.patch(f"/reports/{draft.pk}", {"intro": "Taken over"}),
        theirs.post(f"/reports/{draft.pk}/publish"),
    ):
        assert response.status_code == 404
    assert Report.objects.get(pk=draft.pk).is_draft and not OutboxMessage.objects.exists()


def test_a_client_carries_its_report_settings(api: Api, world: World) -> None:
    read = api.get(f"/clients/{world.client.pk}").json()
    assert (read["report_day"], read["report_language"], read["report_send_after_days"]) == (None, "", 0)
    changed = api.patch(
        f"/clients/{world.client.pk}",
        {"report_day": 5, "report_language": "en", "report_send_after_days": None},
    )
    assert changed.status_code == 200, changed.content
    client = Client.objects.get(pk=world.client.pk)
    assert (client.report_day, client.reports_language, client.report_send_after_days) == (5, "en", None)
    for body, field in (
        ({"report_day": 29}, "report_day"),
        ({"report_day": 0}, "report_day"),
        ({"report_language": "de"}, "report_language"),
        ({"report_send_after_days": 61}, "report_send_after_days"),
        ({"report_send_after_days": "3"}, "report_send_after_days"),
    ):
        refused = api.patch(f"/clients/{world.client.pk}", body)
        assert refused.status_code == 422 and field in refused.json()["fields"], (body, refused.content)
    assert Client.objects.get(pk=world.client.pk).report_day == 5
