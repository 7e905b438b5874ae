"""The worker's SLA timers: a warning to the agency at 75 % of the response time if nobody has
acknowledged, and a breach notice at 100 % to the escalation addresses.

Each notice is decided by a compare-and-set on the incident (``sla_warning_sent_at`` /
``sla_breach_sent_at`` from null to now) in the same transaction as its outbox rows, so any
number of workers send each notice once, and a crash sends it once on the next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F, Q, QuerySet

from veilleur.incidents.models import Incident
from veilleur.notifications.enqueue import enqueue_sla_notice
from veilleur.notifications.models import OutboxMessage

BATCH = 200


@dataclass(frozen=True)
class SlaNoticeReport:
    warnings: int
    breaches: int

    def __bool__(self) -> bool:
        return bool(self.warnings or self.breaches)


def send_sla_notices(now: datetime) -> SlaNoticeReport:
    return SlaNoticeReport(
        warnings=_notify(_warning_due(now), "sla_warning_sent_at", OutboxMessage.Kind.SLA_WARNING, now),
        breaches=_notify(_breach_due(now), "sla_breach_sent_at", OutboxMessage.Kind.SLA_BREACH, now),
    )


def _warning_due(now: datetime) -> QuerySet[Incident]:
    # Past the due time only the breach is worth sending (a worker that was down catches up).
    return Incident.objects.filter(
        sla_warn_at__lte=now,
        sla_due_at__gt=now,
        sla_warning_sent_at__isnull=True,
        acknowledged_at__isnull=True,
        recovered_at__isnull=True,
    )


def _breach_due(now: datetime) -> QuerySet[Incident]:
    # Recovered before the due time without an acknowledgement is "met", not a breach.
    return Incident.objects.filter(
        Q(recovered_at__isnull=True) | Q(recovered_at__gt=F("sla_due_at")),
        sla_due_at__lte=now,
        sla_breach_sent_at__isnull=True,
        acknowledged_at__isnull=True,
    )


def _notify(candidates: QuerySet[Incident], stamp: str, kind: str, now: datetime) -> int:
    sent = 0
    for incident_id in list(candidates.order_by("sla_due_at").values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic():
            claimed = candidates.filter(pk=incident_id, **{f"{stamp}__isnull": True}).update(**{stamp: now})
            if claimed != 1:
                continue  # another worker sent it, or someone acknowledged meanwhile
            enqueue_sla_notice(
                Incident.objects.select_related("monitor__site__client").get(pk=incident_id), kind
            )
            sent += 1
    return sent
