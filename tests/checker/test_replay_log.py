"""When the database is back, the checker stores the checks it kept and says in its log why any
were not stored: their monitor was checked again after the database returned, or it is another
checker's (or gone) now — never that another checker took a lease it did not take."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from veilleur.checker.leases import ensure_runtimes, lease_ids
from veilleur.checker.maintenance import MaintenanceCalendar
from veilleur.checker.probing import HttpProber
from veilleur.checker.recorder import record_batch
from veilleur.checker.runner import Checker, CheckerSettings
from veilleur.checker.work import Completed, Observation
from veilleur.monitoring.models import CheckResult, Monitor, MonitorRuntime

pytestmark = pytest.mark.django_db(transaction=True)

TTL = timedelta(seconds=120)


def test_the_log_says_why_kept_checks_were_dropped(
    make_monitor: Callable[..., Monitor], caplog: pytest.LogCaptureFixture
) -> None:
    checked_again, elsewhere, deleted, stored = (make_monitor() for _ in range(4))
    start = timezone.now()
    calendar = MaintenanceCalendar(ttl=timedelta(0))
    ensure_runtimes(start)
    # Before the outage, this checker leased all four and checked them; nothing could be stored.
    ours = lease_ids("us", [checked_again.pk, elsewhere.pk, deleted.pk, stored.pk], start, TTL, calendar)
    kept = [Completed(check, Observation(checked_at=start + timedelta(seconds=1), ok=True)) for check in ours]
    assert len(kept) == 4
    # Our leases expired; once the database was back, another checker took two of the monitors:
    # it checked one and stored the result, and still holds the other. One monitor was deleted.
    back = start + timedelta(seconds=200)
    [theirs] = lease_ids("them", [checked_again.pk], back, TTL, calendar)
    record_batch("them", "eu-east", [Completed(theirs, Observation(checked_at=back, ok=True))], back, TTL)
    lease_ids("them", [elsewhere.pk], back, TTL, calendar)
    deleted.delete()

    checker = Checker(
        HttpProber(allow_private=True),
        CheckerSettings(owner="us", region="eu-west", lease_ttl=TTL),
        clock=lambda: back + timedelta(seconds=10),
    )
    checker._kept = kept

    async def store_then_close() -> bool:
        try:
            return await checker._store_kept(force=True)
        finally:
            await checker._on_db(connections.close_all)  # the checker's database thread's own

    with caplog.at_level(logging.INFO, logger="veilleur.checker"):
        assert asyncio.run(store_then_close())

    assert list(CheckResult.objects.filter(region="eu-west").values_list("monitor_id", flat=True)) == [
        stored.pk
    ]
    lines = [record.getMessage() for record in caplog.records]
    assert "stored 1 of 4 checks made while the database was away (0 not kept)" in lines
    assert "1 kept checks dropped: the monitor was checked again after the database returned" in lines
    assert (
        "2 kept checks dropped: the monitor was deleted meanwhile or another checker holds its lease" in lines
    )
    assert not any("another checker took their lease" in line for line in lines), lines
    # Nothing of it was stored: this checker has no check of it planned, so it holds no lease on it.
    assert MonitorRuntime.objects.get(pk=checked_again.pk).lease_owner != "us"
