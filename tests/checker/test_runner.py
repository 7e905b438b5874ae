"""The checker role end to end, in-process: real probes against a real HTTP server on loopback."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from aiohttp import web
from django.db import connection

from veilleur.checker.probing import HttpProber
from veilleur.checker.runner import Checker, CheckerSettings
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import CheckResult, Monitor, MonitorRuntime

pytestmark = pytest.mark.django_db(transaction=True)


class Target:
    """An HTTP server on 127.0.0.1 whose health the test switches."""

    def __init__(self) -> None:
        self.healthy = True
        self.hits = 0
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        self.hits += 1
        if self.healthy:
            return web.Response(text="<h1>Boulangerie Martin</h1>")
        return web.Response(status=503, text="maintenance")

    def start(self) -> None:
        threading.Thread(target=self._serve, daemon=True).start()
        assert self._ready.wait(10)

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        self._loop.run_forever()

    def stop(self) -> None:
        assert self._loop is not None and self._runner is not None
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)


@pytest.fixture
def target() -> Iterator[Target]:
    server = Target()
    server.start()
    yield server
    server.stop()


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
