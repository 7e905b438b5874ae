"""A checker cut off from the Internet opens no client incident; sites that really go down do.

Everything on loopback: the clients' sites share one real HTTP server, the canary has its own,
and cutting the checker off is both servers refusing connections at once (as a lost network
does: nothing answers). The agency's notices go through the worker's delivery job to a real
SMTP server.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from django.db import connection
from django.utils import timezone
from prometheus_client import REGISTRY

from tests.checker.loopback_dns import Resolver
from tests.notifications.mailsink import MailSink
from veilleur.accounts.models import Agency
from veilleur.checker.outage_notices import close_dead_local_outages
from veilleur.checker.probing import HttpProber
from veilleur.checker.runner import Checker, CheckerSettings
from veilleur.checker.selfhealth import SelfHealthSettings
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import CheckerOutage, CheckResult, Monitor, NoDataGap
from veilleur.notifications.delivery import deliver_outbox
from veilleur.notifications.models import OnCallAddress, OutboxMessage
from veilleur.notifications.rendering import render_message
from veilleur.probes.dns_server import ServerResolver

pytestmark = pytest.mark.django_db(transaction=True)
ON_CALL = "astreinte@atelier.example"


class Server:
    """An HTTP server on 127.0.0.1 that can stop accepting connections and come back on its port."""

    def __init__(self) -> None:
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        threading.Thread(target=self._loop.run_forever, daemon=True).start()
        self._call(self._setup())
        self.restore()

    def _call(self, coroutine: object) -> object:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)  # type: ignore[arg-type]

    async def _setup(self) -> None:
        async def page(request: web.Request) -> web.Response:
            return web.Response(text="<h1>ok</h1>")

        app = web.Application()
        app.router.add_get("/{tail:.*}", page)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()

    async def _start(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await self._site.start()
        server = self._site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def _stop(self) -> None:
        assert self._site is not None
        await self._site.stop()
        self._site = None

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def cut(self) -> None:
        self._call(self._stop())

    def restore(self) -> None:
        self._call(self._start())

    def close(self) -> None:
        if self._site is not None:
            self.cut()
        assert self._runner is not None
        self._call(self._runner.cleanup())
        self._loop.call_soon_threadsafe(self._loop.stop)


@pytest.fixture
def sites() -> Iterator[Server]:
    server = Server()
    yield server
    server.close()


@pytest.fixture
def canary() -> Iterator[Server]:
    server = Server()
    yield server
    server.close()


@pytest.fixture
def sink(settings: Any) -> Iterator[MailSink]:
    server = MailSink().start()
    settings.VEILLEUR_SMTP_URL = server.url
    yield server
    server.stop()


def _polled(condition: Callable[[], bool]) -> Callable[[], bool]:
    def poll() -> bool:
        try:
            return condition()
        finally:
            connection.close()

    return poll


Step = tuple[Callable[[], object], Callable[[], bool]]


class Run:
    """A real checker on this thread's event loop, with steps run between its checks."""

    def __init__(self, canary_url: str, prober: HttpProber | None = None, **health: Any) -> None:
        settings = CheckerSettings(
            region="test",
            confirm_delay=timedelta(milliseconds=200),
            idle_sleep=0.05,
            self_health=SelfHealthSettings(
                canary_urls=(canary_url,) if canary_url else (), **{"recheck_seconds": 0.5, **health}
            ),
        )
        self.checker = Checker(prober or HttpProber(allow_private=True), settings)

    def through(
        self, steps: list[tuple[Callable[[], object], Callable[[], bool]]], timeout: float = 40
    ) -> None:
        """For each step: do it (on another thread), then wait until its condition holds."""

        async def main() -> None:
            task = asyncio.create_task(self.checker.run())
            loop = asyncio.get_running_loop()
            try:
                for action, condition in steps:
                    await loop.run_in_executor(None, action)
                    deadline = loop.time() + timeout
                    while not await loop.run_in_executor(None, _polled(condition)):
                        assert loop.time() < deadline, f"timed out waiting for {condition.__name__}"
                        assert not task.done(), "the checker stopped"
                        await asyncio.sleep(0.1)
            finally:
                self.checker.stop()
                await task

        asyncio.run(main())


def _monitors(make: Callable[..., Monitor], sites: Server, agency: Agency, count: int) -> list[Monitor]:
    agency.language = "en"
    agency.save()
    OnCallAddress.objects.create(agency=agency, email=ON_CALL)
    return [make(url=sites.url(f"shop-{n}"), interval_seconds=1) for n in range(count)]


