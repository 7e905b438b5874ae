"""Rows the checker and the worker would write, made directly for the monitoring read API's tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.conftest import Api
from veilleur.incidents.models import Blip, Incident
from veilleur.monitoring.models import CheckResult, Monitor, MonitorRuntime

# A Monday in winter (Paris is UTC+1), in the past of any run of the suite.
DAY = datetime(2026, 3, 2, tzinfo=UTC)


def at(hour: int, minute: int = 0, second: int = 0, day: datetime = DAY) -> datetime:
    return day + timedelta(hours=hour, minutes=minute, seconds=second)


def iso(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


def parse(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def make_runtime(monitor: Monitor, **fields: Any) -> MonitorRuntime:
    values: dict[str, Any] = {"due_at": at(12), "next_slot_at": at(12)}
    values.update(fields)
    return MonitorRuntime.objects.create(monitor=monitor, **values)


def make_incident(monitor: Monitor, first_failed_at: datetime, **fields: Any) -> Incident:
    values: dict[str, Any] = {
        "first_failed_at": first_failed_at,
        "confirmed_at": first_failed_at + timedelta(seconds=20),
        "cause_error_class": "timeout",
        "cause_message": "no answer within 10 s",
    }
    values.update(fields)
    return Incident.objects.create(monitor=monitor, **values)


def make_blip(monitor: Monitor, started_at: datetime, seconds: int = 15, **fields: Any) -> Blip:
    values: dict[str, Any] = {"error_class": "connect", "message": "connection refused"}
    values.update(fields)
    return Blip.objects.create(
        monitor=monitor, started_at=started_at, ended_at=started_at + timedelta(seconds=seconds), **values
    )


def result(monitor: Monitor, checked_at: datetime, n: int) -> CheckResult:
    """The n-th check of a run: every seventh fails, the others are 200 with varied timings."""
    failed = n % 7 == 3
    return CheckResult(
        monitor=monitor,
        checked_at=checked_at,
        ok=not failed,
        confirmation=n % 11 == 5,
        in_maintenance=n % 13 == 6,
        error_class="timeout" if failed else "",
        status_code=None if failed else 200,
        dns_ms=None if failed else n % 5,
        connect_ms=None if failed else 10 + n % 9,
        tls_ms=None if failed else 20 + n % 17,
        ttfb_ms=None if failed else 100 + 7 * n % 300,
        total_ms=None if failed else 120 + 7 * n % 300,
        message="délai dépassé (10 s)" if failed else "",
        region="eu-west",
    )


def add_results(monitor: Monitor, start: datetime, count: int, every: timedelta) -> list[CheckResult]:
    rows = [result(monitor, start + n * every, n) for n in range(count)]
    return CheckResult.objects.bulk_create(rows)


def walk(api: Api, path: str, limit: int, **params: Any) -> list[dict[str, Any]]:
    """Every item of a paginated list, following next_cursor to the end."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        response = api.get(path, query)
        assert response.status_code == 200, response.content
        page = response.json()
        assert len(page["items"]) <= limit
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items
