"""The link in an alert: a real mail from a real outage; GET shows the page and acknowledges
nothing, POST acknowledges with channel email_link, a second POST is answered politely."""

from __future__ import annotations

import re

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from veilleur.domain.sla import SlaOutcome
from veilleur.incidents.models import Incident
from veilleur.incidents.sla import sla_outcome_of

from .conftest import ON_CALL, FakeClock, Outage, Shop, deliverer
from .mailsink import MailSink


def ack_path_from_mail(sink: MailSink) -> str:
    [alert] = sink.to(ON_CALL)
    body = alert.message.get_body(preferencelist=("plain",))
    assert body is not None
    match = re.search(r"https://veilleur\.atelier\.example(/ack/[^/\s]+/)", str(body.get_content()))  # type: ignore[attr-defined]
    assert match, "no acknowledgement link in the alert"
    return match.group(1)


def test_alert_link_acknowledges_only_on_post(
    shop: Shop, sink: MailSink, clock: FakeClock, client: HttpClient
) -> None:
    incident = Outage(shop.monitor).go_down()
    deliverer(sink.port, clock).run()
    path = ack_path_from_mail(sink)

    for _ in range(2):  # a mail scanner, then the person
        page = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200 and b"Acknowledge: I am on it" in page.content
    incident.refresh_from_db()
    assert incident.acknowledged_at is None

    done = client.post(path, HTTP_ACCEPT_LANGUAGE="en")
    assert done.status_code == 200 and b"The response time is recorded" in done.content
    incident.refresh_from_db()
    assert incident.ack_channel == "email_link" and incident.acknowledged_by_label == ON_CALL
    assert incident.acknowledged_at is not None

    again = client.post(path, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 200 and b"Already acknowledged by" in again.content
    assert Incident.objects.get(pk=incident.pk).acknowledged_at == incident.acknowledged_at


def test_after_the_recovery_the_link_records_who_looked_and_changes_no_outcome(
    shop: Shop, sink: MailSink, clock: FakeClock, client: HttpClient
) -> None:
    """A 3 a.m. outage that healed in minutes, opened from the mail hours later: no "I am on it"
    button, and pressing the one there is leaves the outcome as the recovery settled it."""
    outage = Outage(shop.monitor)
    outage.go_down()
    deliverer(sink.port, clock).run()
    path = ack_path_from_mail(sink)
    recovered = outage.recover()
    assert recovered.recovered_at is not None and recovered.sla_due_at is not None
    assert recovered.recovered_at < recovered.sla_due_at
    settled = sla_outcome_of(recovered, timezone.now())
    assert settled is SlaOutcome.MET_RECOVERED

    page = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and b"Acknowledge: I am on it" not in page.content
    assert (
        b"the response outcome is settled" in page.content and b"Record that I looked at it" in page.content
    )

    done = client.post(path, HTTP_ACCEPT_LANGUAGE="en")
    assert done.status_code == 200 and b"the response outcome stays as it was" in done.content
    recovered.refresh_from_db()
    assert recovered.acknowledged_at is not None and recovered.acknowledged_at > recovered.sla_due_at
    assert recovered.acknowledged_by_label == ON_CALL
    assert sla_outcome_of(recovered, timezone.now()) is settled


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["garbage", "eyJpIjoxLCJvIjoxfQ:1vAbCd:tampered-signature"])
def test_bad_links_answer_404_with_an_explanation(client: HttpClient, token: str) -> None:
    page = client.get(f"/ack/{token}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 404 and b"This link cannot be used" in page.content
    assert client.post(f"/ack/{token}/").status_code == 404
