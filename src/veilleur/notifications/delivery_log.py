"""What was sent about an incident: for its page, its timeline and the agency's evidence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from veilleur.incidents.models import Incident
from veilleur.notifications.models import OutboxMessage


@dataclass(frozen=True)
class DeliveryLogEntry:
    kind: str
    kind_label: str
    recipient: str
    audience: str
    channel: str
    attempts: int
    state: str  # pending, sending, sent, failed
    state_label: str
    enqueued_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None  # when a pending row will be tried again
    last_error: str
    message_id: str

    @property
    def at(self) -> datetime:
        """When it happened: the sending time once sent, else when it was enqueued."""
        return self.sent_at or self.enqueued_at


def delivery_log(incident: Incident) -> list[DeliveryLogEntry]:
    """Every notification of the incident, oldest first (same instant: by recipient)."""
    rows = OutboxMessage.objects.filter(incident=incident, agency_id=incident.agency_id).order_by(
        "created_at", "kind", "recipient"
    )
    return [_entry(row) for row in rows]


def _entry(row: OutboxMessage) -> DeliveryLogEntry:
    waiting = row.state in (OutboxMessage.State.PENDING, OutboxMessage.State.SENDING)
    return DeliveryLogEntry(
        kind=row.kind,
        kind_label=row.get_kind_display(),
        recipient=row.recipient,
        audience=row.audience,
        channel=row.channel,
        attempts=row.attempts,
        state=row.state,
        state_label=row.get_state_display(),
        enqueued_at=row.created_at,
        sent_at=row.sent_at,
        next_attempt_at=row.next_attempt_at if waiting else None,
        last_error=row.last_error,
        message_id=row.message_id,
    )
