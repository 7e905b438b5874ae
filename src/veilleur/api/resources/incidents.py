"""Incidents (confirmed outages and slowdowns) with every timestamp, and blips (unconfirmed failures).

Both lists go newest first: by first_failed_at for incidents, by started_at for blips.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from veilleur.accounts.models import Agency
from veilleur.api.auth import agency_of, token_of
from veilleur.api.crud import get_or_404
from veilleur.api.errors import ApiError
from veilleur.api.fields import QueryId
from veilleur.api.pagination import Page, PageQuery, paginate_newest_first
from veilleur.api.timeranges import Instant, check_order
from veilleur.incidents.ack import acknowledge
from veilleur.incidents.models import AckChannel, Blip, Incident
from veilleur.incidents.sla import response_state, sla_outcome_of

router = Router(tags=["monitoring"])
blips_router = Router(tags=["monitoring"])

TIMESTAMP_HELP = "Null until reached."
RANGE_HELP = "With end: only those whose span overlaps [start, end)."


class CauseOut(Schema):
    error_class: str
    status_code: int | None
    message: str


class SlaOut(Schema):
    """The response commitment's clock, fixed when the incident was confirmed."""

    target_minutes: int | None = Field(description="The plan's response target; null if none applied.")
    calendar: str = Field(
        description="business (the agency's opening hours) or always (24/7); empty if none."
    )
    calendar_version: int | None
    started_at: datetime | None = Field(description="confirmed_at, or the next opening of the calendar.")
    warn_at: datetime | None = Field(description="75 % of the target, in the calendar's time.")
    due_at: datetime | None
    outcome: str = Field(
        description="pending, met, met_recovered (recovered before due, no ack), breached; none when no "
        "response commitment applied (a slowdown never starts the clock)."
    )


class IncidentOut(Schema):
    id: int
    monitor_id: int
    site_id: int
    client_id: int
    kind: Literal["down", "degraded", "partial"] = Field(
        description="down: an outage; degraded: slow but up; partial: checkers of some regions failed "
        "while most succeeded (GET /monitors/{id}/regions names them; each proof entry says its region)."
    )
    open: bool = Field(description="Not resolved yet (resolved_at is null).")
    ongoing: bool = Field(description="Not recovered yet: duration_seconds runs to now.")
    first_failed_at: datetime
    confirmed_at: datetime
    notified_at: datetime | None = Field(description=TIMESTAMP_HELP)
    acknowledged_at: datetime | None = Field(description=TIMESTAMP_HELP)
    acknowledged_by: str | None = Field(
        description="Who acknowledged: a staff user's email, the address the alert went to, or the API "
        "token's name; null if not acknowledged."
    )
    ack_channel: str | None = Field(description="How it was acknowledged; null if not acknowledged.")
    first_client_update_at: datetime | None = Field(description=TIMESTAMP_HELP)
    recovered_at: datetime | None = Field(description=TIMESTAMP_HELP)
    resolved_at: datetime | None = Field(description=TIMESTAMP_HELP)
    duration_seconds: float = Field(description="From first_failed_at to recovered_at, or to now if ongoing.")
    downtime_seconds: float = Field(
        description="duration_seconds for an outage; 0 for a slowdown or a partial outage (neither is "
        "ever downtime)."
    )
    cause: CauseOut
    sla: SlaOut
    proof: list[dict[str, Any]] = Field(description="The checks that confirmed the incident.")
    recovery_proof: list[dict[str, Any]] = Field(description="The checks that confirmed the recovery.")
    created_at: datetime


class IncidentQuery(PageQuery):
    monitor_id: QueryId | None = None
    site_id: QueryId | None = None
    client_id: QueryId | None = None
    open: bool | None = Field(None, description="true: unresolved incidents only; false: resolved only.")
    kind: Literal["down", "degraded", "partial"] | None = Field(
        None,
        description="down: outages only; degraded: slowdowns (degraded performance) only; partial: "
        "partial outages (some regions fail, most succeed) only.",
    )
    start: Instant | None = Field(None, description=RANGE_HELP)
    end: Instant | None = Field(None, description=RANGE_HELP)


