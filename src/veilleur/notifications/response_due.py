"""The response due time an alert announces.

A hook for the SLA clock (DESIGN.md §5): alerts show "Respond by …" only when this returns a
time. Until the clock fills ``Incident.sla_due_at`` at confirmation, it returns None and the
line is left out.
"""

from __future__ import annotations

from datetime import datetime

from veilleur.incidents.models import Incident


def incident_response_due(incident: Incident) -> datetime | None:
    return incident.sla_due_at
