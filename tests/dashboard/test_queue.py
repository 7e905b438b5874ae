"""The incident queue and page: filters, bulk acknowledgement, notes, tenancy."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.test import Client as HttpClient
from django.utils import timezone

from tests.dashboard.conftest import add_site
from veilleur.accounts.models import Agency, StaffUser
from veilleur.incidents.ack import acknowledge
from veilleur.incidents.models import AckChannel, Incident, IncidentNote
from veilleur.plans.models import Plan
from veilleur.statuspages.data import page_data
from veilleur.statuspages.models import StatusComponent, StatusPage


def open_incident(agency: Agency, key: str, minutes: int = 10, plan: str = "standard") -> Incident:
    monitor = add_site(agency, key, plan=plan, down_since=timedelta(minutes=minutes))
    return Incident.objects.get(monitor=monitor)


def listed(page: Any) -> list[str]:
    return [incident.monitor.site.key for incident, _ in page.context["rows"]]


def test_filters_status_client_plan_month_and_outcome(signed_in: HttpClient, owner: StaffUser) -> None:
    agency = owner.agency
    late = open_incident(agency, "late", minutes=90)  # due after 60 minutes: missed
    open_incident(agency, "waiting", minutes=5, plan="premium")  # pending
    done = open_incident(agency, "done", minutes=30)
    acknowledge(done.pk, agency, AckChannel.API, label="token")  # met
    old = open_incident(agency, "old", minutes=60 * 24 * 70)
    Incident.objects.filter(pk=old.pk).update(
        recovered_at=old.first_failed_at + timedelta(minutes=4),
        resolved_at=old.first_failed_at + timedelta(minutes=5),
    )

    assert set(listed(signed_in.get("/incidents/?status=open"))) == {"late", "waiting", "done"}
    assert listed(signed_in.get("/incidents/?status=resolved")) == ["old"]
    assert listed(signed_in.get(f"/incidents/?client={late.monitor.site.client_id}")) == ["late"]
    premium = Plan.objects.get(agency=agency, key="premium")
    assert listed(signed_in.get(f"/incidents/?plan={premium.pk}")) == ["waiting"]
    assert listed(signed_in.get("/incidents/?outcome=missed")) == ["late"]
    assert listed(signed_in.get("/incidents/?outcome=pending")) == ["waiting"]
    assert set(listed(signed_in.get("/incidents/?outcome=met"))) == {"done", "old"}
    month = old.first_failed_at.astimezone(ZoneInfo(agency.time_zone)).strftime("%Y-%m")
    assert "old" in listed(signed_in.get(f"/incidents/?month={month}"))
    bad = signed_in.get("/incidents/?month=2026-13&outcome=maybe", HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 200 and set(bad.context["filters"].errors) == {"month", "outcome"}
    assert b"YYYY-MM" in bad.content


def test_bulk_acknowledge_goes_through_the_ack_path(signed_in: HttpClient, owner: StaffUser) -> None:
    agency = owner.agency
    first, second, third = (open_incident(agency, key) for key in ("alpha", "bravo", "charlie"))
    acknowledge(third.pk, agency, AckChannel.EMAIL_LINK, label="oncall@atelier.example")
    answer = signed_in.post(
        "/incidents/acknowledge",
        {"incident": [first.pk, second.pk, third.pk], "back_status": "open"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert answer.redirect_chain[-1][0] == "/incidents/?status=open"
    text = answer.content.decode()
    assert "2 incidents acknowledged" in text and "1 was already acknowledged" in text
    for incident in (first, second):
        incident.refresh_from_db()
        assert incident.ack_channel == AckChannel.STAFF_PAGE
        assert incident.acknowledged_by == owner and incident.acknowledged_by_label == owner.email
        assert incident.acknowledged_at is not None and incident.acknowledged_at >= incident.confirmed_at
    third.refresh_from_db()
    assert third.ack_channel == AckChannel.EMAIL_LINK


def test_bulk_acknowledge_refuses_another_agencys_ids_and_touches_nothing(
    signed_in: HttpClient, owner: StaffUser, make_agency: Any
) -> None:
    mine = open_incident(owner.agency, "alpha")
    theirs = open_incident(make_agency(key="rival", name="Rival"), "secret")
    answer = signed_in.post("/incidents/acknowledge", {"incident": [mine.pk, theirs.pk]})
    assert answer.status_code == 404
    assert not Incident.objects.filter(acknowledged_at__isnull=False).exists()
    assert signed_in.post("/incidents/acknowledge", {"incident": ["x"]}).status_code == 404
    assert signed_in.get("/incidents/acknowledge").status_code == 405


def test_another_agencys_incident_page_and_forms_are_not_found(
    signed_in: HttpClient, owner: StaffUser, make_agency: Any
) -> None:
    theirs = open_incident(make_agency(key="rival", name="Rival"), "secret")
    assert signed_in.get(f"/incidents/{theirs.pk}/").status_code == 404
    assert (
        signed_in.post(f"/incidents/{theirs.pk}/notes", {"kind": "internal", "text": "x"}).status_code == 404
    )
    assert not IncidentNote.objects.exists()
    assert b"secret" not in signed_in.get("/incidents/").content


def test_a_member_acknowledges_and_keeps_notes_that_stay_internal(
    client: HttpClient, owner: StaffUser
) -> None:
    member = StaffUser.objects.create_user(email="member@atelier.example", agency=owner.agency, role="member")
    client.force_login(member)
    incident = open_incident(owner.agency, "alpha")
    page = StatusPage.objects.create(client=incident.monitor.site.client, slug="alpha", title="Alpha")
    StatusComponent.objects.create(page=page, site=incident.monitor.site)

    assert client.post(f"/incidents/{incident.pk}/ack").status_code == 302
    kept = client.post(
        f"/incidents/{incident.pk}/notes",
        {"kind": "internal", "text": "Host reboots, Karim on it"},
        follow=True,
    )
    assert kept.status_code == 200 and "Host reboots, Karim on it" in kept.content.decode()
    client.post(f"/incidents/{incident.pk}/notes", {"kind": "resolution", "text": "PHP-FPM restarted"})
    notes = list(IncidentNote.objects.filter(incident=incident).values_list("kind", "written_by"))
    assert notes == [("internal", member.pk), ("resolution", member.pk)]
    detail = client.get(f"/incidents/{incident.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Resolution" in detail and "PHP-FPM restarted" in detail

    public = page_data(page, timezone.now())
    assert all("Karim" not in update.message for item in public.incidents for update in item.updates)
    status_html = client.get("/s/alpha/").content.decode()
    assert "Karim" not in status_html and "PHP-FPM" not in status_html


def test_a_bad_note_names_its_field(signed_in: HttpClient, owner: StaffUser) -> None:
    incident = open_incident(owner.agency, "alpha")
    answer = signed_in.post(f"/incidents/{incident.pk}/notes", {"kind": "secret", "text": "  "})
    assert answer.status_code == 400
    assert set(answer.context["note_form"].errors) == {"kind", "text"}
    assert not IncidentNote.objects.exists()
