"""Degraded-performance notices: to the agency's on-call only, once each way, in words that say
slow and not down; and an outage during a slowdown is its own incident with its own notices."""

from __future__ import annotations

from datetime import timedelta

import pytest

from veilleur.incidents.models import Incident
from veilleur.notifications.enqueue import enqueue_performance_notice
from veilleur.notifications.models import OutboxMessage

from .conftest import CONTACT, ON_CALL, T0, FakeClock, Outage, Shop, deliverer
from .mailsink import MailSink
from .test_delivery import text_part

pytestmark = pytest.mark.django_db

Kind = OutboxMessage.Kind


def slowdown(shop: Shop, *, recovered: bool) -> Incident:
    start = T0 - timedelta(hours=2)
    proof = [
        {"at": (start + timedelta(seconds=30 * i)).isoformat(), "ok": True, "total_ms": 4100}
        for i in range(3)
    ]
    return Incident.objects.create(
        monitor=shop.monitor,
        kind=Incident.Kind.DEGRADED,
        first_failed_at=start,
        confirmed_at=start + timedelta(minutes=1),
        recovered_at=start + timedelta(minutes=40) if recovered else None,
        resolved_at=start + timedelta(minutes=41) if recovered else None,
        cause_error_class="slow",
        cause_message="4100 ms > 3000 ms",
        proof=proof,
    )


@pytest.mark.parametrize(
    ("language", "opened", "closed", "not_down"),
    [
        (
            "en",
            "[Atelier Lumière] Slow, not down: Boutique en ligne (Boulangerie Martin)",
            "[Atelier Lumière] Speed back to normal: Boutique en ligne (Boulangerie Martin)",
            "This is not downtime",
        ),
        (
            "fr",
            "[Atelier Lumière] Lent, pas en panne : Boutique en ligne (Boulangerie Martin)",
            "[Atelier Lumière] Vitesse revenue à la normale : Boutique en ligne (Boulangerie Martin)",
            "Ce n’est pas une panne",
        ),
    ],
)
def test_slow_and_back_to_normal_reach_the_on_call_once(
    shop: Shop, sink: MailSink, clock: FakeClock, language: str, opened: str, closed: str, not_down: str
) -> None:
    shop.agency.language = language
    shop.agency.save()
    incident = slowdown(shop, recovered=True)
    for _ in range(2):  # a second worker, or a replay, adds nothing
        enqueue_performance_notice(incident, Kind.PERFORMANCE_DEGRADED)
        enqueue_performance_notice(incident, Kind.PERFORMANCE_RESTORED)
    assert deliverer(sink.port, clock).run().sent == 2
    assert not deliverer(sink.port, clock).run()
    assert [message.recipients for message in sink.messages()] == [[ON_CALL], [ON_CALL]]
    assert not sink.to(CONTACT)  # slow is not down: the client's contacts are not mailed
    subjects = sorted(message.subject for message in sink.messages())
    assert sorted([opened, closed]) == subjects
    [first] = [message for message in sink.messages() if message.subject == opened]
    text = text_part(first)
    assert not_down in text and "4100 ms" in text


def test_a_plan_without_email_alerts_sends_none(shop: Shop) -> None:
    shop.client.plan.email_alerts = False
    shop.client.plan.save()
    incident = slowdown(shop, recovered=False)
    assert enqueue_performance_notice(incident, Kind.PERFORMANCE_DEGRADED) == 0


def test_an_outage_during_a_slowdown_is_its_own_incident(shop: Shop) -> None:
    slow = slowdown(shop, recovered=False)
    outage = Outage(shop.monitor)
    for _ in range(3):  # a failure and its two confirmations (premium plan)
        outage.check(ok=False)
    down = Incident.objects.get(monitor=shop.monitor, kind=Incident.Kind.DOWN)
    assert down.kind == Incident.Kind.DOWN and down.pk != slow.pk
    assert set(OutboxMessage.objects.filter(incident=down).values_list("kind", flat=True)) == {
        Kind.INCIDENT_CONFIRMED
    }
    outage.recover()
    down.refresh_from_db()
    slow.refresh_from_db()
    assert down.resolved_at is not None
    assert slow.resolved_at is None  # the checker closes outages only; the slowdown has its own rule
    assert not OutboxMessage.objects.filter(incident=slow).exists()
