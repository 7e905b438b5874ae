"""Per-region figures in the API: a monitor's and a site's, only where several regions checked."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from tests.api.conftest import Api, World, build_world
from tests.api.monitoring import at, iso, make_runtime, parse
from veilleur.accounts.models import Agency
from veilleur.monitoring.models import CheckerHeartbeat, CheckResult, Monitor


def add_regional(
    monitor: Monitor, region: str, count: int, slow: int, fail_every: int = 0
) -> list[CheckResult]:
    rng = random.Random(f"{monitor.pk}{region}")
    rows = []
    for n in range(count):
        failed = bool(fail_every) and n % fail_every == 0
        rows.append(
            CheckResult(
                monitor=monitor,
                checked_at=at(10, 0, 7 * n + (3 if region == "us-east" else 0)),
                ok=not failed,
                error_class="http_status" if failed else "",
                status_code=503 if failed else 200,
                total_ms=None if failed else slow + rng.randrange(50),
                region=region,
            )
        )
    # A confirming check and one during maintenance: never counted.
    rows.append(
        CheckResult(monitor=monitor, checked_at=at(10, 30), ok=False, confirmation=True, region=region)
    )
    rows.append(
        CheckResult(monitor=monitor, checked_at=at(10, 31), ok=False, in_maintenance=True, region=region)
    )
    return CheckResult.objects.bulk_create(rows)


def regions(api: Api, path: str, hours: int = 2) -> dict:  # type: ignore[type-arg]
    response = api.get(path, {"start": iso(at(10)), "end": iso(at(10 + hours))})
    assert response.status_code == 200, response.content
    return response.json()


def expected(rows: list[CheckResult]) -> dict[str, object]:
    """The figures, counted plainly from the rows."""
    regular = [r for r in rows if not r.confirmation and not r.in_maintenance]
    times = sorted(r.total_ms for r in regular if r.ok and r.total_ms is not None)
    last = max(regular, key=lambda r: r.checked_at)
    failures = len([r for r in regular if not r.ok])
    return {
        "checks": len(regular),
        "failures": failures,
        "success_ratio": (len(regular) - failures) / len(regular),
        "p50_ms": times[(len(times) + 1) // 2 - 1],
        "last_total_ms": last.total_ms,
        "last_ok": last.ok,
    }


def test_a_monitor_checked_from_two_regions_has_figures_per_region(api: Api, world: World) -> None:
    CheckerHeartbeat.objects.create(owner="a:1", region="eu-west", last_seen=at(9))
    CheckerHeartbeat.objects.create(owner="b:1", region="us-east", last_seen=at(9))
    eu = add_regional(world.monitor, "eu-west", 40, slow=100)
    us = add_regional(world.monitor, "us-east", 40, slow=400, fail_every=5)
    make_runtime(world.monitor, partial_regions=",us-east,")
    body = regions(api, f"/monitors/{world.monitor.pk}/regions")
    assert body["failing_regions"] == ["us-east"]
    assert [entry["region"] for entry in body["regions"]] == ["eu-west", "us-east"]
    for entry, rows in zip(body["regions"], (eu, us), strict=True):
        assert {key: entry[key] for key in expected(rows)} == expected(rows)
        assert parse(entry["last_checked_at"]) == max(
            r.checked_at for r in rows if not r.confirmation and not r.in_maintenance
        )
    # The site's figures are its monitors' together.
    assert regions(api, f"/sites/{world.site.pk}/regions")["regions"] == body["regions"]


def test_one_region_shows_nothing(api: Api, world: World) -> None:
    CheckerHeartbeat.objects.create(owner="a:1", region="", last_seen=at(9))
    add_regional(world.monitor, "", 20, slow=100)
    body = regions(api, f"/monitors/{world.monitor.pk}/regions")
    assert body["regions"] == [] and body["failing_regions"] == []


def test_bad_ranges_and_other_tenants_are_refused(
    api: Api, world: World, make_agency: Callable[..., Agency]
) -> None:
    path = f"/monitors/{world.monitor.pk}/regions"
    too_long = api.get(path, {"start": iso(at(0)), "end": iso(at(0) + timedelta(days=40))})
    assert too_long.status_code == 422 and "31 days" in too_long.text
    naive = api.get(path, {"start": "2026-03-02T10:00:00", "end": iso(at(11))})
    assert naive.status_code == 422 and "offset" in naive.text
    assert api.get("/monitors/999999/regions", {"start": iso(at(10)), "end": iso(at(11))}).status_code == 404
    other = build_world(make_agency("other", "Other agency"), prefix="other")
    hour = {"start": iso(at(10)), "end": iso(at(11))}
    assert api.get(f"/sites/{other.site.pk}/regions", hour).status_code == 404
    assert api.get(f"/monitors/{other.monitor.pk}/regions", hour).status_code == 404
