"""Writing the outbox rows of an incident event, in the transaction that records the event.

Called by the checker while it records a batch: if the checker dies before committing, neither
the incident nor its notices exist; if it commits, both do. A replay of the same event finds the
rows already there (one idempotency key per event, recipient and channel) and adds nothing.
Rows are only written here; rendering and sending happen later, in the worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from veilleur.domain.incidents import IncidentOpened, IncidentRecovered
from veilleur.incidents.models import Incident
from veilleur.notifications.addresses import new_message_id
from veilleur.notifications.channels import channels_for
from veilleur.notifications.models import OnCallAddress, OutboxMessage
from veilleur.notifications.subscribers import enqueue_incident_subscriber_notices

if TYPE_CHECKING:
    from veilleur.accounts.models import Agency
    from veilleur.clients.models import Client

Kind = OutboxMessage.Kind
Audience = OutboxMessage.Audience


@dataclass(frozen=True)
class Recipient:
    address: str
    language: str
    audience: str


def enqueue_for_event(monitor_id: int, event: object) -> int:
    """The notices of a state-machine event just recorded for a monitor (none for other events);
    the number of rows written."""
    if isinstance(event, IncidentOpened):
        opened = Incident.objects.filter(
            monitor_id=monitor_id, kind=Incident.Kind.DOWN, resolved_at__isnull=True
        ).first()
        return _event_notices(opened, Kind.INCIDENT_CONFIRMED, Kind.STATUS_INCIDENT_OPENED) if opened else 0
    if isinstance(event, IncidentRecovered):
        # The incident the recorder has just closed with these very timestamps.
        recovered = Incident.objects.filter(
            monitor_id=monitor_id,
            kind=Incident.Kind.DOWN,
            recovered_at=event.recovered_at,
            resolved_at=event.resolved_at,
        ).first()
        if recovered is None:
            return 0
        return _event_notices(recovered, Kind.INCIDENT_RECOVERED, Kind.STATUS_INCIDENT_RESOLVED)
    return 0


def _event_notices(incident: Incident, kind: str, subscriber_kind: str) -> int:
    """The agency's and the client's contacts' notices, then the status page subscribers' (only
    when the client's page shows the incident's site)."""
    written = enqueue_incident_notices(incident, kind)
    return written + enqueue_incident_subscriber_notices(incident, subscriber_kind)


def enqueue_incident_notices(incident: Incident, kind: str) -> int:
    """One pending email per recipient of ``incident``'s notices of this kind, and one row per
    matching webhook or Apprise channel; rows that exist already are left as they are. The
    number of rows written."""
    agency = incident.agency
    email = OutboxMessage.Channel.EMAIL
    rows = [
        OutboxMessage(
            agency=agency,
            incident=incident,
            kind=kind,
            channel=email,
            audience=recipient.audience,
            recipient=recipient.address,
            language=recipient.language,
            idempotency_key=idempotency_key(kind, incident.pk, email, recipient.address),
            message_id=new_message_id(agency),
        )
        for recipient in incident_recipients(incident)
    ]
    rows += channel_rows(incident, kind)
    before = OutboxMessage.objects.filter(incident=incident, kind=kind).count()
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    return OutboxMessage.objects.filter(incident=incident, kind=kind).count() - before


def idempotency_key(kind: str, incident_id: int, channel: str, recipient: str) -> str:
    return f"{kind}:{incident_id}:{channel}:{recipient}"


def channel_rows(incident: Incident, kind: str) -> list[OutboxMessage]:
    """One row per webhook or Apprise channel in scope that asked for this kind of event.
    Channels speak to the agency's people, in the agency's language; a row names its channel by
    the channel's stable key, and the channel's kind is the row's channel."""
    agency = incident.agency
    return [
        OutboxMessage(
            agency=agency,
            incident=incident,
            kind=kind,
            channel=channel.kind,
            audience=Audience.AGENCY,
            recipient=channel.key,
            language=agency.language,
            idempotency_key=idempotency_key(kind, incident.pk, channel.kind, channel.key),
            message_id=new_message_id(agency),
        )
        for channel in channels_for(incident, kind)
    ]