def test_a_checker_cut_off_opens_no_incident_records_its_outage_and_tells_the_agency(
    sites: Server,
    canary: Server,
    sink: MailSink,
    agency: Agency,
    make_monitor: Callable[..., Monitor],
) -> None:
    monitors = _monitors(make_monitor, sites, agency, 4)
    run = Run(canary.url("canary"))
    cut_at: list[datetime] = []
    withheld_before = REGISTRY.get_sample_value("veilleur_checker_verdicts_withheld_total") or 0.0
    impaired_seen: list[float] = []

    def every_monitor_checked_twice() -> bool:
        return all(CheckResult.objects.filter(monitor=m, ok=True).count() >= 2 for m in monitors)

    def cut_off() -> None:
        cut_at.append(datetime.now(UTC))
        sites.cut()
        canary.cut()

    def outage_recorded() -> bool:
        return CheckerOutage.objects.exists()

    def a_few_more_seconds() -> bool:
        impaired_seen.append(REGISTRY.get_sample_value("veilleur_checker_impaired") or 0.0)
        return datetime.now(UTC) > cut_at[0] + timedelta(seconds=4)

    def outage_over() -> bool:
        return CheckerOutage.objects.filter(ended_at__isnull=False).exists()

    def checks_stored_again() -> bool:
        outage = CheckerOutage.objects.get()
        assert outage.ended_at is not None
        return all(
            CheckResult.objects.filter(monitor=m, ok=True, checked_at__gte=outage.ended_at).exists()
            for m in monitors
        )

    def restore() -> None:
        sites.restore()
        canary.restore()

    run.through(
        [
            (lambda: None, every_monitor_checked_twice),
            (cut_off, outage_recorded),
            (lambda: None, a_few_more_seconds),
            (restore, outage_over),
            (lambda: None, checks_stored_again),
        ]
    )

    assert not Incident.objects.exists()
    assert impaired_seen and set(impaired_seen) == {1.0}  # /metrics said so while it lasted
    assert REGISTRY.get_sample_value("veilleur_checker_impaired") == 0.0
    assert (REGISTRY.get_sample_value("veilleur_checker_verdicts_withheld_total") or 0.0) > withheld_before
    outage = CheckerOutage.objects.get()
    assert outage.ended_at is not None
    assert outage.owner == run.checker.settings.owner and outage.region == "test"
    assert outage.reason == "canaries"
    assert cut_at[0] - timedelta(seconds=2) <= outage.started_at < outage.ended_at
    assert outage.monitors_affected == len(monitors)
    # No verdict was stored while cut off: every failure seen then stayed out of the results.
    assert not CheckResult.objects.filter(ok=False, checked_at__gte=outage.started_at).exists()
    # Nobody else checked those monitors: the outage is a gap without data for each, our outage.
    for monitor in monitors:
        gap = NoDataGap.objects.get(monitor=monitor)
        assert gap.started_at < outage.started_at and gap.ended_at == outage.ended_at

    kinds = list(OutboxMessage.objects.order_by("id").values_list("kind", "recipient"))
    assert kinds == [("checker_impaired", ON_CALL), ("checker_recovered", ON_CALL)]
    deliver_outbox(timezone.now())
    received = sink.wait_for(2)
    subjects = sorted(item.subject for item in received)
    assert all(item.recipients == [ON_CALL] for item in received)
    assert any("cannot reach the Internet" in s and outage.owner in s for s in subjects), subjects
    assert any("reaches the Internet again" in s for s in subjects), subjects
    # A retry of the same writes (the checker restarted on this host) sends nothing twice.
    assert close_dead_local_outages(socket.gethostname(), timezone.now()) == 0
    assert OutboxMessage.objects.count() == 2


def test_sites_that_really_go_down_while_the_canary_answers_open_incidents(
    sites: Server,
    canary: Server,
    sink: MailSink,
    agency: Agency,
    make_monitor: Callable[..., Monitor],
) -> None:
    """Every site of the agency on one server that stops: the canary still answers, so the
    failures are real and each monitor gets its incident."""
    monitors = _monitors(make_monitor, sites, agency, 4)
    run = Run(canary.url("canary"))

    def every_monitor_checked() -> bool:
        return all(CheckResult.objects.filter(monitor=m, ok=True).exists() for m in monitors)

    def every_monitor_down() -> bool:
        return Incident.objects.filter(monitor__in=monitors).count() == len(monitors)

    run.through([(lambda: None, every_monitor_checked), (sites.cut, every_monitor_down)])

    assert not CheckerOutage.objects.exists()
    assert set(Incident.objects.values_list("cause_error_class", flat=True)) == {"refused"}
    assert not OutboxMessage.objects.filter(kind__startswith="checker_").exists()


@pytest.fixture
def resolver() -> Iterator[Resolver]:
    server = Resolver()
    yield server
    server.stop()


