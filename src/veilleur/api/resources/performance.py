"""A site's performance: its phase timings per hour or day, and its daily lab page metrics."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from veilleur.api.auth import agency_of
from veilleur.api.crud import get_or_404
from veilleur.api.errors import field_error
from veilleur.api.fields import QueryId, TimeZone
from veilleur.api.timeranges import Instant, check_range
from veilleur.clients.models import Site
from veilleur.history.phases import PhaseBucket, PhaseFigures, site_phase_buckets
from veilleur.lab.models import LabRun

router = Router(tags=["sites"])

MAX_PHASES_RANGE = {"hour": timedelta(days=31), "day": timedelta(days=400)}
MAX_LAB_RANGE = timedelta(days=400)


class PhaseOut(Schema):
    samples: int = Field(description="Successful regular checks that went through this phase.")
    mean_ms: float | None = Field(
        description="Their mean milliseconds, rounded to 0.1; null without samples."
    )
    per_check_ms: float | None = Field(
        description="Mean milliseconds over all the bucket's checks, one that skipped the phase counting 0: "
        "the four add up to the mean time to first byte. Rounded to 0.1; null without checks."
    )


class PhaseBucketOut(Schema):
    start: datetime = Field(description="The bucket's start, shown in the requested zone.")
    end: datetime
    checks: int = Field(description="Successful regular checks (outside maintenance): those sampled.")
    dns: PhaseOut = Field(description="Finding the server's address.")
    connect: PhaseOut = Field(description="Opening the TCP connection.")
    tls: PhaseOut = Field(description="The TLS handshake (https only).")
    ttfb: PhaseOut = Field(description="From the request sent to the first byte of the answer.")


class PhasesOut(Schema):
    site_id: int
    granularity: str
    zone: str
    buckets: list[PhaseBucketOut]


class PhasesQuery(Schema):
    start: Instant
    end: Instant
    granularity: Literal["hour", "day"] = "day"
    zone: TimeZone | None = Field(None, description="IANA zone of the day buckets; the client's by default.")


class LabRunOut(Schema):
    day: date = Field(description="UTC date of the measurement.")
    status: str = Field(description="measured, failed, no_browser (Chromium not installed) or running.")
    url: str
    measured_at: datetime | None
    ttfb_ms: int | None
    lcp_ms: int | None = Field(description="Largest contentful paint.")
    cls: float | None = Field(description="Cumulative layout shift.")
    transferred_bytes: int | None
    request_count: int | None
    blocked_requests: int = Field(description="Requests refused because they led to a private address.")
    error: str


class LabRunsOut(Schema):
    site_id: int
    items: list[LabRunOut]


class LabQuery(Schema):
    start: date = Field(description="First UTC day, YYYY-MM-DD.")
    end: date = Field(description="Last UTC day, included.")


def _site_of(request: HttpRequest, site_id: int) -> Site:
    return get_or_404(
        Site.objects.filter(agency=agency_of(request)).select_related("client"), site_id, "site"
    )


def _phase_view(figures: PhaseFigures) -> dict[str, Any]:
    return {
        "samples": figures.samples,
        "mean_ms": _tenth(figures.mean_ms),
        "per_check_ms": _tenth(figures.per_check_ms),
    }


def _tenth(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _bucket_view(bucket: PhaseBucket, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "start": bucket.start.astimezone(zone),
        "end": bucket.end.astimezone(zone),
        "checks": bucket.checks,
        **{name: _phase_view(figures) for name, figures in bucket.phases.items()},
    }


@router.get(
    "/{id}/phases",
    response=PhasesOut,
    summary="Read where a site's response time goes, phase by phase",
    description="DNS, connect, TLS and time to first byte of the site's successful regular checks "
    "(all its monitors), per hour or per calendar day of `zone`, for every whole bucket overlapping "
    "[start, end), empty ones included. The range may span at most 31 days by hour and 400 days by day.",
)
def read_phases(request: HttpRequest, id: QueryId, query: Query[PhasesQuery]) -> dict[str, Any]:
    site = _site_of(request, id)
    longest = MAX_PHASES_RANGE[query.granularity]
    check_range(query.start, query.end, longest, f"with granularity={query.granularity}")
    zone_name = query.zone or site.client.time_zone
    buckets = site_phase_buckets(site, query.start, query.end, query.granularity, zone_name)
    zone = ZoneInfo(zone_name)
    return {
        "site_id": site.pk,
        "granularity": query.granularity,
        "zone": zone_name,
        "buckets": [_bucket_view(bucket, zone) for bucket in buckets],
    }


@router.get(
    "/{id}/lab",
    response=LabRunsOut,
    summary="Read a site's daily lab page metrics",
    description="One item per UTC day the site's home page was loaded in headless Chromium (or "
    "could not be), oldest first, from start to end included (at most 400 days).",
)
def read_lab(request: HttpRequest, id: QueryId, query: Query[LabQuery]) -> dict[str, Any]:
    site = _site_of(request, id)
    if query.end < query.start:
        raise field_error("end", "must not be before start")
    if query.end - query.start > MAX_LAB_RANGE:
        raise field_error(
            "end", f"the range may span at most {MAX_LAB_RANGE.days} days; ask for several ranges"
        )
    runs = LabRun.objects.filter(site=site, day__gte=query.start, day__lte=query.end).order_by("day")
    return {
        "site_id": site.pk,
        "items": [
            {
                "day": run.day,
                "status": run.status,
                "url": run.url,
                "measured_at": run.finished_at,
                "ttfb_ms": run.ttfb_ms,
                "lcp_ms": run.lcp_ms,
                "cls": run.cls,
                "transferred_bytes": run.transferred_bytes,
                "request_count": run.request_count,
                "blocked_requests": run.blocked_requests,
                "error": run.error,
            }
            for run in runs
        ],
    }
