"""A site's phase timings per day and its lab page metrics through the API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from tests.api.conftest import Api, World, build_world
from tests.api.monitoring import DAY, add_results, at, iso
from veilleur.accounts.models import Agency
from veilleur.history.jobs import compact_finished_hours
from veilleur.lab.models import LabRun, LabStatus
from veilleur.monitoring.models import CheckResult, Monitor

MINUTE = timedelta(minutes=1)


def phases_path(world: World) -> str:
    return f"/sites/{world.site.pk}/phases"


def sampled(rows: list[CheckResult]) -> list[CheckResult]:
    return [
        r for r in rows if r.ok and not r.confirmation and not r.in_maintenance and r.total_ms is not None
    ]


def test_phase_means_per_day_over_the_sites_monitors_compacted_or_not(api: Api, world: World) -> None:
    second = Monitor.objects.create(site=world.site, key="shop", url="https://acme.example/shop")
    rows = add_results(world.monitor, at(8), 120, MINUTE) + add_results(second, at(9), 60, MINUTE)
    compact_finished_hours(at(9, 10))  # 08:00–09:00 of the first monitor compacted, the rest raw
    params = {"start": iso(DAY), "end": iso(DAY + timedelta(days=2)), "zone": "UTC"}
    response = api.get(phases_path(world), params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["site_id"], body["granularity"], body["zone"]) == (world.site.pk, "day", "UTC")
    first, second_day = body["buckets"]
    for name, field in (("dns", "dns_ms"), ("connect", "connect_ms"), ("tls", "tls_ms"), ("ttfb", "ttfb_ms")):
        values = [getattr(r, field) for r in sampled(rows)]
        assert first[name]["samples"] == len(values)
        assert first[name]["mean_ms"] == pytest.approx(sum(values) / len(values), abs=0.05)
        assert first[name]["per_check_ms"] == pytest.approx(sum(values) / len(sampled(rows)), abs=0.05)
        assert second_day[name] == {"samples": 0, "mean_ms": None, "per_check_ms": None}
    assert (first["checks"], second_day["checks"]) == (len(sampled(rows)), 0)


def test_day_buckets_follow_the_clients_zone_by_default(api: Api, world: World) -> None:
    params = {"start": iso(DAY), "end": iso(DAY + timedelta(days=1))}
    body = api.get(phases_path(world), params).json()
    assert body["zone"] == world.client.time_zone == "Europe/Paris"
    assert body["buckets"][0]["start"].endswith("+01:00")


def test_a_bad_range_or_zone_names_its_field(api: Api, world: World) -> None:
    reversed_range = api.get(phases_path(world), {"start": iso(at(10)), "end": iso(at(8))})
    assert reversed_range.status_code == 422 and "end" in reversed_range.json()["fields"]
    too_long = api.get(
        phases_path(world), {"start": iso(DAY), "end": iso(DAY + timedelta(days=40)), "granularity": "hour"}
    )
    assert too_long.status_code == 422 and "end" in too_long.json()["fields"]
    zone = api.get(phases_path(world), {"start": iso(DAY), "end": iso(at(10)), "zone": "Mars/Olympus"})
    assert zone.status_code == 422 and "zone" in zone.json()["fields"]


def test_lab_runs_of_a_range_oldest_first(api: Api, world: World) -> None:
    LabRun.objects.create(
        site=world.site,
        day=date(2026, 3, 2),
        status=LabStatus.MEASURED,
        started_at=at(0, 5),
        finished_at=at(0, 6),
        url=world.site.url,
        ttfb_ms=120,
        lcp_ms=1800,
        cls=0.05,
        transferred_bytes=1_200_000,
        request_count=42,
    )
    LabRun.objects.create(
        site=world.site,
        day=date(2026, 3, 1),
        status=LabStatus.NO_BROWSER,
        started_at=at(0),
        url=world.site.url,
        error="Chromium is not installed at /usr/bin/chromium",
    )
    body = api.get(f"/sites/{world.site.pk}/lab", {"start": "2026-03-01", "end": "2026-03-31"}).json()
    assert [item["day"] for item in body["items"]] == ["2026-03-01", "2026-03-02"]
    assert body["items"][0]["status"] == "no_browser"
    assert body["items"][1] | {"measured_at": None} == {
        "day": "2026-03-02",
        "status": "measured",
        "url": world.site.url,
        "measured_at": None,
        "ttfb_ms": 120,
        "lcp_ms": 1800,
        "cls": 0.05,
        "transferred_bytes": 1_200_000,
        "request_count": 42,
        "blocked_requests": 0,
        "error": "",
    }
    backwards = api.get(f"/sites/{world.site.pk}/lab", {"start": "2026-03-31", "end": "2026-03-01"})
    assert backwards.status_code == 422 and "end" in backwards.json()["fields"]


def test_another_agencys_site_answers_404(api: Api, world: World, make_agency: Callable[..., Agency]) -> None:
    theirs = build_world(make_agency("other", "Other agency"), prefix="rival")
    params = {"start": iso(DAY), "end": iso(at(10))}
    assert api.get(f"/sites/{theirs.site.pk}/phases", params).status_code == 404
    assert (
        api.get(f"/sites/{theirs.site.pk}/lab", {"start": "2026-03-01", "end": "2026-03-02"}).status_code
        == 404
    )
