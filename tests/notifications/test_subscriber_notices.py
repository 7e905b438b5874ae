"""A status page's subscribers hear about the incidents the page shows, through the outbox: one
mail per active subscriber per event, in the page's words and colours, with a one-click
unsubscribe; nobody else's incidents, nothing to pending or unsubscribed addresses."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.test import Client as WebClient
from django.utils import timezone

from veilleur.accounts.models import Agency
from veilleur.clients.models import Client, Site
from veilleur.incidents.models import Incident
from veilleur.incidents.updates import post_update
from veilleur.monitoring.models import Monitor
from veilleur.notifications.models import OutboxMessage
from veilleur.notifications.subscribers import (
    SUBSCRIBER_NOTICE_KINDS,
    enqueue_incident_subscriber_notices,
    enqueue_update_subscriber_notices,
)
from veilleur.plans.models import Plan
from veilleur.statuspages.links import page_url
from veilleur.statuspages.models import StatusComponent, StatusPage, Subscription

from .conftest import FakeClock, Outage, deliverer
from .mailsink import MailSink, Received

Kind = OutboxMessage.Kind

ALICE = "alice@example.org"
BOB = "bob@example.org"
CAROL = "carol@example.org"  # never confirmed
DAVE = "dave@example.org"  # unsubscribed
ERIN = "erin@example.org"  # subscribed to another client's page
PRIVATE_CAUSE = "upstream db01 refused: password authentication failed"


@dataclass
class Bakery:
    page: StatusPage
    shop: Monitor  # its site is on the page, as "Online shop"
    intranet: Monitor  # its site is not on the page
    florist_page: StatusPage
    flowers: Monitor  # another client's site, on that client's page
    subscriptions: dict[str, Subscription]


def _client_with_page(agency: Agency, key: str, name: str, plan: str, language: str = "en") -> StatusPage:
    client = Client.objects.create(
        agency=agency,
        key=key,
        name=name,
        plan=Plan.objects.get(agency=agency, key=plan),
        language=language,
        time_zone="Europe/Paris",
        primary_color="#7a1f3d",
    )
    return StatusPage.objects.create(client=client, slug=key, title=f"{name} status", language=language)


def _monitor(page: StatusPage, key: str, name: str, public_name: str | None) -> Monitor:
    site = Site.objects.create(client=page.client, key=key, name=name, url=f"http://127.0.0.1:9/{key}")
    if public_name is not None:
        StatusComponent.objects.create(page=page, site=site, public_name=public_name)
    return Monitor.objects.create(site=site, key="home", url=f"http://127.0.0.1:9/{key}", timeout_seconds=5)


def _subscribe(
    page: StatusPage, email: str, *, confirmed: bool = True, unsubscribed: bool = False
) -> Subscription:
    now = timezone.now()
    return Subscription.objects.create(
        page=page,
        email=email,
        confirmed_at=now if confirmed else None,
        unsubscribed_at=now if unsubscribed else None,
    )


@pytest.fixture
def bakery(agency: Agency) -> Bakery:
    page = _client_with_page(agency, "bakery", "Bakery", "standard")
    shop = _monitor(page, "shop", "Shopify storefront (prod)", "Online shop")
    intranet = _monitor(page, "intranet", "Staff intranet", None)
    florist_page = _client_with_page(agency, "florist", "Florist", "premium")
    flowers = _monitor(florist_page, "flowers", "Flower catalogue", "Catalogue")
    subscriptions = {
        ALICE: _subscribe(page, ALICE),
        BOB: _subscribe(page, BOB),
        CAROL: _subscribe(page, CAROL, confirmed=False),
        DAVE: _subscribe(page, DAVE, unsubscribed=True),
        ERIN: _subscribe(florist_page, ERIN),
    }
    return Bakery(page, shop, intranet, florist_page, flowers, subscriptions)


def outage_of(monitor: Monitor) -> Outage:
    """Drive this monitor's checks alone: the others are paused meanwhile."""
    Monitor.objects.exclude(pk=monitor.pk).update(paused=True)
    Monitor.objects.filter(pk=monitor.pk).update(paused=False)
    return Outage(monitor)


