"""The SLA clock of stored incidents."""

from __future__ import annotations

from datetime import datetime

from veilleur.domain.sla import SlaOutcome, sla_outcome
from veilleur.incidents.models import Incident


def sla_outcome_of(incident: Incident, now: datetime) -> SlaOutcome:
    return sla_outcome(incident.sla_due_at, incident.acknowledged_at, incident.recovered_at, now)
