"""The checker as a real process: killed with SIGKILL at any moment it loses nothing and
duplicates nothing; two checkers share the monitors without doing a slot twice."""

from __future__ import annotations

import itertools
import random
import signal
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection

from tests.targets import Target
from veilleur.domain.incidents import IncidentOpened, IncidentRecovered, Result, replay
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import CheckResult, Monitor

from .roles import start_checker

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def stored_results(monitor: Monitor) -> list[Result]:
    rows = CheckResult.objects.filter(monitor=monitor).order_by("checked_at")
    return [
        Result(
            at=r.checked_at,
            ok=r.ok,
            error_class=r.error_class,
            status_code=r.status_code,
            message=r.message,
            in_maintenance=r.in_maintenance,
            completed_at=r.checked_at + timedelta(milliseconds=r.total_ms or 0),
        )
        for r in rows
    ]


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(
    target: Target,
    make_monitor: Callable[..., Monitor],
    tmp_path: Path,
) -> None:
    monitor = make_monitor(url=f"http://127.0.0.1:{target.port}/", interval_seconds=1)
    log = tmp_path / "checker.log"
    rng = random.Random(20261127)
    # Up, down across three checker lives, up, down across two, up: each kill lands at a random
    # point of a streak, a confirmation or a recovery.
    for healthy in (True, False, False, False, True, False, False, True):
        target.healthy = healthy
        checker = start_checker(log)
        time.sleep(rng.uniform(1.5, 3.5))
        checker.send_signal(signal.SIGKILL)
        checker.wait()
        connection.close()

    # A last, orderly run settles any pending confirmation.
    target.healthy = True
    before = CheckResult.objects.count()
    checker = start_checker(log)
    wait_for(
        lambda: (
            CheckResult.objects.count() >= before + 4
            and not Incident.objects.filter(monitor=monitor, resolved_at__isnull=True).exists()
        )
    )
    checker.send_signal(signal.SIGTERM)
    assert checker.wait(timeout=30) == 0, log.read_text()

    # What is stored is exactly what the state machine makes of the stored results.
    _, events = replay(stored_results(monitor), confirmations=2)
    expected = [(e.first_failed_at, e.confirmed_at) for e in events if isinstance(e, IncidentOpened)]
    recovered = [(e.recovered_at, e.resolved_at) for e in events if isinstance(e, IncidentRecovered)]
    incidents = list(Incident.objects.filter(monitor=monitor).order_by("first_failed_at"))
    assert [(i.first_failed_at, i.confirmed_at) for i in incidents] == expected
    assert [(i.recovered_at, i.resolved_at) for i in incidents if i.resolved_at] == recovered
    assert expected, "the scenario should have produced at least one incident"


def test_two_checkers_share_monitors_without_doing_a_slot_twice(
    target: Target,
    make_monitor: Callable[..., Monitor],
    tmp_path: Path,
) -> None:
    monitors = [
        make_monitor(url=f"http://127.0.0.1:{target.port}/m{i}", interval_seconds=2) for i in range(30)
    ]
    log = tmp_path / "checkers.log"
    first, second = start_checker(log, region="a"), start_checker(log, region="b")
    wait_for(lambda: CheckResult.objects.count() >= 30 * 5, timeout=60)
    for checker in (first, second):
        checker.send_signal(signal.SIGTERM)
    for checker in (first, second):
        assert checker.wait(timeout=30) == 0, log.read_text()

    assert set(CheckResult.objects.values_list("region", flat=True)) == {"a", "b"}
    assert target.hits == CheckResult.objects.count(), "a check ran without being recorded, or twice"
    for monitor in monitors:
        times = list(
            CheckResult.objects.filter(monitor=monitor)
            .order_by("checked_at")
            .values_list("checked_at", flat=True)
        )
        gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(times)]
        assert gaps and min(gaps) > 1.0, f"monitor {monitor.pk} was checked twice in one slot: {gaps}"
        assert max(gaps) < 4.5, f"monitor {monitor.pk} skipped a slot: {gaps}"