def enqueue_sla_notice(incident: Incident, kind: str) -> int:
    """The agency's warning (75 % of the response time gone) or breach notice: to the on-call
    addresses in scope — for a breach, those marked for escalation, or all of them when none is."""
    agency = incident.agency
    channel = OutboxMessage.Channel.EMAIL
    addresses = _on_call_in_scope(incident)
    if kind == Kind.SLA_BREACH:
        escalation = addresses.filter(escalation=True)
        addresses = escalation if escalation.exists() else addresses
    rows = [
        OutboxMessage(
            agency=agency,
            incident=incident,
            kind=kind,
            channel=channel,
            audience=Audience.AGENCY,
            recipient=address,
            language=agency.language,
            idempotency_key=idempotency_key(kind, incident.pk, channel, address),
            message_id=new_message_id(agency),
        )
        for address in addresses.order_by("email").values_list("email", flat=True).distinct()
    ]
    rows += channel_rows(incident, kind)
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def enqueue_performance_notice(incident: Incident, kind: str) -> int:
    """A degraded-performance incident opened or cleared: one e-mail to each on-call address in
    scope (when the plan includes e-mail alerts), in the agency's language. The client's contacts
    are not told: slow is not down, and the status page says it in the client's words. The
    number of rows written; rows that exist already are left as they are."""
    client = incident.monitor.site.client
    if not client.plan.email_alerts:
        return 0
    rows = on_call_mails(incident.agency, kind, f"{kind}:{incident.pk}", client, incident=incident)
    before = OutboxMessage.objects.filter(incident=incident, kind=kind).count()
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    return OutboxMessage.objects.filter(incident=incident, kind=kind).count() - before


def on_call_mails(
    agency: Agency, kind: str, key: str, client: Client | None = None, **about: Any
) -> list[OutboxMessage]:
    """Unsaved mails of ``kind`` to the agency's on-call addresses (those whose scope covers
    ``client`` when one is given), in the agency's language, each keyed ``key:email:address`` so
    that writing them again with ``ignore_conflicts`` adds nothing. ``about`` names what the
    mail is about (a notice, a report)."""
    email = OutboxMessage.Channel.EMAIL
    addresses = OnCallAddress.objects.filter(agency_id=agency.pk)
    if client is not None:
        addresses = addresses.filter(OnCallAddress.covering(client))
    return [
        OutboxMessage(
            agency=agency,
            kind=kind,
            channel=email,
            audience=Audience.AGENCY,
            recipient=address,
            language=agency.language,
            idempotency_key=f"{key}:{email}:{address}",
            message_id=new_message_id(agency),
            **about,
        )
        for address in addresses.order_by("email").values_list("email", flat=True).distinct()
    ]


def _on_call_in_scope(incident: Incident) -> QuerySet[OnCallAddress]:
    client = incident.monitor.site.client
    return OnCallAddress.objects.filter(OnCallAddress.covering(client), agency_id=incident.agency_id)


def incident_recipients(incident: Incident) -> list[Recipient]:
    """Who hears about an incident: the on-call addresses whose scope covers the client (when
    the client's plan includes email alerts), in the agency's language, then the client's
    contacts who asked for incident notices, in the client's language. An address that is both
    gets the agency's version, which has the details and the acknowledgement link."""
    client = incident.monitor.site.client
    recipients: dict[str, Recipient] = {}
    if client.plan.email_alerts:
        for address in _on_call_in_scope(incident).order_by("email").values_list("email", flat=True):
            recipients.setdefault(address, Recipient(address, incident.agency.language, Audience.AGENCY))
    contacts = client.contacts.filter(receives_incident_notices=True).order_by("email")
    if client.demo:
        contacts = contacts.none()  # made-up people at made-up addresses
    for address in contacts.values_list("email", flat=True):
        recipients.setdefault(address, Recipient(address, client.language, Audience.CLIENT))
    return list(recipients.values())
