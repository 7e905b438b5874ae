"""Maintenance windows: planned work during which checks go on but no incident opens."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import AfterValidator, Field, Strict

from veilleur.accounts.models import Agency
from veilleur.api.auth import agency_of
from veilleur.api.crud import (
    assign,
    get_or_404,
    refuse_nulls,
    save_validated,
    take_reference,
    take_required_reference,
)
from veilleur.api.errors import field_error
from veilleur.api.fields import MAX_POSITIVE_INT, InputSchema, Key, Name, ObjectId, OptionalRrule, QueryId
from veilleur.api.pagination import Page, PageQuery, paginate
from veilleur.clients.models import Client, MaintenanceWindow, Site
from veilleur.domain.validators import check_text, parse_local_datetime
from veilleur.validators import english, model_field_check

router = Router(tags=["maintenance windows"])


def format_local_start(day: date, at: time) -> str:
    # Seconds are shown only when a start was given with them.
    return f"{day:%Y-%m-%d} {at:%H:%M:%S}" if at.second else f"{day:%Y-%m-%d} {at:%H:%M}"


def _normalise_local_start(value: str) -> str:
    moment = parse_local_datetime(value)
    return format_local_start(moment.date(), moment.time())


LocalStart = Annotated[
    str,
    Field(
        max_length=19,
        description="Wall time in the client's time zone, 'YYYY-MM-DD HH:MM'.",
        examples=["2026-03-10 22:00"],
    ),
    AfterValidator(_normalise_local_start),
]
SiteIds = Annotated[
    list[ObjectId],
    Field(max_length=1000, description="Sites the window covers; empty: all the client's sites."),
]
# The model's own rule (at least one minute), as in the staff pages' form and the config file.
DurationMinutes = Annotated[
    int,
    Strict(),
    Field(le=MAX_POSITIVE_INT),
    AfterValidator(model_field_check(MaintenanceWindow, "duration_minutes")),
]
# Shown on the client's status page with the window.
PublicNote = Annotated[str, Field(max_length=2000), AfterValidator(check_text)]


class WindowOut(Schema):
    id: int
    client_id: int
    key: str
    title: str
    start: str
    duration_minutes: int
    rrule: str
    site_ids: list[int]
    public_note: str

    @staticmethod
    def resolve_start(obj: MaintenanceWindow) -> str:
        return format_local_start(obj.start_date, obj.start_time)

    @staticmethod
    def resolve_site_ids(obj: MaintenanceWindow) -> list[int]:
        # Read from the prefetched sites so that a page of windows costs one extra query, not one each.
        return sorted(site.pk for site in obj.sites.all())


class WindowCreate(InputSchema):
    client_id: ObjectId
    key: Key
    title: Name
    start: LocalStart
    duration_minutes: DurationMinutes
    rrule: OptionalRrule = Field("", description="RFC 5545 RRULE without DTSTART; empty: a one-off window.")
    site_ids: SiteIds = Field(default_factory=list)
    public_note: PublicNote = ""


class WindowPatch(InputSchema):
    client_id: ObjectId | None = None
    key: Key | None = None
    title: Name | None = None
    start: LocalStart | None = None
    duration_minutes: DurationMinutes | None = None
    rrule: OptionalRrule | None = None
    site_ids: SiteIds | None = None
    public_note: PublicNote | None = None


class WindowQuery(PageQuery):
    client_id: QueryId | None = None


def windows_of(agency: Agency) -> QuerySet[MaintenanceWindow]:
    return MaintenanceWindow.objects.filter(agency=agency).prefetch_related("sites")


def set_start(window: MaintenanceWindow, changes: dict[str, Any]) -> None:
    start = changes.pop("start", None)
    if start is not None:
        moment = parse_local_datetime(start)
        window.start_date = moment.date()
        window.start_time = moment.time()


def sites_for(agency: Agency, client: Client, site_ids: Iterable[int]) -> list[Site]:
    """The agency's sites named by id, all of which must belong to the window's client."""
    wanted = set(site_ids)
    sites = list(Site.objects.filter(agency=agency, pk__in=wanted))
    missing = sorted(wanted - {site.pk for site in sites})
    if missing:
        raise field_error("site_ids", f"there is no site with id {missing[0]}")
    try:
        MaintenanceWindow(client=client).check_sites(sites)
    except ValidationError as exc:
        raise field_error("site_ids", english(ValidationError(exc.error_dict["sites"]))) from exc
    return sites


@router.get("", response=Page[WindowOut], summary="List maintenance windows")
def list_windows(request: HttpRequest, query: Query[WindowQuery]) -> dict[str, Any]:
    windows = windows_of(agency_of(request))
    if query.client_id is not None:
        windows = windows.filter(client_id=query.client_id)
    return paginate(windows, query)


@router.post("", response={201: WindowOut}, summary="Create a maintenance window")
def create_window(request: HttpRequest, payload: WindowCreate) -> MaintenanceWindow:
    agency = agency_of(request)
    changes = payload.changes()
    window = MaintenanceWindow(agency=agency)
    window.client = take_required_reference(changes, "client_id", Client, agency, "client")
    sites = sites_for(agency, window.client, changes.pop("site_ids", []))
    set_start(window, changes)
    assign(window, changes)
    # sites.set() drops the prefetched list, so the answer reads the sites just stored.
    return save_validated(window, after_save=lambda saved: saved.sites.set(sites))


@router.get("/{id}", response=WindowOut, summary="Read a maintenance window")
def read_window(request: HttpRequest, id: QueryId) -> MaintenanceWindow:
    return get_or_404(windows_of(agency_of(request)), id, "maintenance window")


@router.patch("/{id}", response=WindowOut, summary="Change a maintenance window")
def update_window(request: HttpRequest, id: QueryId, payload: WindowPatch) -> MaintenanceWindow:
    """Moving a window to another client needs site_ids of that client (or an empty list)."""
    agency = agency_of(request)
    window = get_or_404(windows_of(agency), id, "maintenance window")
    changes = payload.changes()
    refuse_nulls(changes)
    if (client := take_reference(changes, "client_id", Client, agency, "client")) is not None:
        window.client = client
    site_ids = changes.pop("site_ids", None)
    current_ids = [site.pk for site in window.sites.all()]
    sites = sites_for(agency, window.client, current_ids if site_ids is None else site_ids)
    set_start(window, changes)
    assign(window, changes)
    # sites.set() drops the prefetched list, so the answer reads the sites just stored.
    return save_validated(window, after_save=lambda saved: saved.sites.set(sites))


@router.delete("/{id}", response={204: None}, summary="Delete a maintenance window")
def delete_window(request: HttpRequest, id: QueryId) -> None:
    get_or_404(windows_of(agency_of(request)), id, "maintenance window").delete()
