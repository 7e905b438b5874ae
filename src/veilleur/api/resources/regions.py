"""Per-region figures of a monitor or a site (checkers in several regions)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from veilleur.api.auth import agency_of
from veilleur.api.crud import get_or_404
from veilleur.api.fields import QueryId
from veilleur.api.timeranges import Instant, check_range
from veilleur.checker.regions import decode
from veilleur.clients.models import Site
from veilleur.domain.regional import RegionSummary
from veilleur.monitoring.models import Monitor, MonitorRuntime
from veilleur.monitoring.regional import region_summaries

monitors_router = Router(tags=["monitoring"])
sites_router = Router(tags=["monitoring"])

MAX_REGIONS_RANGE = timedelta(days=31)
REGIONS_HELP = (
    "One entry per region whose checkers made regular checks in [start, end) (confirming checks "
    "and checks during maintenance left out); empty unless more than one region checked. "
    f"The range may span at most {MAX_REGIONS_RANGE.days} days."
)


class RegionOut(Schema):
    region: str = Field(description="The checkers' region name (empty: the default region).")
    checks: int
    failures: int
    success_ratio: float | None = Field(
        description="Successful checks / checks: a share of checks, not uptime."
    )
    p50_ms: int | None = Field(description="Median total response time of the successful checks.")
    p95_ms: int | None = Field(description="95th percentile (nearest rank) of the same.")
    last_checked_at: datetime | None
    last_ok: bool | None
    last_total_ms: int | None


class RegionsOut(Schema):
    start: datetime
    end: datetime
    failing_regions: list[str] = Field(description="The regions of a partial outage open now.")
    regions: list[RegionOut]


class RegionsQuery(Schema):
    start: Instant
    end: Instant


def _view(summary: RegionSummary) -> dict[str, Any]:
    return {name: getattr(summary, name) for name in RegionOut.model_fields}


def _answer(monitor_ids: list[int], query: RegionsQuery) -> dict[str, Any]:
    check_range(query.start, query.end, MAX_REGIONS_RANGE)
    failing: set[str] = set()
    for text in MonitorRuntime.objects.filter(pk__in=monitor_ids).values_list("partial_regions", flat=True):
        failing |= decode(text)
    return {
        "start": query.start,
        "end": query.end,
        "failing_regions": sorted(failing),
        "regions": [_view(summary) for summary in region_summaries(monitor_ids, query.start, query.end)],
    }


@monitors_router.get(
    "/{id}/regions",
    response=RegionsOut,
    summary="Read a monitor's per-region figures",
    description=REGIONS_HELP,
)
def monitor_regions(request: HttpRequest, id: QueryId, query: Query[RegionsQuery]) -> dict[str, Any]:
    monitor = get_or_404(Monitor.objects.filter(agency=agency_of(request)), id, "monitor")
    return _answer([monitor.pk], query)


@sites_router.get(
    "/{id}/regions",
    response=RegionsOut,
    summary="Read a site's per-region figures",
    description="The figures of every monitor of the site together. " + REGIONS_HELP,
)
def site_regions(request: HttpRequest, id: QueryId, query: Query[RegionsQuery]) -> dict[str, Any]:
    site = get_or_404(Site.objects.filter(agency=agency_of(request)), id, "site")
    return _answer(list(site.monitors.values_list("pk", flat=True)), query)
