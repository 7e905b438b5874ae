"""Hedged confirmation re-checks: recorded after the failed check they confirm, dropped when it
succeeds; end to end against real sites on loopback that hang, answer slowly or refuse."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from django.db import connection

from tests.targets import Target
from veilleur.checker.hedging import Hedger, flattened
from veilleur.checker.leases import ensure_runtimes
from veilleur.checker.probing import HttpProber
from veilleur.checker.recorder import record_batch
from veilleur.checker.runner import Checker, CheckerSettings
from veilleur.checker.work import Completed, Observation
from veilleur.domain.incidents import MonitorState, Phase
from veilleur.incidents.models import Blip, Incident
from veilleur.monitoring.models import CheckResult, Monitor

from .conftest import T0, Driver, runtime

TIMEOUT = {"error_class": "timeout", "message": "no answer within 10 s", "total_ms": 10_000}


def timed_out(at: datetime) -> Observation:
    return Observation(checked_at=at, ok=False, **TIMEOUT)  # type: ignore[arg-type]


def test_re_checks_made_during_a_check_are_its_confirmations(monitor: Monitor, driver: Driver) -> None:
    ensure_runtimes(T0)
    due = runtime(monitor).due_at
    (leased,) = driver.lease(due)
    rechecks = (timed_out(due + timedelta(seconds=2)), timed_out(due + timedelta(seconds=2.5)))
    batch = [Completed(leased, timed_out(due), rechecks)]
    outcome = record_batch(driver.owner, "eu-west", batch, due + timedelta(seconds=13), timedelta(seconds=1))

    assert outcome.recorded == 3 and outcome.incidents_opened == 1
    incident = Incident.objects.get(monitor=monitor)
    assert incident.first_failed_at == due  # downtime from the first failed check
    # Confirmed when the confirming check completed: the last re-check, one timeout after its start.
    assert incident.confirmed_at == due + timedelta(seconds=12.5)
    assert [entry["at"] for entry in incident.proof] == [
        (due + timedelta(seconds=offset)).isoformat() for offset in (0, 2, 2.5)
    ]
    stored = CheckResult.objects.filter(monitor=monitor).order_by("checked_at")
    assert [(row.ok, row.confirmation) for row in stored] == [(False, False), (False, True), (False, True)]
    state = runtime(monitor)
    assert state.phase == "down" and state.confirm_at is None and state.lease_owner == ""
    assert state.next_slot_at == state.due_at == due + timedelta(seconds=monitor.effective_interval_seconds())
    assert state.last_checked_at == due + timedelta(seconds=2.5)


def test_too_few_re_checks_leave_the_rest_to_the_usual_confirmation(monitor: Monitor, driver: Driver) -> None:
    ensure_runtimes(T0)
    due = runtime(monitor).due_at
    (leased,) = driver.lease(due)
    batch = [Completed(leased, timed_out(due), (timed_out(due + timedelta(seconds=2)),))]
    record_batch(driver.owner, "eu-west", batch, due + timedelta(seconds=12), timedelta(seconds=1))

    assert not Incident.objects.exists()
    state = runtime(monitor)
    assert state.phase == "confirming_down" and state.streak == 2 and state.streak_started_at == due
    assert state.confirm_at == due + timedelta(seconds=3)  # the last re-check's start + the delay
    (confirming,) = driver.lease(state.due_at + timedelta(seconds=10))
    assert confirming.is_confirmation
    driver.record([(confirming, timed_out(confirming.due_at))], confirming.due_at)
    incident = Incident.objects.get(monitor=monitor)
    assert incident.first_failed_at == due and len(incident.proof) == 3


def test_re_checks_of_a_lease_lost_meanwhile_are_dropped_with_their_check(
    monitor: Monitor, driver: Driver
) -> None:
    ensure_runtimes(T0)
    due = runtime(monitor).due_at
    (leased,) = driver.lease(due)
    other = Driver(owner="other-checker")
    later = due + timedelta(seconds=200)  # past the lease's expiry: the other checker takes it
    assert other.lease(later)
    batch = [Completed(leased, timed_out(due), (timed_out(due + timedelta(seconds=2)),))]
    outcome = record_batch(driver.owner, "eu-west", batch, later, timedelta(seconds=1))
    assert outcome.recorded == 0 and outcome.lost_leases == 2
    assert not CheckResult.objects.filter(monitor=monitor).exists()


def test_checks_kept_while_the_database_is_away_are_stored_one_by_one(
    monitor: Monitor, driver: Driver
) -> None:
    ensure_runtimes(T0)
    due = runtime(monitor).due_at
    (leased,) = driver.lease(due)
    rechecks = (timed_out(due + timedelta(seconds=2)), timed_out(due + timedelta(seconds=2.5)))
    flat = flattened([Completed(leased, timed_out(due), rechecks)])
    assert [item.observation for item in flat] == [timed_out(due), *rechecks]
    assert [item.check.is_confirmation for item in flat] == [False, True, True]
    assert all(item.confirmations == () for item in flat)


def test_only_a_leased_check_of_a_monitor_that_is_up_is_hedged(monitor: Monitor, driver: Driver) -> None:
    ensure_runtimes(T0)
    due = runtime(monitor).due_at
    (leased,) = driver.lease(due)
    hedger = Hedger(HttpProber(allow_private=True), after=2.0, spacing=0.5, limit=10)
    assert hedger.starts_for(leased) == [2.0, 2.5]  # premium: 2 confirmations, 5 s timeout
    assert hedger.starts_for(replace(leased, scheduled_offline=True)) == []
    assert hedger.starts_for(replace(leased, state=MonitorState(Phase.DOWN))) == []
    now = datetime.now(UTC)
    window = [(now - timedelta(minutes=1), now + timedelta(minutes=1))]
    assert hedger.starts_for(replace(leased, maintenance=window)) == []


# End to end: the checker on this thread's event loop, real probes, real sites on 127.0.0.1.


def _polled(condition: Callable[[], bool]) -> Callable[[], bool]:
    def poll() -> bool:
        try:
            return condition()
        finally:
            connection.close()

    return poll


def run_checker_until(condition: Callable[[], bool], timeout: float = 40.0, **settings: object) -> Checker:
    defaults = CheckerSettings(
        region="test",
        confirm_delay=timedelta(milliseconds=200),
        idle_sleep=0.05,
        hedge_after=0.3,
        hedge_spacing=0.1,
    )
    checker = Checker(HttpProber(allow_private=True), replace(defaults, **settings))  # type: ignore[arg-type]

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


@pytest.fixture
def hung_port() -> Iterator[int]:
    """A site that accepts connections (the kernel completes them) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.django_db(transaction=True)
