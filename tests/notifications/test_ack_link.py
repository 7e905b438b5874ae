"""The link in an alert: a real mail from a real outage; GET shows the page and acknowledges
nothing, POST acknowledges with channel email_link, a second POST is answered politely."""

from __future__ import annotations

import re

import pytest
from django.test import Client as HttpClient

from veilleur.incidents.models import Incident

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


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["garbage", "eyJpIjoxLCJvIjoxfQ:1vAbCd:tampered-signature"])
def test_bad_links_answer_404_with_an_explanation(client: HttpClient, token: str) -> None:
    page = client.get(f"/ack/{token}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 404 and b"This link cannot be used" in page.content
    assert client.post(f"/ack/{token}/").status_code == 404
