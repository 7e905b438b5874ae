"""The SLA timers: a warning at 75 % if nobody acknowledged, a breach notice at 100 % to the
escalation addresses, each sent once, at the right time, whatever the number of workers."""

from __future__ import annotations

from datetime import timedelta

from veilleur.incidents.ack import acknowledge
from veilleur.incidents.models import AckChannel, Incident
from veilleur.notifications.models import OnCallAddress, OutboxMessage
from veilleur.notifications.sla_notices import send_sla_notices

from .conftest import ON_CALL, FakeClock, Outage, Shop, deliverer
from .mailsink import MailSink

Kind = OutboxMessage.Kind
ESCALATION = "direction@atelier.example"


def notices(kind: str) -> list[str]:
    return sorted(OutboxMessage.objects.filter(kind=kind).values_list("recipient", flat=True))


def test_warning_then_breach_each_once_at_their_time(shop: Shop) -> None:
    OnCallAddress.objects.create(agency=shop.agency, email=ESCALATION, escalation=True)
    incident = Outage(shop.monitor).go_down()
    assert incident.sla_warn_at is not None and incident.sla_due_at is not None
    second = timedelta(seconds=1)

    assert not send_sla_notices(incident.sla_warn_at - second)
    report = send_sla_notices(incident.sla_warn_at)
    assert (report.warnings, report.breaches) == (1, 0)
    assert notices(Kind.SLA_WARNING) == [ON_CALL, ESCALATION]  # the agency, never the client's contact
    assert not send_sla_notices(incident.sla_warn_at + 5 * second)  # once

    assert not send_sla_notices(incident.sla_due_at - second)
    report = send_sla_notices(incident.sla_due_at)
    assert (report.warnings, report.breaches) == (0, 1)
    assert notices(Kind.SLA_BREACH) == [ESCALATION]  # only the escalation address
    assert not send_sla_notices(incident.sla_due_at + timedelta(hours=1))


def test_acknowledged_in_time_sends_nothing(shop: Shop) -> None:
    incident = Outage(shop.monitor).go_down()
    acknowledge(incident.pk, shop.agency, AckChannel.STAFF_PAGE, label="Camille")
    assert incident.sla_due_at is not None
    assert not send_sla_notices(incident.sla_due_at + timedelta(minutes=5))
    assert not OutboxMessage.objects.filter(kind__in=[Kind.SLA_WARNING, Kind.SLA_BREACH]).exists()


def test_recovered_before_due_is_met_without_a_breach(shop: Shop) -> None:
    outage = Outage(shop.monitor)
    outage.go_down()
    incident = outage.recover()
    assert incident.sla_due_at is not None and incident.recovered_at is not None
    assert incident.recovered_at < incident.sla_due_at
    assert not send_sla_notices(incident.sla_due_at + timedelta(minutes=1))


def test_a_late_worker_sends_the_breach_but_not_a_stale_warning(shop: Shop) -> None:
    incident = Outage(shop.monitor).go_down()
    assert incident.sla_due_at is not None
    report = send_sla_notices(incident.sla_due_at + timedelta(hours=2))
    assert (report.warnings, report.breaches) == (0, 1)
    assert notices(Kind.SLA_BREACH) == [ON_CALL]  # no escalation address: every on-call address


def test_breach_notice_is_delivered_by_mail(shop: Shop, sink: MailSink, clock: FakeClock) -> None:
    incident = Outage(shop.monitor).go_down()
    assert incident.sla_due_at is not None
    send_sla_notices(incident.sla_due_at)
    deliverer(sink.port, clock).run()
    subjects = [message.subject for message in sink.to(ON_CALL)]
    assert len(subjects) == 2  # the alert, then the breach notice
    assert Incident.objects.get(pk=incident.pk).sla_breach_sent_at == incident.sla_due_at
