"""Sites: a client's web sites, each watched by one or more monitors."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

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
from veilleur.api.fields import HttpUrl, InputSchema, Key, Name, NonNegativeInt, ObjectId, QueryId
from veilleur.api.pagination import Page, PageQuery, paginate
from veilleur.api.timeranges import EARLIEST, LATEST, Instant, check_range
from veilleur.clients.models import Client, Site
from veilleur.domain.accounting import Period, SiteAccount, percent_rounded_down
from veilleur.history.accounting import site_account

router = Router(tags=["sites"])


class SiteOut(Schema):
    id: int
    client_id: int
    key: str
    name: str
    url: str
    apdex_threshold_ms: int
    degraded_above_ms: int | None = Field(
        description="Slow above this total time (ms); null: the plan's degraded_above_ms."
    )
    created_at: datetime


class SiteCreate(InputSchema):
    client_id: ObjectId
    key: Key
    name: Name
    url: HttpUrl
    apdex_threshold_ms: NonNegativeInt = 500
    degraded_above_ms: Annotated[int, Field(ge=100, le=120_000)] | None = None


class SitePatch(InputSchema):
    client_id: ObjectId | None = None
    key: Key | None = None
    name: Name | None = None
    url: HttpUrl | None = None
    apdex_threshold_ms: NonNegativeInt | None = None
    degraded_above_ms: Annotated[int, Field(ge=100, le=120_000)] | None = Field(
        None, description="null: follow the plan's threshold."
    )


class SiteQuery(PageQuery):
    client_id: QueryId | None = None


class UptimeQuery(Schema):
    month: str | None = Field(None, description="A calendar month of the client's time zone, YYYY-MM.")
    start: Instant | None = Field(None, description="With end, instead of month: any range of real time.")
    end: Instant | None = None


class OutageOut(Schema):
    incident_id: int
    counted_seconds: float = Field(
        description="The part of the outage inside the range and the monitored time."
    )


class SiteUptimeOut(Schema):
    site_id: int
    start: datetime
    end: datetime
    monitors: int
    monitored_seconds: float
    downtime_seconds: float
    overlap_seconds: float = Field(description="Time when two or more outages ran at once, counted once.")
    uptime_percent: float | None = Field(
        description="Rounded down to 3 decimals; null when nothing was monitored."
    )
    coverage_percent: float | None
    outages: list[OutageOut]


LONGEST_UPTIME_RANGE = timedelta(days=400)
_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])", re.ASCII)


def sites_of(agency: Agency) -> QuerySet[Site]:
    return Site.objects.filter(agency=agency)


@router.get("", response=Page[SiteOut], summary="List sites")
def list_sites(request: HttpRequest, query: Query[SiteQuery]) -> dict[str, Any]:
    sites = sites_of(agency_of(request))
    if query.client_id is not None:
        sites = sites.filter(client_id=query.client_id)
    return paginate(sites, query)


@router.post("", response={201: SiteOut}, summary="Create a site")
def create_site(request: HttpRequest, payload: SiteCreate) -> Site:
    agency = agency_of(request)
    changes = payload.changes()
    site = Site(agency=agency)
    site.client = take_required_reference(changes, "client_id", Client, agency, "client")
    assign(site, changes)
    return save_validated(site)


@router.get("/{id}", response=SiteOut, summary="Read a site")
def read_site(request: HttpRequest, id: QueryId) -> Site:
    return get_or_404(sites_of(agency_of(request)), id, "site")


@router.patch("/{id}", response=SiteOut, summary="Change a site")
def update_site(request: HttpRequest, id: QueryId, payload: SitePatch) -> Site:
    agency = agency_of(request)
    site = get_or_404(sites_of(agency), id, "site")
    changes = payload.changes()
    refuse_nulls(changes, nullable=["degraded_above_ms"])
    if (client := take_reference(changes, "client_id", Client, agency, "client")) is not None:
        site.client = client
    assign(site, changes)
    return save_validated(site)


@router.delete("/{id}", response={204: None}, summary="Delete a site and its monitors")
def delete_site(request: HttpRequest, id: QueryId) -> None:
    """Deletes the site with its monitors and the maintenance tasks recorded for it."""
    get_or_404(sites_of(agency_of(request)), id, "site").delete()


@router.get("/{id}/uptime", response=SiteUptimeOut, summary="A site's uptime over a month or a range")
def site_uptime(request: HttpRequest, id: QueryId, query: Query[UptimeQuery]) -> dict[str, Any]:
    """The site is down while any of its monitors is in a confirmed outage; the same figure as the
    monthly report and the status page."""
    site = get_or_404(sites_of(agency_of(request)).select_related("client"), id, "site")
    account = site_account(site, _uptime_period(query, ZoneInfo(site.client.time_zone)), datetime.now(UTC))
    return _uptime_out(site, account)


def _uptime_period(query: UptimeQuery, zone: ZoneInfo) -> Period:
    if query.month is not None:
        if query.start is not None or query.end is not None:
            raise field_error("month", "give either month or start and end, not both")
        match = _MONTH.fullmatch(query.month.strip())
        if match is None:
            raise field_error("month", "expected a month as YYYY-MM, such as 2026-10")
        year = int(match.group(1))
        if not EARLIEST.year <= year < LATEST.year:
            raise field_error("month", f"must lie between {EARLIEST.year} and {LATEST.year - 1}")
        return Period.month(year, int(match.group(2)), zone)
    if query.start is None or query.end is None:
        raise field_error("start" if query.start is None else "end", "give a month, or both start and end")
    check_range(query.start, query.end, LONGEST_UPTIME_RANGE)
    return Period(query.start, query.end)


def _uptime_out(site: Site, account: SiteAccount) -> dict[str, Any]:
    return {
        "site_id": site.pk,
        "start": account.period.start,
        "end": account.period.end,
        "monitors": account.monitors,
        "monitored_seconds": account.monitored.total_seconds(),
        "downtime_seconds": account.downtime.total_seconds(),
        "overlap_seconds": account.overlap.total_seconds(),
        "uptime_percent": None if account.uptime_percent is None else float(account.uptime_percent),
        "coverage_percent": None
        if account.coverage is None
        else float(percent_rounded_down(account.coverage)),
        "outages": [
            {"incident_id": incident.key, "counted_seconds": counted.total_seconds()}
            for incident, counted in account.incident_downtime
        ],
    }


def _percent(ratio: Fraction | None) -> float | None:
    return None if ratio is None else float(percent_rounded_down(ratio))
