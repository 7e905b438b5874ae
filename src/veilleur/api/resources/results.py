"""A monitor's history: its raw check results over a time range, and hourly or daily rollups."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from veilleur.api.auth import agency_of
from veilleur.api.crud import get_or_404
from veilleur.api.errors import ApiError
from veilleur.api.fields import QueryId, TimeZone
from veilleur.api.pagination import decode_text, encode_text, malformed_cursor
from veilleur.api.timeranges import Instant, check_range
from veilleur.history import read as history
from veilleur.monitoring.models import Monitor

router = Router(tags=["monitoring"])

# Raw results are the heaviest read of the API: one range of at most a month keeps a walk bounded.
MAX_RESULTS_RANGE = timedelta(days=31)
MAX_RANGE_BY_GRANULARITY = {"hour": timedelta(days=31), "day": timedelta(days=400)}
DEFAULT_RESULTS_LIMIT = 100
_RESULTS_CURSOR_PREFIX = "r:"


class ResultOut(Schema):
    checked_at: datetime
    ok: bool
    confirmation: bool = Field(description="An extra check confirming a change of state.")
    in_maintenance: bool
    error_class: str
    status_code: int | None
    dns_ms: int | None
    connect_ms: int | None
    tls_ms: int | None
    ttfb_ms: int | None
    total_ms: int | None
    message: str
    region: str


class ResultsPageOut(Schema):
    items: list[ResultOut]
    next_cursor: str | None


class ResultsQuery(Schema):
    start: Instant
    end: Instant
    limit: Annotated[int, Field(ge=1, le=history.MAX_LIMIT)] = Field(
        DEFAULT_RESULTS_LIMIT, description=f"Results per page, at most {history.MAX_LIMIT}."
    )
    cursor: str | None = Field(None, description="The previous page's next_cursor; omit for the first page.")


class RollupOut(Schema):
    start: datetime = Field(description="The bucket's start, shown in the requested zone.")
    end: datetime
    checks: int
    failures: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    apdex: float | None


class RollupsOut(Schema):
    monitor_id: int
    granularity: str
    zone: str
    buckets: list[RollupOut]


class RollupsQuery(Schema):
    start: Instant
    end: Instant
    granularity: Literal["hour", "day"] = "hour"
    zone: TimeZone = Field("UTC", description="IANA zone whose calendar days make the day buckets.")


def _monitor_of(request: HttpRequest, monitor_id: int) -> Monitor:
    return get_or_404(Monitor.objects.filter(agency=agency_of(request)), monitor_id, "monitor")


def wrap_history_cursor(cursor: str | None) -> str | None:
    # The history's cursor is its own business: clients see it only wrapped, as for every list.
    return None if cursor is None else encode_text(_RESULTS_CURSOR_PREFIX + cursor)


def unwrap_history_cursor(cursor: str | None) -> str | None:
    if not cursor:
        return None
    text = decode_text(cursor)
    inner = text.removeprefix(_RESULTS_CURSOR_PREFIX)
    if inner == text or history.CURSOR.fullmatch(inner) is None:
        raise malformed_cursor()
    return inner


def history_changing() -> ApiError:
    return ApiError(503, "The results were being reorganised while they were read; try again in a moment.")


@router.get(
    "/{id}/results",
    response=ResultsPageOut,
    summary="List a monitor's check results",
    description="Results with start <= checked_at < end, oldest first, at millisecond precision. "
    f"The range may span at most {MAX_RESULTS_RANGE.days} days.",
)
def list_results(request: HttpRequest, id: QueryId, query: Query[ResultsQuery]) -> dict[str, Any]:
    monitor = _monitor_of(request, id)
    check_range(query.start, query.end, MAX_RESULTS_RANGE)
    try:
        page = history.results(
            monitor.pk, query.start, query.end, cursor=unwrap_history_cursor(query.cursor), limit=query.limit
        )
    except history.HistoryChanged as exc:
        raise history_changing() from exc
    return {"items": page.results, "next_cursor": wrap_history_cursor(page.next_cursor)}


def _bucket_view(bucket: history.RollupBucket, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "start": bucket.start.astimezone(zone),
        "end": bucket.end.astimezone(zone),
        "checks": bucket.checks,
        "failures": bucket.failures,
        "p50_ms": bucket.p50_ms,
        "p95_ms": bucket.p95_ms,
        "p99_ms": bucket.p99_ms,
        "apdex": bucket.apdex,
    }


@router.get(
    "/{id}/rollups",
    response=RollupsOut,
    summary="Read a monitor's hourly or daily rollups",
    description="Checks, failures, latency percentiles (estimates) and Apdex for every whole bucket "
    "overlapping [start, end), empty buckets included. Day buckets are calendar days in `zone`. "
    "The range may span at most 31 days by hour and 400 days by day.",
)
def read_rollups(request: HttpRequest, id: QueryId, query: Query[RollupsQuery]) -> dict[str, Any]:
    monitor = _monitor_of(request, id)
    longest = MAX_RANGE_BY_GRANULARITY[query.granularity]
    check_range(query.start, query.end, longest, f"with granularity={query.granularity}")
    buckets = history.rollups(monitor.pk, query.start, query.end, query.granularity, query.zone)
    zone = ZoneInfo(query.zone)
    return {
        "monitor_id": monitor.pk,
        "granularity": query.granularity,
        "zone": query.zone,
        "buckets": [_bucket_view(bucket, zone) for bucket in buckets],
    }
