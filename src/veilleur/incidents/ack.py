"""Acknowledging an incident: the human response the SLA clock measures.

Whatever the channel (the alert's link, the staff page, the API), the first acknowledgement
wins through one compare-and-set update; a second one changes nothing and is answered politely.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from veilleur.accounts.models import Agency, StaffUser
from veilleur.incidents.models import AckChannel, Incident


@dataclass(frozen=True)
class AckOutcome:
    incident: Incident
    acknowledged_now: bool  # False: it had already been acknowledged (by whom: see the incident)


def acknowledge(
    incident_id: int,
    agency: Agency,
    channel: AckChannel,
    *,
    user: StaffUser | None = None,
    label: str = "",
    at: datetime | None = None,
) -> AckOutcome:
    """Record the acknowledgement unless one exists; raises Incident.DoesNotExist for another
    agency's incident, exactly as for a missing one."""
    incident = Incident.objects.get(pk=incident_id, agency=agency)
    # An acknowledgement cannot precede the confirmation it answers, even with a skewed clock.
    when = max(at or timezone.now(), incident.confirmed_at)
    updated = Incident.objects.filter(pk=incident_id, agency=agency, acknowledged_at__isnull=True).update(
        acknowledged_at=when,
        acknowledged_by=user,
        acknowledged_by_label=label or (user.email if user else ""),
        ack_channel=channel,
    )
    incident.refresh_from_db()
    return AckOutcome(incident, acknowledged_now=updated == 1)
