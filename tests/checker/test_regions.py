"""Checkers in several regions against one database: who confirms a failure, partial outages.

The database side by hand first (heartbeats, the lease rule, the rounds), then real checker
processes given different regions, against a loopback site that fails only for the regions the
test names (it reads the region header every checker with a region sends).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web

from tests.targets import Target
from veilleur.checker.leases import ensure_runtimes, lease_due
from veilleur.checker.recorder import record_batch
from veilleur.checker.regions import ALIVE_WITHIN, HANDOVER_AFTER, REGION_HEADER, alive_regions, beat
from veilleur.checker.work import Completed, LeasedCheck, Observation
from veilleur.incidents.models import Blip, Incident
from veilleur.monitoring.models import CheckerHeartbeat, CheckResult, Monitor

from .conftest import T0, Driver, runtime
from .roles import start_checker

FAIL = {"error_class": "http_status", "status_code": 503, "message": "HTTP 503"}


class RegionDriver(Driver):
    """A checker of one region, run by hand."""

    def __init__(self, region: str) -> None:
        super().__init__(owner=f"test-{region}")
        self.region = region

    def lease(self, now, limit: int = 100) -> list[LeasedCheck]:  # type: ignore[no-untyped-def]
        ensure_runtimes(now)
        return lease_due(
            self.owner, now, timedelta(seconds=2), timedelta(seconds=120), limit, self.calendar, self.region
        )

    def record(self, items, now):  # type: ignore[no-untyped-def]
        batch = [Completed(check, seen) for check, seen in items]
        return record_batch(self.owner, self.region, batch, now, timedelta(seconds=3))

    def check(self, now, ok: bool) -> LeasedCheck | None:  # type: ignore[no-untyped-def]
        """Lease what is due for this region at ``now``; record one observation for it."""
        leased = self.lease(now)
        if not leased:
            return None
        (item,) = leased
        self.record(
            [(item, Observation(checked_at=max(now, item.due_at), ok=ok, **({} if ok else FAIL)))], now
        )
        return item


@pytest.fixture
def regions_abc() -> dict[str, RegionDriver]:
    return {name: RegionDriver(name) for name in ("eu-west", "us-east", "ap-south")}


def beat_all(drivers: dict[str, RegionDriver], now) -> None:  # type: ignore[no-untyped-def]
    for driver in drivers.values():
        CheckerHeartbeat.objects.update_or_create(
            owner=driver.owner, defaults={"region": driver.region, "last_seen": now}
        )


@pytest.mark.django_db
def test_a_region_is_alive_while_its_checkers_beat() -> None:
    beat("host:1", "eu-west", T0)
    beat("host:2", "us-east", T0 - ALIVE_WITHIN - timedelta(seconds=1))
    assert alive_regions(T0) == {"eu-west"}
    assert alive_regions(T0 + ALIVE_WITHIN + timedelta(seconds=1)) == frozenset()


@pytest.mark.django_db
def test_a_failure_is_confirmed_by_another_region_then_the_majority_decides(
    monitor: Monitor, regions_abc: dict[str, RegionDriver]
) -> None:
    eu, us, ap = regions_abc["eu-west"], regions_abc["us-east"], regions_abc["ap-south"]
    ensure_runtimes(T0)
    now = runtime(monitor).due_at
    beat_all(regions_abc, now)
    assert eu.check(now, ok=False) is not None
    confirm_at = runtime(monitor).due_at
    assert runtime(monitor).confirm_not_regions == ",eu-west,"
    # The failing region may not confirm its own failure while another region is alive.
    beat_all(regions_abc, confirm_at)
    assert eu.lease(confirm_at) == []
    item = us.check(confirm_at, ok=False)
    assert item is not None and item.is_confirmation
    # Two regions of three fail: a majority, DOWN, without asking the third.
    incident = Incident.objects.get(monitor=monitor)
    assert incident.kind == Incident.Kind.DOWN
    assert incident.first_failed_at == now and incident.confirmed_at == confirm_at
    assert [entry["region"] for entry in incident.proof] == ["eu-west", "us-east"]
    assert not ap.lease(confirm_at)  # nothing pending: the next check is the regular one


@pytest.mark.django_db
def test_one_region_failing_while_the_others_succeed_is_a_partial_outage(
    monitor: Monitor, regions_abc: dict[str, RegionDriver]
) -> None:
    ap = regions_abc["ap-south"]
    ensure_runtimes(T0)
    now = runtime(monitor).due_at
    beat_all(regions_abc, now)
    ap.check(now, ok=False)
    answers = {"eu-west": True, "us-east": True, "ap-south": False}
    asked = []
    for _ in range(8):  # each other region once, then ap-south's own re-checks (plan: 2)
        row = runtime(monitor)
        if not row.confirm_at:
            break
        at = row.due_at
        beat_all(regions_abc, at)
        allowed = _allowed(monitor)
        for other, driver in regions_abc.items():
            if other not in allowed:
                assert driver.lease(at) == [], f"{other} took a check asked of {allowed}"
        region = allowed[0]
        assert regions_abc[region].check(at, ok=answers[region]) is not None
        asked.append(region)
    assert sorted(asked[:2]) == ["eu-west", "us-east"] and asked[2:] == ["ap-south", "ap-south"]
    partial = Incident.objects.get(monitor=monitor)
    assert partial.kind == Incident.Kind.PARTIAL and partial.regions == "ap-south"
    assert partial.first_failed_at == now and partial.resolved_at is None
    assert runtime(monitor).partial_regions == ",ap-south,"
    assert not Blip.objects.exists()

    # ap-south's next regular check succeeds: a round, the others agree, the outage ends.
    at = runtime(monitor).due_at
    beat_all(regions_abc, at)
    assert ap.check(at, ok=True) is not None
    for _ in range(4):
        row = runtime(monitor)
        if not row.confirm_at:
            break
        beat_all(regions_abc, row.due_at)
        assert regions_abc[_allowed(monitor)[0]].check(row.due_at, ok=True) is not None
    partial.refresh_from_db()
    assert partial.recovered_at == at and partial.resolved_at is not None
    assert {entry["region"] for entry in partial.recovery_proof} == {"eu-west", "us-east", "ap-south"}
    assert runtime(monitor).partial_regions == ""
    assert not Incident.objects.filter(kind=Incident.Kind.DOWN).exists()


def _allowed(monitor: Monitor) -> list[str]:
    """The regions that may make the confirming check now asked for."""
    row = runtime(monitor)
    if row.confirm_only_region:
        return [row.confirm_only_region]
    return sorted(r for r in ("eu-west", "us-east", "ap-south") if f",{r}," not in row.confirm_not_regions)


@pytest.mark.django_db
def test_alone_a_region_confirms_locally_and_a_confirmation_asked_elsewhere_is_handed_over(
    monitor: Monitor, regions_abc: dict[str, RegionDriver]
) -> None:
    eu = regions_abc["eu-west"]
    ensure_runtimes(T0)
    now = runtime(monitor).due_at
    CheckerHeartbeat.objects.create(owner="gone", region="us-east", last_seen=now)
    eu.check(now, ok=False)
    confirm_at = runtime(monitor).due_at
    assert eu.lease(confirm_at) == []  # asked of us-east, alive a moment ago
    # us-east's checker died: the confirmation goes to anyone once its due time is well past.
    late = confirm_at + HANDOVER_AFTER + timedelta(seconds=1)
    assert eu.check(late, ok=False) is not None
    # us-east is no longer alive: eu-west confirms alone, with the plan's local re-checks.
    for _ in range(3):
        row = runtime(monitor)
        if Incident.objects.exists():
            break
        eu.check(row.due_at, ok=False)
    incident = Incident.objects.get(monitor=monitor)
    assert incident.kind == Incident.Kind.DOWN and incident.first_failed_at == now
    assert {entry["region"] for entry in incident.proof} == {"eu-west"}


@pytest.mark.django_db
def test_one_region_install_keeps_its_local_rules(monitor: Monitor, driver: Driver) -> None:
    ensure_runtimes(T0)
    for _ in range(3):
        driver.run_due(runtime(monitor).due_at, ok=False, **FAIL)
    incident = Incident.objects.get(monitor=monitor)
    assert incident.kind == Incident.Kind.DOWN and len(incident.proof) == 3
    assert all("region" not in entry for entry in incident.proof)
    assert runtime(monitor).confirm_not_regions == "" and runtime(monitor).confirm_only_region == ""


# --- real checker processes ------------------------------------------------------------------


class RegionalSite(Target):
    """An HTTP site on 127.0.0.1 that answers 503 to the regions in ``failing``."""

    def __init__(self) -> None:
        super().__init__()
        self.failing: set[str] = set()
        self.seen: set[str] = set()

    async def _handle(self, request: web.Request) -> web.Response:
        region = request.headers.get(REGION_HEADER, "")
        self.seen.add(region)
        if region in self.failing:
            return web.Response(status=503, text="unavailable from here")
        return web.Response(text="<h1>Boulangerie Martin</h1>")


@pytest.fixture
def regional_site() -> Iterator[RegionalSite]:
    site = RegionalSite()
    site.start()
    yield site
    site.stop()


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


@pytest.mark.django_db(transaction=True)
def test_checker_processes_in_three_regions_tell_a_partial_outage_from_a_full_one(
    regional_site: RegionalSite, make_monitor: Callable[..., Monitor], tmp_path: Path
) -> None:
    monitor = make_monitor(url=f"http://127.0.0.1:{regional_site.port}/", interval_seconds=2)
    log = tmp_path / "checkers.log"
    regions = ["eu-west", "us-east", "ap-south"]
    checkers = [start_checker(log, region=region) for region in regions]
    try:
        wait_for(lambda: set(CheckResult.objects.values_list("region", flat=True)) >= set(regions))
        incidents = Incident.objects.filter(monitor=monitor)

        # The site fails only for ap-south: a partial outage, not DOWN.
        regional_site.failing = {"ap-south"}
        wait_for(lambda: incidents.filter(kind=Incident.Kind.PARTIAL).exists())
        partial = incidents.get(kind=Incident.Kind.PARTIAL)
        assert partial.regions == "ap-south" and partial.resolved_at is None
        assert not incidents.filter(kind=Incident.Kind.DOWN).exists()
        assert {entry["region"] for entry in partial.proof} == set(regions)

        # Now for everyone: DOWN, confirmed from another region than the one that saw it first.
        regional_site.failing = set(regions)
        wait_for(lambda: incidents.filter(kind=Incident.Kind.DOWN).exists())
        down = incidents.get(kind=Incident.Kind.DOWN)
        failed_in = [entry["region"] for entry in down.proof if not entry["ok"]]
        assert len(set(failed_in)) >= 2, down.proof
        partial.refresh_from_db()
        assert partial.resolved_at is not None  # the partial outage became a full one

        # Back for everyone: the DOWN incident recovers, confirmed by another region too.
        regional_site.failing = set()
        wait_for(lambda: not incidents.filter(resolved_at__isnull=True).exists())
        down.refresh_from_db()
        assert len({entry["region"] for entry in down.recovery_proof}) >= 2, down.recovery_proof
        assert regional_site.seen >= set(regions)
    finally:
        for checker in checkers:
            checker.send_signal(signal.SIGTERM)
        for checker in checkers:
            assert checker.wait(timeout=30) == 0, log.read_text()
    assert "Traceback" not in log.read_text()


def test_the_default_region_is_a_region_like_the_others() -> None:
    from veilleur.checker.regions import decode, encode

    for regions in ({""}, {"", "eu-west"}, {"eu-west", "us-east"}, set()):
        assert decode(encode(regions)) == regions


@pytest.mark.django_db
def test_a_checker_without_a_region_and_one_with_confirm_each_other(monitor: Monitor) -> None:
    default, eu = RegionDriver(""), RegionDriver("eu-west")
    ensure_runtimes(T0)
    now = runtime(monitor).due_at
    beat_all({"": default, "eu-west": eu}, now)
    default.check(now, ok=False)
    confirm_at = runtime(monitor).due_at
    beat_all({"": default, "eu-west": eu}, confirm_at)
    assert default.lease(confirm_at) == []
    assert eu.check(confirm_at, ok=False) is not None
    incident = Incident.objects.get(monitor=monitor)
    assert [entry["region"] for entry in incident.proof] == ["", "eu-west"]
