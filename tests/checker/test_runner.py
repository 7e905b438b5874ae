"""The checker role end to end, in-process: real probes against a real HTTP server on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.db import connection

from tests.targets import Target
from veilleur.checker.probing import HttpProber
from veilleur.checker.runner import Checker, CheckerSettings
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import CheckResult, Monitor, MonitorRuntime

pytestmark = pytest.mark.django_db(transaction=True)


def _polled(condition: Callable[[], bool]) -> Callable[[], bool]:
    """The condition, run on a helper thread that must not keep a database connection open."""

    def poll() -> bool:
        try:
            return condition()
        finally:
            connection.close()

    return poll


def run_checker_until(condition: Callable[[], bool], timeout: float = 30.0) -> Checker:
    """Run a checker on this thread's event loop until ``condition`` holds (polled), then stop it."""
    settings = CheckerSettings(region="test", confirm_delay=timedelta(milliseconds=200), idle_sleep=0.05)
    checker = Checker(HttpProber(allow_private=True), settings)

    async def main() -> None:
        task = asyncio.create_task(checker.run())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if await loop.run_in_executor(None, _polled(condition)):
                break
            await asyncio.sleep(0.1)
        checker.stop()
        await task

    asyncio.run(main())
    return checker


def test_outage_is_confirmed_then_recovery_resolves_it(
    target: Target, make_monitor: Callable[..., Monitor]
) -> None:
    monitor = make_monitor(url=f"http://127.0.0.1:{target.port}/", interval_seconds=1)
    run_checker_until(lambda: CheckResult.objects.filter(monitor=monitor, ok=True).count() >= 2)

    target.healthy = False
    run_checker_until(lambda: Incident.objects.filter(monitor=monitor).exists())
    incident = Incident.objects.get(monitor=monitor)
    assert incident.cause_error_class == "http_status" and incident.cause_status_code == 503
    assert len(incident.proof) == 3  # the failure and its two confirmations (premium plan)
    assert incident.confirmed_at - incident.first_failed_at < timedelta(seconds=2)

    target.healthy = True
    run_checker_until(lambda: Incident.objects.filter(monitor=monitor, resolved_at__isnull=False).exists())
    incident.refresh_from_db()
    assert incident.first_failed_at < incident.confirmed_at < incident.recovered_at <= incident.resolved_at
    assert Incident.objects.filter(monitor=monitor).count() == 1
    runtime = MonitorRuntime.objects.get(pk=monitor.pk)
    assert runtime.lease_owner == "" and runtime.phase == "up"


def test_a_hung_site_is_confirmed_when_the_confirming_check_times_out(
    target: Target, make_monitor: Callable[..., Monitor]
) -> None:
    """Nobody can know of the outage before the confirming check gives up: the response clock
    starts then, not at that check's start, one timeout earlier."""
    monitor = make_monitor(url=f"http://127.0.0.1:{target.port}/", interval_seconds=1, timeout_seconds=1)
    target.hang_seconds = 3.0
    run_checker_until(lambda: Incident.objects.filter(monitor=monitor).exists())
    incident = Incident.objects.get(monitor=monitor)
    assert incident.cause_error_class == "timeout"
    confirming_check_started = datetime.fromisoformat(str(incident.proof[-1]["at"]))
    assert incident.confirmed_at >= confirming_check_started + timedelta(seconds=monitor.timeout_seconds)
    assert incident.sla_started_at == incident.confirmed_at  # premium: 24/7, the clock starts at once
    assert incident.confirmed_at <= incident.created_at


def test_stop_releases_leases_and_records_in_flight_checks(
    target: Target, make_monitor: Callable[..., Monitor]
) -> None:
    monitors = [
        make_monitor(url=f"http://127.0.0.1:{target.port}/m{i}", interval_seconds=1) for i in range(5)
    ]
    run_checker_until(lambda: CheckResult.objects.count() >= 10)
    assert not MonitorRuntime.objects.exclude(lease_owner="").exists()
    assert target.hits == CheckResult.objects.count()  # every check that ran was recorded
    for monitor in monitors:
        times = list(CheckResult.objects.filter(monitor=monitor).values_list("checked_at", flat=True))
        assert len(times) == len(set(times))


def test_blocked_private_target_is_a_failure_not_a_crash(make_monitor: Callable[..., Monitor]) -> None:
    monitor = make_monitor(url="http://127.0.0.1:9/", interval_seconds=1)
    settings = CheckerSettings(confirm_delay=timedelta(milliseconds=200), idle_sleep=0.05)
    checker = Checker(HttpProber(allow_private=False), settings)

    async def main() -> None:
        task = asyncio.create_task(checker.run())
        for _ in range(100):
            done = await asyncio.get_running_loop().run_in_executor(
                None, _polled(lambda: CheckResult.objects.filter(monitor=monitor).exists())
            )
            if done:
                break
            await asyncio.sleep(0.1)
        checker.stop()
        await task

    asyncio.run(main())
    result = CheckResult.objects.filter(monitor=monitor).first()
    assert result is not None and result.error_class == "blocked_address"