def test_without_canaries_a_resolver_that_stops_answering_is_the_checkers_outage(
    sites: Server, resolver: Resolver, agency: Agency, make_monitor: Callable[..., Monitor]
) -> None:
    """The checker's resolver (``VEILLEUR_CHECKER_DNS_SERVER``) goes silent: every host name
    fails to resolve at once, which no client's outage looks like. No incident, an outage of
    ours; when the resolver answers again, the monitors that failed answer and checks resume."""
    agency.language = "fr"
    agency.save()
    OnCallAddress.objects.create(agency=agency, email=ON_CALL)
    monitors = [make_monitor(url=f"http://shop-{n}.test:{sites.port}/", interval_seconds=1) for n in range(4)]
    run = Run("", HttpProber(allow_private=True, resolver=ServerResolver(resolver.server, lifetime=1.0)))

    def every_monitor_checked() -> bool:
        return all(CheckResult.objects.filter(monitor=m, ok=True).exists() for m in monitors)

    def silence() -> None:
        resolver.answering = False

    def answer_again() -> None:
        resolver.answering = True

    def outage_recorded() -> bool:
        return CheckerOutage.objects.exists()

    def outage_over() -> bool:
        return CheckerOutage.objects.filter(ended_at__isnull=False).exists()

    run.through(
        [(lambda: None, every_monitor_checked), (silence, outage_recorded), (answer_again, outage_over)]
    )

    assert not Incident.objects.exists()
    outage = CheckerOutage.objects.get()
    assert outage.reason == "dns"
    assert not CheckResult.objects.filter(ok=False, checked_at__gte=outage.started_at).exists()
    rows = list(OutboxMessage.objects.order_by("kind"))
    assert [(row.kind, row.language) for row in rows] == [
        ("checker_impaired", "fr"),
        ("checker_recovered", "fr"),
    ]
    impaired, recovered = (render_message(row) for row in rows)
    assert impaired.subject.endswith(f"Le vérificateur {outage.owner} ne peut plus joindre Internet")
    assert "aucun nom d’hôte ne se résolvait plus" in impaired.text
    assert recovered.subject.endswith(f"Le vérificateur {outage.owner} joint de nouveau Internet")


def test_without_canaries_one_domain_that_stops_resolving_is_the_sites_outage(
    sites: Server, resolver: Resolver, agency: Agency, make_monitor: Callable[..., Monitor]
) -> None:
    """A client's domain lapses: its name alone stops resolving. Nothing else answering since
    (this checker checks only that site), the failure waits for its verdict, then is stored all
    the same: a false alarm is better than a hidden outage. The incident opens."""
    monitor = make_monitor(url=f"http://lapsed.test:{sites.port}/", interval_seconds=1)
    prober = HttpProber(allow_private=True, resolver=ServerResolver(resolver.server, lifetime=1.0))
    run = Run("", prober, hold_seconds=1.0)

    def checked() -> bool:
        return CheckResult.objects.filter(monitor=monitor, ok=True).exists()

    def lapse() -> None:
        resolver.missing.add("lapsed.test")

    def incident_opened() -> bool:
        return Incident.objects.filter(monitor=monitor).exists()

    run.through([(lambda: None, checked), (lapse, incident_opened)])
    assert Incident.objects.get(monitor=monitor).cause_error_class == "dns"
    assert not CheckerOutage.objects.exists()


def test_a_checker_stopped_while_cut_off_ends_its_outage_and_says_it_stopped(
    sites: Server,
    canary: Server,
    sink: MailSink,
    agency: Agency,
    make_monitor: Callable[..., Monitor],
) -> None:
    monitors = _monitors(make_monitor, sites, agency, 3)
    run = Run(canary.url("canary"))

    def checked() -> bool:
        return all(CheckResult.objects.filter(monitor=m, ok=True).exists() for m in monitors)

    def cut_off() -> None:
        sites.cut()
        canary.cut()

    def outage_recorded() -> bool:
        return CheckerOutage.objects.exists()

    run.through([(lambda: None, checked), (cut_off, outage_recorded)])  # then the checker stops

    outage = CheckerOutage.objects.get()
    assert outage.ended_at is not None and outage.stopped
    assert not Incident.objects.exists()
    assert all(NoDataGap.objects.filter(monitor=m, ended_at=outage.ended_at).exists() for m in monitors)
    deliver_outbox(timezone.now())
    subjects = sorted(item.subject for item in sink.wait_for(2))
    assert any(s.endswith(f"The checker {outage.owner} stopped while cut off") for s in subjects), subjects


def test_the_outage_of_a_checker_killed_while_cut_off_is_ended_by_the_next_on_its_host() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = socket.gethostname()
    started = timezone.now() - timedelta(minutes=3)
    dead = CheckerOutage.objects.create(owner=f"{host}:{gone.pid}", started_at=started, reason="dns")
    alive = CheckerOutage.objects.create(owner=f"{host}:{os.getpid()}", started_at=started, reason="dns")
    elsewhere = CheckerOutage.objects.create(
        owner=f"other-{host}:{gone.pid}", started_at=started, reason="dns"
    )
    assert close_dead_local_outages(host, timezone.now()) == 1
    dead.refresh_from_db()
    assert dead.ended_at is not None and dead.stopped
    assert CheckerOutage.objects.filter(pk__in=[alive.pk, elsewhere.pk], ended_at__isnull=True).count() == 2