def test_a_hung_site_is_confirmed_by_re_checks_made_while_its_check_waits(
    hung_port: int, make_monitor: Callable[..., Monitor]
) -> None:
    monitor = make_monitor(url=f"http://127.0.0.1:{hung_port}/", interval_seconds=10, timeout_seconds=2)
    checker = run_checker_until(lambda: Incident.objects.filter(monitor=monitor).exists())

    incident = Incident.objects.get(monitor=monitor)
    assert incident.cause_error_class == "timeout"
    first, *rechecks = CheckResult.objects.filter(monitor=monitor).order_by("checked_at")
    assert len(rechecks) == 2 and all(row.confirmation and not row.ok for row in rechecks)
    assert not first.confirmation and incident.first_failed_at == first.checked_at
    # Started while the first check was still waiting for its answer, not one after the other.
    timeout = timedelta(seconds=monitor.timeout_seconds)
    assert all(first.checked_at < row.checked_at < first.checked_at + timeout for row in rechecks)
    assert incident.confirmed_at >= rechecks[-1].checked_at + timeout
    assert checker.hedger.started == 2 and checker.hedger.dropped == 0
    assert checker.hedger.running == 0
    assert checker._hosts["127.0.0.1"]._value == checker.settings.per_host  # type: ignore[attr-defined]


@pytest.mark.django_db(transaction=True)
def test_re_checks_of_a_slow_site_that_answers_are_dropped(
    target: Target, make_monitor: Callable[..., Monitor]
) -> None:
    monitor = make_monitor(url=f"http://127.0.0.1:{target.port}/", interval_seconds=1, timeout_seconds=5)
    target.hang_seconds = 1.0  # slower than the hedge delay, well within the timeout
    checker = run_checker_until(lambda: CheckResult.objects.filter(monitor=monitor).count() >= 2)

    assert checker.hedger.started >= 2 and checker.hedger.dropped == checker.hedger.started
    # Cancelled re-checks gave their places of the per-host limit back.
    assert checker.hedger.running == 0
    assert checker._hosts["127.0.0.1"]._value == checker.settings.per_host  # type: ignore[attr-defined]
    stored = CheckResult.objects.filter(monitor=monitor)
    assert all(row.ok and not row.confirmation for row in stored)
    assert target.hits > stored.count()  # the re-checks did reach the site; nothing of them is kept
    assert not Incident.objects.exists() and not Blip.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_refused_site_is_confirmed_by_re_checks_in_series(
    closed_port: int, make_monitor: Callable[..., Monitor]
) -> None:
    monitor = make_monitor(url=f"http://127.0.0.1:{closed_port}/", interval_seconds=10, timeout_seconds=5)
    checker = run_checker_until(lambda: Incident.objects.filter(monitor=monitor).exists())

    incident = Incident.objects.get(monitor=monitor)
    assert incident.cause_error_class == "refused" and len(incident.proof) == 3
    assert checker.hedger.started == 0  # answered (refused) at once: nothing to hedge
    times = list(
        CheckResult.objects.filter(monitor=monitor)
        .order_by("checked_at")
        .values_list("checked_at", flat=True)
    )
    delay = checker.settings.confirm_delay
    assert len(times) == 3 and all(later - earlier >= delay for earlier, later in pairwise(times))
    assert incident.confirmed_at >= times[-1]


@pytest.mark.django_db(transaction=True)
def test_without_hedging_a_hung_site_is_re_checked_one_timeout_after_another(
    hung_port: int, make_monitor: Callable[..., Monitor]
) -> None:
    monitor = make_monitor(url=f"http://127.0.0.1:{hung_port}/", interval_seconds=10, timeout_seconds=1)
    checker = run_checker_until(lambda: Incident.objects.filter(monitor=monitor).exists(), hedge_after=0.0)

    assert checker.hedger.started == 0
    times = list(
        CheckResult.objects.filter(monitor=monitor)
        .order_by("checked_at")
        .values_list("checked_at", flat=True)
    )
    timeout = timedelta(seconds=monitor.timeout_seconds)
    assert len(times) == 3 and all(later - earlier >= timeout for earlier, later in pairwise(times))