class BlipOut(Schema):
    id: int
    monitor_id: int
    site_id: int
    client_id: int
    started_at: datetime
    ended_at: datetime
    duration_seconds: float
    error_class: str
    status_code: int | None
    message: str


class BlipQuery(PageQuery):
    monitor_id: QueryId | None = None
    site_id: QueryId | None = None
    client_id: QueryId | None = None
    start: Instant | None = Field(None, description=RANGE_HELP)
    end: Instant | None = Field(None, description=RANGE_HELP)


def incidents_of(agency: Agency) -> QuerySet[Incident]:
    # The monitor's site gives site_id and client_id; the user gives acknowledged_by's email.
    return Incident.objects.filter(agency=agency).select_related("monitor__site", "acknowledged_by")


def blips_of(agency: Agency) -> QuerySet[Blip]:
    # Blips carry no agency of their own: their monitor's is theirs.
    return Blip.objects.filter(monitor__agency=agency).select_related("monitor__site")


def _checks(proof: object) -> list[dict[str, Any]]:
    """The proof's checks; anything else in the JSON column (edited by hand) is left out."""
    return [entry for entry in proof if isinstance(entry, dict)] if isinstance(proof, list) else []


def incident_view(incident: Incident, now: datetime) -> dict[str, Any]:
    duration = incident.downtime_seconds(now)
    user = incident.acknowledged_by
    return {
        "id": incident.pk,
        "monitor_id": incident.monitor_id,
        "site_id": incident.monitor.site_id,
        "client_id": incident.monitor.site.client_id,
        "kind": incident.kind,
        "open": incident.is_open,
        "ongoing": incident.recovered_at is None,
        "first_failed_at": incident.first_failed_at,
        "confirmed_at": incident.confirmed_at,
        "notified_at": incident.notified_at,
        "acknowledged_at": incident.acknowledged_at,
        "acknowledged_by": incident.acknowledged_by_label or (user.email if user is not None else None),
        "ack_channel": incident.ack_channel or None,
        "first_client_update_at": incident.first_client_update_at,
        "recovered_at": incident.recovered_at,
        "resolved_at": incident.resolved_at,
        "duration_seconds": duration,
        "downtime_seconds": duration if incident.kind == Incident.Kind.DOWN else 0.0,
        "cause": {
            "error_class": incident.cause_error_class,
            "status_code": incident.cause_status_code,
            "message": incident.cause_message,
        },
        "sla": {
            "target_minutes": incident.sla_target_minutes,
            "calendar": incident.sla_calendar,
            "calendar_version": incident.sla_calendar_version,
            "started_at": incident.sla_started_at,
            "warn_at": incident.sla_warn_at,
            "due_at": incident.sla_due_at,
            "outcome": sla_outcome_of(incident, now).value,
        },
        "proof": _checks(incident.proof),
        "recovery_proof": _checks(incident.recovery_proof),
        "created_at": incident.created_at,
    }


def blip_view(blip: Blip) -> dict[str, Any]:
    return {
        "id": blip.pk,
        "monitor_id": blip.monitor_id,
        "site_id": blip.monitor.site_id,
        "client_id": blip.monitor.site.client_id,
        "started_at": blip.started_at,
        "ended_at": blip.ended_at,
        "duration_seconds": max(0.0, (blip.ended_at - blip.started_at).total_seconds()),
        "error_class": blip.error_class,
        "status_code": blip.status_code,
        "message": blip.message,
    }


def _by_place(rows: QuerySet[Any], query: IncidentQuery | BlipQuery) -> QuerySet[Any]:
    if query.monitor_id is not None:
        rows = rows.filter(monitor_id=query.monitor_id)
    if query.site_id is not None:
        rows = rows.filter(monitor__site_id=query.site_id)
    if query.client_id is not None:
        rows = rows.filter(monitor__site__client_id=query.client_id)
    return rows


