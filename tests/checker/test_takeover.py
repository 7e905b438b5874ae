"""A checker that dies for good, or freezes (a zombie that still holds its process id): another
one checks its monitors within one interval + 10 s."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from tests.targets import Target
from veilleur.monitoring.models import CheckResult, Monitor, MonitorRuntime

from .roles import start_checker
from .test_processes import wait_for

pytestmark = pytest.mark.django_db(transaction=True)
INTERVAL = 2
ALLOWED = timedelta(seconds=INTERVAL + 10)


@pytest.mark.parametrize("death", [signal.SIGKILL, signal.SIGSTOP], ids=["killed", "frozen"])
def test_a_dead_checkers_monitors_are_taken_over_within_an_interval_and_ten_seconds(
    target: Target, make_monitor: Callable[..., Monitor], tmp_path: Path, death: signal.Signals
) -> None:
    monitors = [
        make_monitor(url=f"http://127.0.0.1:{target.port}/{n}", interval_seconds=INTERVAL) for n in range(8)
    ]
    doomed = start_checker(tmp_path / "doomed.log")
    survivor = start_checker(tmp_path / "survivor.log")
    try:
        owner_suffix = f":{doomed.pid}"
        # Killed while it holds leases of monitors it has not checked yet.
        wait_for(
            lambda: (
                MonitorRuntime.objects.filter(lease_owner__endswith=owner_suffix).exists()
                and CheckResult.objects.count() >= len(monitors)
            ),
            timeout=30,
        )
        doomed.send_signal(death)
        if death == signal.SIGKILL:
            doomed.wait()
        killed_at = timezone.now()
        held = set(
            MonitorRuntime.objects.filter(lease_owner__endswith=owner_suffix).values_list(
                "monitor_id", flat=True
            )
        )
        assert held, "the checker was killed holding no lease: nothing to take over"
        connection.close()
        time.sleep(ALLOWED.total_seconds() + 1)
        for monitor in monitors:
            checked = CheckResult.objects.filter(
                monitor=monitor, checked_at__gt=killed_at, checked_at__lte=killed_at + ALLOWED
            )
            assert checked.exists(), (
                f"monitor {monitor.pk} (leased by the dead checker: {monitor.pk in held})"
            )
        assert survivor.poll() is None
    finally:
        for process in (doomed, survivor):
            if process.poll() is None:
                process.kill()
            process.wait()
