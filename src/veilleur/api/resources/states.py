"""Monitors' current state, as the checker last left it, for one monitor or a dashboard's list."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Case, OuterRef, QuerySet, Subquery, Value, When
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from veilleur.accounts.models import Agency
from veilleur.api.auth import agency_of
from veilleur.api.crud import get_or_404
from veilleur.api.fields import QueryId
from veilleur.api.pagination import Page, PageQuery, paginate
from veilleur.api.resources.monitors import MonitorOut, monitors_of
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import Monitor, MonitorRuntime

router = Router(tags=["monitoring"])

Status = Literal["up", "degraded", "partial", "down", "paused", "unknown"]

STATUS_HELP = (
    "paused: the monitor is paused; unknown: never checked; down: an outage incident is open; "
    "partial: a partial outage is open (checkers in some regions fail while most succeed; never "
    "downtime); degraded: a slow-response incident is open (slow is never downtime); up: otherwise."
)


class StateOut(Schema):
    status: Status = Field(description=STATUS_HELP)
    phase: str | None = Field(
        description="The checker's phase: up, confirming_down, down or confirming_up; "
        "null if never scheduled."
    )
    last_checked_at: datetime | None
    last_ok: bool | None
    last_error_class: str | None = Field(description="Empty after a success; null if never checked.")
    last_total_ms: int | None
    next_check_at: datetime | None = Field(description="When the next check is due; null while paused.")
    open_incident_id: int | None


class MonitorStateOut(StateOut):
    monitor_id: int


class MonitorWithStateOut(MonitorOut):
    state: StateOut

    @staticmethod
    def resolve_state(obj: Monitor) -> dict[str, Any]:
        return state_of(obj)


class StateQuery(PageQuery):
    site_id: QueryId | None = None
    client_id: QueryId | None = None


def _open_incidents() -> QuerySet[Incident]:
    # An outage outranks a partial outage, which outranks a slowdown: a monitor slow and then
    # down is down.
    down_first = Case(
        When(kind=Incident.Kind.DOWN, then=Value(0)),
        When(kind=Incident.Kind.PARTIAL, then=Value(1)),
        default=Value(2),
    )
    still_open = Incident.objects.filter(monitor=OuterRef("pk"), resolved_at__isnull=True)
    return still_open.order_by(down_first, "pk")


def with_state(monitors: QuerySet[Monitor]) -> QuerySet[Monitor]:
    """Monitors with what their state needs, in the same query: the runtime and the open incident."""
    # At most one incident of each kind is open per monitor (a database constraint): the first is
    # the outage when there is one, else the slowdown.
    return monitors.select_related("runtime").annotate(
        open_incident_id=Subquery(_open_incidents().values("id")[:1]),
        open_incident_kind=Subquery(_open_incidents().values("kind")[:1]),
    )


def runtime_of(monitor: Monitor) -> MonitorRuntime | None:
    try:
        return monitor.runtime
    except ObjectDoesNotExist:  # the checker has not scheduled this monitor yet
        return None


def status_of(monitor: Monitor, runtime: MonitorRuntime | None) -> Status:
    if monitor.paused:
        return "paused"
    if runtime is None or runtime.last_checked_at is None:
        return "unknown"
    kind = getattr(monitor, "open_incident_kind", None)
    if kind is None:
        return "up"
    if kind == Incident.Kind.DEGRADED:
        return "degraded"
    return "partial" if kind == Incident.Kind.PARTIAL else "down"


def state_of(monitor: Monitor) -> dict[str, Any]:
    """The state of a monitor loaded through :func:`with_state`."""
    runtime = runtime_of(monitor)
    checked = runtime is not None and runtime.last_checked_at is not None
    return {
        "status": status_of(monitor, runtime),
        "phase": runtime.phase if runtime else None,
        "last_checked_at": runtime.last_checked_at if runtime else None,
        "last_ok": runtime.last_ok if runtime else None,
        "last_error_class": runtime.last_error_class if runtime and checked else None,
        "last_total_ms": runtime.last_total_ms if runtime else None,
        # The checker skips paused monitors, whatever due_at still says.
        "next_check_at": runtime.due_at if runtime and not monitor.paused else None,
        "open_incident_id": getattr(monitor, "open_incident_id", None),
    }


def monitors_with_state(agency: Agency) -> QuerySet[Monitor]:
    return with_state(monitors_of(agency))


@router.get(
    "/states",
    response=Page[MonitorWithStateOut],
    summary="List monitors with their current state",
    description="For dashboards: every monitor of the agency (optionally of one client or site) "
    "with a `state` object, in id order, paginated like every list.",
)
def list_monitor_states(request: HttpRequest, query: Query[StateQuery]) -> dict[str, Any]:
    monitors = monitors_with_state(agency_of(request))
    if query.site_id is not None:
        monitors = monitors.filter(site_id=query.site_id)
    if query.client_id is not None:
        monitors = monitors.filter(site__client_id=query.client_id)
    return paginate(monitors, query)


@router.get("/{id}/state", response=MonitorStateOut, summary="Read a monitor's current state")
def read_monitor_state(request: HttpRequest, id: QueryId) -> dict[str, Any]:
    monitor = get_or_404(monitors_with_state(agency_of(request)), id, "monitor")
    return {"monitor_id": monitor.pk, **state_of(monitor)}