def _incidents_overlapping(
    incidents: QuerySet[Incident], start: datetime | None, end: datetime | None
) -> QuerySet[Incident]:
    # An incident spans first_failed_at to recovered_at; one not recovered yet runs on to now.
    if end is not None:
        incidents = incidents.filter(first_failed_at__lt=end)
    if start is not None:
        incidents = incidents.filter(Q(recovered_at__isnull=True) | Q(recovered_at__gt=start))
    return incidents


def _blips_overlapping(blips: QuerySet[Blip], start: datetime | None, end: datetime | None) -> QuerySet[Blip]:
    if end is not None:
        blips = blips.filter(started_at__lt=end)
    if start is not None:
        blips = blips.filter(ended_at__gt=start)
    return blips


def _with_views(page: dict[str, Any], view: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    return {"items": [view(row) for row in page["items"]], "next_cursor": page["next_cursor"]}


@router.get(
    "",
    response=Page[IncidentOut],
    summary="List incidents",
    description="Newest first (by first_failed_at, then id), paginated with limit and cursor.",
)
def list_incidents(request: HttpRequest, query: Query[IncidentQuery]) -> dict[str, Any]:
    check_order(query.start, query.end)
    incidents = _by_place(incidents_of(agency_of(request)), query)
    if query.open is not None:
        incidents = incidents.filter(resolved_at__isnull=query.open)
    if query.kind is not None:
        incidents = incidents.filter(kind=query.kind)
    incidents = _incidents_overlapping(incidents, query.start, query.end)
    now = timezone.now()  # one instant for the whole page, so ongoing durations agree
    page = paginate_newest_first(incidents, "first_failed_at", query)
    return _with_views(page, lambda incident: incident_view(incident, now))


@router.get("/{id}", response=IncidentOut, summary="Read an incident")
def read_incident(request: HttpRequest, id: QueryId) -> dict[str, Any]:
    incident = get_or_404(incidents_of(agency_of(request)), id, "incident")
    return incident_view(incident, timezone.now())


class AckOut(Schema):
    message: str
    incident: IncidentOut


@router.post(
    "/{id}/ack",
    response=AckOut,
    summary="Acknowledge an incident",
    description="Records the response that the SLA clock measures (channel api, by this token's name). "
    "An incident already acknowledged answers 409 and keeps its first acknowledgement. After the "
    "recovery it is recorded and changes no outcome: the clock stopped at the recovery.",
)
def acknowledge_incident(request: HttpRequest, id: QueryId) -> dict[str, Any]:
    token = token_of(request)
    get_or_404(incidents_of(token.agency), id, "incident")
    outcome = acknowledge(id, token.agency, AckChannel.API, label=f"API token {token.name}")
    incident = incidents_of(token.agency).get(pk=id)
    if not outcome.acknowledged_now:
        raise ApiError(
            409,
            f"Incident {id} was already acknowledged by {incident.acknowledged_by_label or 'someone'} "
            f"at {incident.acknowledged_at:%Y-%m-%dT%H:%M:%SZ}.",
        )
    now = timezone.now()
    view = incident_view(incident, now)
    if response_state(incident, now).stopped_by_recovery:
        message = (
            f"Incident {id} had already recovered: the acknowledgement is recorded and its response "
            f"outcome stays {view['sla']['outcome']}."
        )
        return {"message": message, "incident": view}
    return {"message": f"Incident {id} acknowledged.", "incident": view}


@blips_router.get(
    "",
    response=Page[BlipOut],
    summary="List blips",
    description="Failures that confirmation did not confirm (no downtime). Newest first (by started_at, "
    "then id), paginated with limit and cursor.",
)
def list_blips(request: HttpRequest, query: Query[BlipQuery]) -> dict[str, Any]:
    check_order(query.start, query.end)
    blips = _blips_overlapping(_by_place(blips_of(agency_of(request)), query), query.start, query.end)
    return _with_views(paginate_newest_first(blips, "started_at", query), blip_view)
