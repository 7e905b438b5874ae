"""Monitors: what is checked on a site, how, and how often."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field, Strict

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
from veilleur.api.fields import (
    Headers,
    HttpMethod,
    InputSchema,
    Key,
    Keyword,
    LongHttpUrl,
    ObjectId,
    PositiveInt,
    QueryId,
    StatusSpec,
    StrictBoolean,
)
from veilleur.api.pagination import Page, PageQuery, paginate
from veilleur.clients.models import Site
from veilleur.monitoring.models import Monitor

router = Router(tags=["monitors"])

TimeoutSeconds = Annotated[int, Strict(), Field(ge=1, le=60)]


class MonitorOut(Schema):
    id: int
    site_id: int
    client_id: int
    key: str
    url: str
    method: str
    request_headers: dict[str, str]
    expected_status: str
    keyword: str
    forbidden_keyword: str
    timeout_seconds: int
    follow_redirects: bool
    interval_seconds: int | None
    effective_interval_seconds: int
    paused: bool
    created_at: datetime

    @staticmethod
    def resolve_client_id(obj: Monitor) -> int:
        return obj.site.client_id

    @staticmethod
    def resolve_effective_interval_seconds(obj: Monitor) -> int:
        return obj.effective_interval_seconds()


class MonitorCreate(InputSchema):
    site_id: ObjectId
    key: Key
    url: LongHttpUrl | None = Field(None, description="Omitted: the site's URL.")
    method: HttpMethod = "GET"
    request_headers: Headers = Field(default_factory=dict)
    expected_status: StatusSpec = "200-399"
    keyword: Keyword = ""
    forbidden_keyword: Keyword = ""
    timeout_seconds: TimeoutSeconds = 10
    follow_redirects: StrictBoolean = True
    interval_seconds: PositiveInt | None = Field(None, description="Omitted or null: the plan's interval.")
    paused: StrictBoolean = False


class MonitorPatch(InputSchema):
    site_id: ObjectId | None = None
    key: Key | None = None
    url: LongHttpUrl | None = None
    method: HttpMethod | None = None
    request_headers: Headers | None = None
    expected_status: StatusSpec | None = None
    keyword: Keyword | None = None
    forbidden_keyword: Keyword | None = None
    timeout_seconds: TimeoutSeconds | None = None
    follow_redirects: StrictBoolean | None = None
    interval_seconds: PositiveInt | None = Field(None, description="null: back to the plan's interval.")
    paused: StrictBoolean | None = None


class MonitorQuery(PageQuery):
    site_id: QueryId | None = None
    client_id: QueryId | None = None


def monitors_of(agency: Agency) -> QuerySet[Monitor]:
    # The client and its plan are read for client_id and the effective interval of every row.
    return Monitor.objects.filter(agency=agency).select_related("site__client__plan")


@router.get("", response=Page[MonitorOut], summary="List monitors")
def list_monitors(request: HttpRequest, query: Query[MonitorQuery]) -> dict[str, Any]:
    monitors = monitors_of(agency_of(request))
    if query.site_id is not None:
        monitors = monitors.filter(site_id=query.site_id)
    if query.client_id is not None:
        monitors = monitors.filter(site__client_id=query.client_id)
    return paginate(monitors, query)


@router.post("", response={201: MonitorOut}, summary="Create a monitor")
def create_monitor(request: HttpRequest, payload: MonitorCreate) -> Monitor:
    agency = agency_of(request)
    changes = payload.changes()
    monitor = Monitor(agency=agency)
    monitor.site = take_required_reference(changes, "site_id", Site, agency, "site")
    changes["url"] = changes.get("url") or monitor.site.url
    assign(monitor, changes)
    return save_validated(monitor)


@router.get("/{id}", response=MonitorOut, summary="Read a monitor")
def read_monitor(request: HttpRequest, id: QueryId) -> Monitor:
    return get_or_404(monitors_of(agency_of(request)), id, "monitor")


@router.patch("/{id}", response=MonitorOut, summary="Change a monitor")
def update_monitor(request: HttpRequest, id: QueryId, payload: MonitorPatch) -> Monitor:
    agency = agency_of(request)
    monitor = get_or_404(monitors_of(agency), id, "monitor")
    changes = payload.changes()
    refuse_nulls(changes, nullable=["interval_seconds"])
    if (site := take_reference(changes, "site_id", Site, agency, "site")) is not None:
        monitor.site = site
    assign(monitor, changes)
    return save_validated(monitor)


@router.delete("/{id}", response={204: None}, summary="Delete a monitor")
def delete_monitor(request: HttpRequest, id: QueryId) -> None:
    get_or_404(monitors_of(agency_of(request)), id, "monitor").delete()
