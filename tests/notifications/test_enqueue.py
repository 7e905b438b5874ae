"""Incident events write their notices in the checker's transaction, once per recipient."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import translation

from veilleur.accounts.models import Agency
from veilleur.clients.models import Client, Contact
from veilleur.incidents.models import Incident
from veilleur.notifications.enqueue import enqueue_incident_notices, incident_recipients
from veilleur.notifications.models import OnCallAddress, OutboxMessage
from veilleur.plans.models import Plan

from .conftest import CONTACT, ON_CALL, Outage, Shop

Kind = OutboxMessage.Kind


def rows(kind: str) -> list[tuple[str, str, str]]:
    return sorted(OutboxMessage.objects.filter(kind=kind).values_list("recipient", "audience", "language"))


def test_an_outage_enqueues_one_notice_per_recipient(shop: Shop) -> None:
    outage = Outage(shop.monitor)
    incident = outage.go_down()
    assert rows(Kind.INCIDENT_CONFIRMED) == [(ON_CALL, "agency", "en"), (CONTACT, "client", "fr")]
    row = OutboxMessage.objects.get(recipient=ON_CALL)
    assert row.incident == incident and row.agency == shop.agency and row.state == "pending"
    assert row.idempotency_key == f"incident_confirmed:{incident.pk}:email:{ON_CALL}"
    assert row.message_id.startswith("<outbox-") and row.message_id.endswith("@veilleur.atelier.example>")
    assert incident.notified_at is None  # set when an alert leaves, not when it is queued

    outage.recover()
    assert rows(Kind.INCIDENT_RECOVERED) == [(ON_CALL, "agency", "en"), (CONTACT, "client", "fr")]


def test_the_message_id_is_on_the_sender_s_domain(shop: Shop) -> None:
    """An agency that sends from its own address gets Message-IDs on that address's domain, not
    on the host of its Veilleur address."""
    Agency.objects.filter(pk=shop.agency.pk).update(sender_email="alertes@atelier-lumiere.fr")
    Outage(shop.monitor).go_down()
    ids = set(OutboxMessage.objects.values_list("message_id", flat=True))
    assert ids and all(message_id.endswith("@atelier-lumiere.fr>") for message_id in ids)


def test_a_replayed_event_enqueues_nothing_more(shop: Shop) -> None:
    incident = Outage(shop.monitor).go_down()
    before = list(OutboxMessage.objects.values_list("pk", "message_id"))
    assert enqueue_incident_notices(incident, Kind.INCIDENT_CONFIRMED) == 0
    assert list(OutboxMessage.objects.values_list("pk", "message_id")) == before


def test_notices_share_the_fate_of_the_event(shop: Shop) -> None:
    """A checker that dies before committing leaves neither the incident nor its notices."""
    outage = Outage(shop.monitor)
    with pytest.raises(RuntimeError), transaction.atomic():
        outage.go_down()
        assert OutboxMessage.objects.count() == 2
        raise RuntimeError("killed before the commit")
    assert not Incident.objects.exists() and not OutboxMessage.objects.exists()


def test_on_call_scopes_pick_the_right_addresses(shop: Shop, agency: Agency) -> None:
    premium = shop.client.plan
    basic = Plan.objects.get(agency=agency, key="basic")
    other_client = Client.objects.create(agency=agency, key="other", name="Other", plan=premium)
    OnCallAddress.objects.create(agency=agency, email="premium@atelier.example", plan=premium)
    OnCallAddress.objects.create(agency=agency, email="basic@atelier.example", plan=basic)
    OnCallAddress.objects.create(agency=agency, email="Martin@Atelier.example", client=shop.client)
    OnCallAddress.objects.create(agency=agency, email="other@atelier.example", client=other_client)
    incident = Outage(shop.monitor).go_down()
    assert [(r.address, r.audience) for r in incident_recipients(incident)] == [
        (ON_CALL, "agency"),
        ("martin@atelier.example", "agency"),
        ("premium@atelier.example", "agency"),
        (CONTACT, "client"),
    ]


def test_an_address_that_is_both_gets_the_agency_version_once(shop: Shop) -> None:
    Contact.objects.create(client=shop.client, email=ON_CALL, receives_incident_notices=True)
    Outage(shop.monitor).go_down()
    assert rows(Kind.INCIDENT_CONFIRMED) == [(ON_CALL, "agency", "en"), (CONTACT, "client", "fr")]


def test_a_plan_without_email_alerts_only_informs_the_contacts(shop: Shop) -> None:
    Plan.objects.filter(pk=shop.client.plan_id).update(email_alerts=False)
    Outage(shop.monitor).go_down()
    assert rows(Kind.INCIDENT_CONFIRMED) == [(CONTACT, "client", "fr")]


def test_another_agency_s_on_call_address_is_never_used(shop: Shop, make_agency: object) -> None:
    other = make_agency(key="rival", name="Rival")  # type: ignore[operator]
    OnCallAddress.objects.create(agency=other, email="spy@rival.example")
    incident = Outage(shop.monitor).go_down()
    assert "spy@rival.example" not in [r.address for r in incident_recipients(incident)]


def test_on_call_scope_is_one_plan_or_one_client(shop: Shop) -> None:
    from django.core.exceptions import ValidationError

    address = OnCallAddress(
        agency=shop.agency, email="x@atelier.example", plan=shop.client.plan, client=shop.client
    )
    with translation.override("en"), pytest.raises(ValidationError, match="not both"):
        address.full_clean()


def test_a_blip_enqueues_nothing(shop: Shop) -> None:
    outage = Outage(shop.monitor)
    outage.check(ok=False)
    outage.check(ok=True)
    assert not OutboxMessage.objects.exists()
