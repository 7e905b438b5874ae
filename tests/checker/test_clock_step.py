"""A checker whose host clock is stepped ahead and back (as an NTP step would, the monotonic
clock left alone) stamps its checks and schedules its monitors by the database's clock: no check
stamped in the future, no monitor left unchecked for the length of the step."""

from __future__ import annotations

import itertools
import re
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bench.chaos.install import Clock, faketime_library
from django.db import connection

from tests.targets import Target
from veilleur.checker.clock import CheckerClock
from veilleur.monitoring.models import CheckResult, Monitor, NoDataGap

from .roles import start_checker
from .test_processes import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

STEP = 45  # seconds ahead, as in bench/chaos
INTERVAL = 2


def needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("on SQLite the database has no clock of its own: the host's clock is the reference")


def test_the_clock_is_the_databases_carried_by_the_monotonic_clock() -> None:
    needs_postgresql()
    ticks = [100.0]
    clock = CheckerClock(monotonic=lambda: ticks[0])
    clock.sync_if_due()
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        (database_now,) = cursor.fetchone()
    assert abs((clock() - database_now).total_seconds()) < 1
    before = clock()
    ticks[0] += 3.5  # the monotonic clock moved; no new reading until SYNC_SECONDS have passed
    clock.sync_if_due()
    assert clock() - before == timedelta(seconds=3.5)


def test_a_checker_stepped_ahead_and_back_stamps_and_schedules_by_the_database(
    target: Target, make_monitor: Callable[..., Monitor], tmp_path: Path
) -> None:
    needs_postgresql()
    library, why_not = faketime_library()
    if library is None:
        pytest.skip(why_not)
    monitor = make_monitor(url=f"http://127.0.0.1:{target.port}/", interval_seconds=INTERVAL)
    stepped = Clock(library, tmp_path / "checker.clock")
    log = tmp_path / "checker.log"
    stepped.set(STEP)  # wrong from the start
    checker = start_checker(log, **stepped.env())
    try:
        wait_for(lambda: CheckResult.objects.filter(monitor=monitor).count() >= 3, timeout=60)
        stepped.set(0)  # set right: a step back
        time.sleep(5)
        stepped.set(STEP)  # and ahead again, for a while
        time.sleep(5)
        stepped.set(0)
        stepped_back_at = datetime.now(UTC)
        wait_for(
            lambda: CheckResult.objects.filter(monitor=monitor, checked_at__gt=stepped_back_at).count() >= 3,
            timeout=60,
        )
    finally:
        checker.send_signal(signal.SIGTERM)
        checker.wait(timeout=30)
    text = log.read_text(errors="replace")
    stamps = list(
        CheckResult.objects.filter(monitor=monitor)
        .order_by("checked_at")
        .values_list("checked_at", flat=True)
    )
    assert max(stamps) <= datetime.now(UTC), text  # nothing stamped in the future
    # Checked at its cadence throughout: far from the step's length between two checks (the
    # bound is loose, for a loaded machine), and no no-data gap.
    widest = max(later - earlier for earlier, later in itertools.pairwise(stamps))
    assert widest < timedelta(seconds=STEP / 3), (widest, text)
    assert not NoDataGap.objects.filter(monitor=monitor).exists()
    offsets = [float(found) for found in re.findall(r"this host's clock is ([+-][0-9.]+) s off", text)]
    assert offsets and abs(offsets[0] - STEP) < 2, text  # said once, when first read
    assert "Traceback" not in text, text
