"""Staff incident pages: open first, the timeline, and the acknowledgement button."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from veilleur.accounts.models import Agency, StaffUser
from veilleur.clients.models import Client, Site
from veilleur.domain.sla import SlaOutcome
from veilleur.incidents.ack import acknowledge
from veilleur.incidents.models import AckChannel, Incident
from veilleur.monitoring.models import Monitor
from veilleur.plans.models import Plan

NOW = timezone.now().replace(microsecond=0)


def make_incident(agency: Agency, key: str, *, minutes_ago: int, resolved: bool = False) -> Incident:
    client = Client.objects.create(
        agency=agency, key=key, name=key.title(), plan=Plan.objects.get(agency=agency, key="standard")
    )
    site = Site.objects.create(client=client, key="www", name="Site vitrine", url=f"https://{key}.example/")
    monitor = Monitor.objects.create(site=site, key="home", url=site.url)
    failed = NOW - timedelta(minutes=minutes_ago)
    proof = [
        {
            "at": (failed + timedelta(seconds=3 * i)).isoformat(),
            "ok": False,
            "error_class": "http_status",
            "status_code": 502,
            "total_ms": 40,
            "message": "HTTP 502",
        }
        for i in range(3)
    ]
    incident = Incident.objects.create(
        monitor=monitor,
        first_failed_at=failed,
        confirmed_at=failed + timedelta(seconds=6),
        cause_error_class="http_status",
        cause_status_code=502,
        cause_message="HTTP 502",
        proof=proof,
        sla_due_at=failed + timedelta(hours=1),
    )
    if resolved:
        Incident.objects.filter(pk=incident.pk).update(
            recovered_at=failed + timedelta(minutes=5), resolved_at=failed + timedelta(minutes=5, seconds=6)
        )
    return incident


@pytest.fixture
def signed_in(client: HttpClient, owner: StaffUser) -> HttpClient:
    client.force_login(owner)
    return client


def test_list_shows_open_incidents_first_with_time_left(signed_in: HttpClient, owner: StaffUser) -> None:
    make_incident(owner.agency, "ancienne", minutes_ago=30, resolved=True)
    make_incident(owner.agency, "boulangerie", minutes_ago=90)
    make_incident(owner.agency, "cabinet", minutes_ago=10)
    page = signed_in.get("/incidents/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    names = [incident.monitor.site.client.key for incident, _ in page.context["rows"]]
    assert names == ["cabinet", "boulangerie", "ancienne"]
    html = page.content.decode()
    assert "overdue by" in html and "left" in html


def test_overdue_only_while_the_clock_runs_past_due(signed_in: HttpClient, owner: StaffUser) -> None:
    """Weeks later, an incident that recovered 5 minutes in is "met", never "overdue by 3 weeks"."""
    healed = make_incident(owner.agency, "ancienne", minutes_ago=3 * 7 * 24 * 60, resolved=True)
    late = make_incident(owner.agency, "boulangerie", minutes_ago=90)
    page = signed_in.get("/incidents/", HTTP_ACCEPT_LANGUAGE="en")
    responses = {incident.pk: response for incident, response in page.context["rows"]}
    assert not responses[healed.pk].overdue and responses[healed.pk].outcome is SlaOutcome.MET_RECOVERED
    assert responses[late.pk].overdue
    html = page.content.decode()
    assert html.count("overdue by") == 1 and "met (recovered before the deadline)" in html


def test_a_recovered_incident_offers_no_acknowledgement_and_keeps_its_outcome(
    signed_in: HttpClient, owner: StaffUser
) -> None:
    incident = make_incident(owner.agency, "boulangerie", minutes_ago=5 * 60, resolved=True)
    page = signed_in.get(f"/incidents/{incident.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert b"Acknowledge: I am on it" not in page.content
    assert b"the response outcome is settled: met (recovered before the deadline)" in page.content

    done = signed_in.post(f"/incidents/{incident.pk}/ack", HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert b"Recorded that you looked at it" in done.content
    assert b"after the recovery: recorded, the response outcome is unchanged" in done.content
    incident.refresh_from_db()
    assert incident.acknowledged_by == owner and incident.acknowledged_at is not None
    assert done.context["response"].outcome is SlaOutcome.MET_RECOVERED
    listed = signed_in.get("/incidents/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "after the recovery" in listed and "overdue" not in listed


def test_detail_timeline_and_ack_button(signed_in: HttpClient, owner: StaffUser) -> None:
    incident = make_incident(owner.agency, "boulangerie", minutes_ago=20)
    page = signed_in.get(f"/incidents/{incident.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    kinds = [entry.kind for entry in page.context["timeline"]]
    assert kinds == ["check_failed", "check_failed", "check_failed", "confirmed"]
    assert b"Acknowledge" in page.content

    done = signed_in.post(f"/incidents/{incident.pk}/ack", HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert b"Incident acknowledged" in done.content
    incident.refresh_from_db()
    assert incident.ack_channel == "staff_page" and incident.acknowledged_by == owner
    assert incident.acknowledged_by_label == owner.email

    again = signed_in.post(f"/incidents/{incident.pk}/ack", HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert again.status_code == 200 and b"already acknowledged" in again.content
    first = incident.acknowledged_at
    incident.refresh_from_db()
    assert incident.acknowledged_at == first


def test_get_never_acknowledges(signed_in: HttpClient, owner: StaffUser) -> None:
    incident = make_incident(owner.agency, "boulangerie", minutes_ago=20)
    assert signed_in.get(f"/incidents/{incident.pk}/ack").status_code == 405
    incident.refresh_from_db()
    assert incident.acknowledged_at is None


def test_other_agency_incident_is_not_found(
    signed_in: HttpClient, make_agency: Callable[..., Agency]
) -> None:
    theirs = make_incident(make_agency("other", "Other agency"), "theirs", minutes_ago=20)
    assert signed_in.get(f"/incidents/{theirs.pk}/").status_code == 404
    assert signed_in.post(f"/incidents/{theirs.pk}/ack").status_code == 404
    assert b"Theirs" not in signed_in.get("/incidents/").content
    theirs.refresh_from_db()
    assert theirs.acknowledged_at is None


def test_acknowledge_is_first_wins_and_never_before_confirmation(owner: StaffUser) -> None:
    incident = make_incident(owner.agency, "boulangerie", minutes_ago=20)
    early = incident.confirmed_at - timedelta(minutes=1)
    first = acknowledge(incident.pk, owner.agency, AckChannel.API, label="token ci", at=early)
    assert first.acknowledged_now and first.incident.acknowledged_at == incident.confirmed_at
    second = acknowledge(incident.pk, owner.agency, AckChannel.STAFF_PAGE, user=owner)
    assert not second.acknowledged_now and second.incident.ack_channel == "api"


def test_pages_require_sign_in(client: HttpClient, db: None) -> None:
    assert client.get("/incidents/").status_code == 302
