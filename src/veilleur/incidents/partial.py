"""Partial outages: some regions fail while most succeed (``domain/quorum.py``).

Stored as incidents of kind PARTIAL, one open per monitor (the database's one-open-per-kind
rule), beside DOWN and DEGRADED: never downtime, no response SLA clock. Written by the checker's
recorder in the transaction of the check that decided, like DOWN incidents. No notice is sent:
the site answers for most of the world, and the agency sees the partial outage on its dashboard,
the site's page and the API.
"""

from __future__ import annotations

from datetime import timedelta

from veilleur.clients.models import Site
from veilleur.domain.quorum import PartialChanged, PartialEnded, PartialOpened
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import Monitor
from veilleur.statuspages.models import bump_pages_of_clients

PARTIAL = Incident.Kind.PARTIAL
TICK = timedelta(microseconds=1)


def region_list(regions: frozenset[str]) -> str:
    return ", ".join(sorted(region or "-" for region in regions))


def apply_partial_event(monitor_id: int, event: object, proof: list[dict[str, object]]) -> None:
    open_partial = Incident.objects.filter(monitor_id=monitor_id, kind=PARTIAL, resolved_at__isnull=True)
    if isinstance(event, PartialOpened):
        if open_partial.exists():  # stored already (a batch stored again after a lost commit)
            return
        monitor = Monitor.objects.select_related("site").get(pk=monitor_id)
        Incident.objects.create(
            monitor=monitor,
            kind=PARTIAL,
            first_failed_at=event.first_failed_at,
            confirmed_at=max(event.confirmed_at, event.first_failed_at),
            cause_error_class=event.cause.error_class or "other",
            cause_status_code=event.cause.status_code,
            cause_message=event.cause.message,
            regions=region_list(event.regions),
            proof=proof,
        )
    elif isinstance(event, PartialChanged):
        open_partial.update(regions=region_list(event.regions))
        return
    elif isinstance(event, PartialEnded):
        for incident in open_partial:
            # The database wants the recovery after the confirmation: a round that ended the
            # outage begins after the one that confirmed it, but its first check may have
            # started while the confirming one was still running.
            recovered = max(event.recovered_at, incident.confirmed_at + TICK)
            resolved = max(event.resolved_at, recovered)
            Incident.objects.filter(pk=incident.pk, resolved_at__isnull=True).update(
                recovered_at=recovered, resolved_at=resolved, recovery_proof=proof
            )
    else:
        return
    bump_pages_of_clients(Site.objects.filter(monitors=monitor_id).values("client_id"))
