"""A monitor's results over a time range (compacted blocks and recent rows alike), and its rollups."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta

import pytest

from tests.api.conftest import Api, World, build_world
from tests.api.monitoring import DAY, add_results, at, iso, parse, walk
from veilleur.accounts.models import Agency
from veilleur.history import read
from veilleur.history.jobs import compact_finished_hours
from veilleur.history.models import ResultBlock
from veilleur.monitoring.models import CheckResult

MINUTE = timedelta(minutes=1)
# 08:00 to 11:00 at one check a minute, the first result 123 ms after the minute.
FIRST = at(8) + timedelta(milliseconds=123)


@pytest.fixture
def history(world: World) -> list[CheckResult]:
    """180 results; 08:00–10:00 compacted into blocks, 10:00–11:00 still raw rows."""
    rows = add_results(world.monitor, FIRST, 180, MINUTE)
    compact_finished_hours(at(10, 10))
    assert ResultBlock.objects.filter(monitor=world.monitor).count() == 2
    assert CheckResult.objects.filter(monitor=world.monitor).count() == 60
    return rows


def results_path(world: World) -> str:
    return f"/monitors/{world.monitor.pk}/results"


def whole_day(**params: object) -> dict[str, object]:
    return {"start": iso(DAY), "end": iso(DAY + timedelta(days=1)), **params}


@pytest.mark.parametrize("limit", [1, 7, 60, 1000])
def test_walking_the_pages_reads_blocks_and_rows_once_in_time_order(
    api: Api, world: World, history: list[CheckResult], limit: int
) -> None:
    found = walk(api, results_path(world), limit, **whole_day())
    assert [parse(item["checked_at"]) for item in found] == [row.checked_at for row in history]


def test_every_field_of_a_result_is_shown(api: Api, world: World, history: list[CheckResult]) -> None:
    found = walk(api, results_path(world), 1000, **whole_day())
    for row, item in zip(history, found, strict=True):
        assert item == {
            "checked_at": item["checked_at"],
            "ok": row.ok,
            "confirmation": row.confirmation,
            "in_maintenance": row.in_maintenance,
            "error_class": row.error_class,
            "status_code": row.status_code,
            "dns_ms": row.dns_ms,
            "connect_ms": row.connect_ms,
            "tls_ms": row.tls_ms,
            "ttfb_ms": row.ttfb_ms,
            "total_ms": row.total_ms,
            "message": row.message,
            "region": row.region,
        }
    assert found[3]["message"] == "délai dépassé (10 s)"
    assert found[0]["checked_at"] == "2026-03-02T08:00:00.123Z"


def test_start_is_included_and_end_excluded(api: Api, world: World, history: list[CheckResult]) -> None:
    # 09:30 Paris is 08:30 UTC: an offset other than Z is understood.
    start, end = "2026-03-02T09:30:00.123+01:00", iso(history[150].checked_at)
    found = walk(api, results_path(world), 50, start=start, end=end)
    assert [parse(item["checked_at"]) for item in found] == [row.checked_at for row in history[30:150]]


def test_a_range_without_results_is_an_empty_page(api: Api, world: World, history: list[CheckResult]) -> None:
    response = api.get(results_path(world), {"start": iso(at(20)), "end": iso(at(21))})
    assert response.json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "2026-03-02T08:00:00"}, "start", "UTC offset is required"),
        ({"end": "2026-03-03"}, "end", "ISO 8601"),
        ({"end": "2026-03-02T25:00:00Z"}, "end", "ISO 8601"),
        ({"end": "2026-03-02 10:00"}, "end", "UTC offset is required"),
        ({"start": "yesterday"}, "start", "ISO 8601"),
        ({"start": "2026-03-02T08:00:00 01:00"}, "start", "%2B"),
        ({"start": "1700000000"}, "start", "ISO 8601"),
        ({"start": "1969-12-31T23:00:00Z"}, "start", "between 1970-01-01"),
        ({"end": "9999-12-31T23:59:59-05:00"}, "end", "between 1970-01-01"),
        ({"end": "0001-01-01T00:00:00+05:00"}, "end", "between 1970-01-01"),
        ({"start": "2026-03-02T08:00:00\x00Z"}, "start", "ISO 8601"),
        ({"end": iso(DAY)}, "end", "later than start"),
        ({"end": iso(DAY - MINUTE)}, "end", "later than start"),
        ({"end": iso(DAY + timedelta(days=31, seconds=1))}, "end", "at most 31 days"),
        ({"limit": 0}, "limit", ""),
        ({"limit": 1001}, "limit", ""),
        ({"limit": 10**30}, "limit", ""),
        ({"limit": "ten"}, "limit", ""),
    ],
)
def test_bad_parameters_are_refused_by_name(
    api: Api, world: World, params: dict[str, object], field: str, message: str
) -> None:
    response = api.get(results_path(world), whole_day(**params))
    assert response.status_code == 422, response.content
    body = response.json()
    assert list(body["fields"]) == [field]
    assert message in body["fields"][field]
    assert field in body["error"]


def test_start_and_end_are_required(api: Api, world: World) -> None:
    response = api.get(results_path(world))
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"start", "end"}


def test_a_month_is_allowed(api: Api, world: World) -> None:
    response = api.get(results_path(world), whole_day(end=iso(DAY + timedelta(days=31))))
    assert response.status_code == 200


def encoded(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        "MQ",  # a cursor of the id-ordered lists
        encoded("1772438400123.1"),  # the history's cursor unwrapped
        encoded("r:abc"),
        encoded("r:-5.1"),
        encoded("r:" + "9" * 16 + ".1"),
        encoded("t:1772438400123000.1"),  # a cursor of incidents
        "x" * 500,
    ],
)
def test_a_cursor_not_handed_out_is_a_400(
    api: Api, world: World, history: list[CheckResult], cursor: str
) -> None:
    response = api.get(results_path(world), whole_day(cursor=cursor))
    assert response.status_code == 400, response.content
    assert "cursor" in response.json()["fields"]


def test_results_of_another_agencys_monitor_are_a_404(
    api: Api, world: World, make_agency: Callable[..., Agency]
) -> None:
    theirs = build_world(make_agency("other", "Other agency"), prefix="rival")
    add_results(theirs.monitor, FIRST, 10, MINUTE)
    for path in ("results", "rollups"):
        response = api.get(f"/monitors/{theirs.monitor.pk}/{path}", whole_day())
        assert response.status_code == 404
        assert response.json()["error"] == f"There is no monitor with id {theirs.monitor.pk}."


# --- rollups ----------------------------------------------------------------------------------


def rollups_path(world: World) -> str:
    return f"/monitors/{world.monitor.pk}/rollups"


def test_hourly_rollups_count_checks_and_failures(api: Api, world: World, history: list[CheckResult]) -> None:
    response = api.get(rollups_path(world), {"start": iso(at(7)), "end": iso(at(11, 30))})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["monitor_id"], body["granularity"], body["zone"]) == (world.monitor.pk, "hour", "UTC")
    buckets = body["buckets"]
    assert [bucket["start"] for bucket in buckets] == [iso(at(hour)) for hour in (7, 8, 9, 10, 11)]
    assert [bucket["checks"] for bucket in buckets] == [0, 60, 60, 60, 0]
    for hour, bucket in zip((8, 9, 10), buckets[1:4], strict=True):
        rows = [row for row in history if row.checked_at.hour == hour]
        assert bucket["failures"] == sum(1 for row in rows if not row.ok)
        assert 0 < bucket["p50_ms"] <= bucket["p95_ms"] <= bucket["p99_ms"]
        assert 0 <= bucket["apdex"] <= 1
    assert buckets[0]["p50_ms"] is None and buckets[0]["apdex"] is None


def test_daily_rollups_follow_the_zones_calendar(api: Api, world: World, history: list[CheckResult]) -> None:
    params = {
        "start": iso(DAY),
        "end": iso(DAY + timedelta(days=2)),
        "granularity": "day",
        "zone": "Europe/Paris",
    }
    response = api.get(rollups_path(world), params)
    assert response.status_code == 200, response.content
    buckets = response.json()["buckets"]
    # Midnight UTC is 01:00 in Paris: the range overlaps three Paris days, shown in Paris time.
    assert [bucket["start"] for bucket in buckets] == [
        "2026-03-02T00:00:00+01:00",
        "2026-03-03T00:00:00+01:00",
        "2026-03-04T00:00:00+01:00",
    ]
    assert buckets[0]["end"] == buckets[1]["start"]
    assert [bucket["checks"] for bucket in buckets] == [180, 0, 0]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"zone": "Europe/Pariss"}, "zone", "unknown time zone"),
        ({"zone": "../../etc/passwd"}, "zone", "unknown time zone"),
        ({"zone": "x" * 500}, "zone", ""),
        ({"granularity": "week"}, "granularity", "'hour' or 'day'"),
        ({"start": "2026-03-02T00:00"}, "start", "UTC offset is required"),
        ({"end": iso(DAY)}, "end", "later than start"),
        ({"end": iso(DAY + timedelta(days=32))}, "end", "at most 31 days with granularity=hour"),
        ({"granularity": "day", "end": iso(DAY + timedelta(days=401))}, "end", "at most 400 days"),
    ],
)
def test_bad_rollup_parameters_are_refused_by_name(
    api: Api, world: World, params: dict[str, object], field: str, message: str
) -> None:
    response = api.get(rollups_path(world), whole_day(**params))
    assert response.status_code == 422, response.content
    body = response.json()
    assert list(body["fields"]) == [field]
    assert message in body["fields"][field]


def test_a_long_range_is_allowed_by_day(api: Api, world: World) -> None:
    params = whole_day(granularity="day", zone="Asia/Kathmandu", end=iso(DAY + timedelta(days=400)))
    response = api.get(rollups_path(world), params)
    assert response.status_code == 200, response.content
    assert len(response.json()["buckets"]) in (400, 401)


def test_results_moving_under_the_reader_ask_for_a_retry(
    api: Api, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def always_moving(*args: object, **kwargs: object) -> None:
        raise read.HistoryChanged("results kept moving while being read; try again")

    monkeypatch.setattr(read, "results", always_moving)
    response = api.get(results_path(world), whole_day())
    assert response.status_code == 503
    assert "try again" in response.json()["error"]