def fail_with_a_private_cause(incident: Incident) -> None:
    Incident.objects.filter(pk=incident.pk).update(cause_message=PRIVATE_CAUSE)


def deliver(sink: MailSink, clock: FakeClock) -> list[Received]:
    """Send what is due; the mails this run sent."""
    before = len(sink.messages())
    clock.advance(1)
    deliverer(sink.port, clock).run()
    return sink.messages()[before:]


def recipients(mails: list[Received]) -> list[str]:
    return sorted(address for mail in mails for address in mail.recipients)


def header(mail: Received, name: str) -> str:
    # A long header is folded right after its name; the parser keeps the fold's space.
    return str(mail.message[name]).strip()


def _without(text: str, words: dict[str, str]) -> str:
    for word, replacement in words.items():
        text = text.replace(word, replacement)
    return text


def text_of(mail: Received) -> str:
    part = mail.message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def html_of(mail: Received) -> str:
    part = mail.message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def test_each_event_mails_each_active_subscriber_once(
    bakery: Bakery, sink: MailSink, clock: FakeClock
) -> None:
    outage = outage_of(bakery.shop)
    incident = outage.go_down()
    fail_with_a_private_cause(incident)
    opened = deliver(sink, clock)
    assert recipients(opened) == [ALICE, BOB]

    mail = next(item for item in opened if ALICE in item.recipients)
    assert mail.subject == "[Bakery status] Online shop: Outage"
    assert mail.message["From"].addresses[0].display_name == "Bakery status"
    unsubscribe = page_url(bakery.page, f"subscriptions/unsubscribe/{bakery.subscriptions[ALICE].token}/")
    assert header(mail, "List-Unsubscribe") == f"<{unsubscribe}>"
    assert header(mail, "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    text, html = text_of(mail), html_of(mail)
    assert "Component: Online shop" in text and "Status: Outage" in text
    assert "Since: October 1, 2026, 14:0" in text  # the client's zone: Paris, summer time
    assert page_url(bakery.page) in text and unsubscribe in text
    assert page_url(bakery.page) in html and "#7a1f3d" in html and "Bakery status" in html
    links_out = {bakery.subscriptions[ALICE].token: "", bakery.page.slug: ""}  # random or chosen words
    for private in (PRIVATE_CAUSE, "503", "Shopify", "/ack/", "Standard", bakery.page.agency.name):
        assert private not in _without(text, links_out) and private not in _without(html, links_out)
    # Each subscriber's mail carries their own link.
    bob_mail = next(item for item in opened if BOB in item.recipients)
    assert bakery.subscriptions[BOB].token in header(bob_mail, "List-Unsubscribe")
    assert bakery.subscriptions[ALICE].token not in text_of(bob_mail)

    post_update(incident, "identified", "The payment provider is down.\nWe switched to the backup.")
    updated = deliver(sink, clock)
    assert recipients(updated) == [ALICE, BOB]
    mail = next(item for item in updated if ALICE in item.recipients)
    assert mail.subject == "[Bakery status] Online shop: Identified"
    text = text_of(mail)
    assert "The payment provider is down.\nWe switched to the backup." in text
    assert "The payment provider is down.<br>We switched to the backup." in html_of(mail)

    outage.recover()
    resolved = deliver(sink, clock)
    assert recipients(resolved) == [ALICE, BOB]
    mail = next(item for item in resolved if ALICE in item.recipients)
    assert mail.subject == "[Bakery status] Online shop: Resolved"
    assert "Status: Resolved" in text_of(mail) and "Duration: " in text_of(mail)

    assert not sink.to(CAROL) and not sink.to(DAVE) and not sink.to(ERIN)
    rows = OutboxMessage.objects.filter(kind__in=SUBSCRIBER_NOTICE_KINDS)
    assert rows.count() == 6 and set(rows.values_list("state", flat=True)) == {"sent"}
    update = incident.updates.get()
    assert rows.get(kind=Kind.STATUS_INCIDENT_UPDATED, recipient=ALICE).incident_update == update
    key = rows.get(kind=Kind.STATUS_INCIDENT_OPENED, recipient=ALICE).idempotency_key
    assert (
        key == f"status_incident_opened:incident:{incident.pk}:subscription:{bakery.subscriptions[ALICE].pk}"
    )


def test_a_site_off_the_page_or_another_clients_site_mails_these_subscribers_nothing(
    bakery: Bakery, sink: MailSink, clock: FakeClock
) -> None:
    outage_of(bakery.intranet).go_down()
    assert not OutboxMessage.objects.filter(kind__in=SUBSCRIBER_NOTICE_KINDS).exists()

    outage_of(bakery.flowers).go_down()
    assert recipients(deliver(sink, clock)) == [ERIN]
    [mail] = sink.to(ERIN)
    assert mail.subject == "[Florist status] Catalogue: Outage"


def test_a_plan_without_a_status_page_mails_no_subscriber(
    agency: Agency, bakery: Bakery, sink: MailSink, clock: FakeClock
) -> None:
    Client.objects.filter(pk=bakery.page.client_id).update(plan=Plan.objects.get(agency=agency, key="basic"))
    incident = outage_of(bakery.shop).go_down()
    post_update(incident, "investigating", "Looking into it.")
    assert not OutboxMessage.objects.filter(kind__in=SUBSCRIBER_NOTICE_KINDS).exists()


def test_one_click_unsubscribe_stops_the_next_notice(
    bakery: Bakery, sink: MailSink, clock: FakeClock
) -> None:
    incident = outage_of(bakery.shop).go_down()
    [mail] = [item for item in deliver(sink, clock) if ALICE in item.recipients]
    link = header(mail, "List-Unsubscribe").strip("<>")
    # What a mail provider sends on its own: a bare POST, no cookie, no CSRF token.
    provider = WebClient(enforce_csrf_checks=True)
    response = provider.post(
        urlsplit(link).path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert Subscription.objects.get(email=ALICE).unsubscribed_at is not None

    post_update(incident, "monitoring", "A fix is out; we are watching.")
    assert recipients(deliver(sink, clock)) == [BOB]


def test_a_replayed_event_adds_no_notice(bakery: Bakery) -> None:
    incident = outage_of(bakery.shop).go_down()
    update = post_update(incident, "identified", "Found it.")
    rows = list(OutboxMessage.objects.values_list("pk", "message_id"))
    assert len(rows) == 4
    assert enqueue_incident_subscriber_notices(incident, Kind.STATUS_INCIDENT_OPENED) == 0
    assert enqueue_update_subscriber_notices(update) == 0
    assert list(OutboxMessage.objects.values_list("pk", "message_id")) == rows


def test_an_update_and_its_notices_commit_together(bakery: Bakery) -> None:
    incident = outage_of(bakery.shop).go_down()
    with pytest.raises(RuntimeError), transaction.atomic():
        post_update(incident, "identified", "Found it.")
        assert OutboxMessage.objects.filter(kind=Kind.STATUS_INCIDENT_UPDATED).count() == 2
        raise RuntimeError("the request died before the commit")
    assert not incident.updates.exists()
    assert not OutboxMessage.objects.filter(kind=Kind.STATUS_INCIDENT_UPDATED).exists()


def test_a_notice_for_a_site_taken_off_the_page_is_dropped_not_sent(
    bakery: Bakery, sink: MailSink, clock: FakeClock
) -> None:
    outage_of(bakery.shop).go_down()
    StatusComponent.objects.filter(site=bakery.shop.site).delete()
    clock.advance(1)
    report = deliverer(sink.port, clock).run()
    assert report.failed == 2 and report.retrying == 0 and not sink.messages()
    for row in OutboxMessage.objects.filter(kind=Kind.STATUS_INCIDENT_OPENED):
        assert row.state == "failed" and "no longer shown on the status page" in row.last_error


def test_subscribers_read_the_page_in_its_language(bakery: Bakery, sink: MailSink, clock: FakeClock) -> None:
    StatusPage.objects.filter(pk=bakery.page.pk).update(language="fr")
    outage_of(bakery.shop).go_down()
    assert set(
        OutboxMessage.objects.filter(kind__in=SUBSCRIBER_NOTICE_KINDS).values_list("language", flat=True)
    ) == {"fr"}
    mails = deliver(sink, clock)
    assert len(mails) == 2 and all('<html lang="fr">' in html_of(mail) for mail in mails)
