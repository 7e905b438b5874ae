"""Fixtures for the checker: a client on a plan with one monitor, and a leasing helper."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from veilleur.accounts.models import Agency
from veilleur.checker.leases import ensure_runtimes, lease_due
from veilleur.checker.maintenance import MaintenanceCalendar
from veilleur.checker.recorder import BatchOutcome, record_batch
from veilleur.checker.work import Completed, LeasedCheck, Observation
from veilleur.clients.models import Client, Site
from veilleur.monitoring.models import Monitor, MonitorRuntime
from veilleur.plans.models import Plan

T0 = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def make_monitor(agency: Agency) -> Callable[..., Monitor]:
    counter = iter(range(1, 10_000))

    def make(plan: str = "premium", url: str = "http://127.0.0.1:9/", **fields: object) -> Monitor:
        n = next(counter)
        client = Client.objects.create(
            agency=agency,
            key=f"client-{n}",
            name=f"Client {n}",
            plan=Plan.objects.get(agency=agency, key=plan),
        )
        site = Site.objects.create(client=client, key="www", name="Site", url=url)
        return Monitor.objects.create(site=site, key="home", url=url, **{"timeout_seconds": 5, **fields})

    return make


@pytest.fixture
def monitor(make_monitor: Callable[..., Monitor]) -> Monitor:
    return make_monitor()


class Driver:
    """Runs the checker's database side by hand: lease what is due at ``now``, record observations."""

    def __init__(self, owner: str = "test-checker") -> None:
        self.owner = owner
        self.calendar = MaintenanceCalendar(ttl=timedelta(0))

    def lease(self, now: datetime, limit: int = 100) -> list[LeasedCheck]:
        ensure_runtimes(now)
        return lease_due(self.owner, now, timedelta(seconds=2), timedelta(seconds=120), limit, self.calendar)

    def record(self, items: list[tuple[LeasedCheck, Observation]], now: datetime) -> BatchOutcome:
        batch = [Completed(check, seen) for check, seen in items]
        return record_batch(self.owner, "eu-west", batch, now, timedelta(seconds=3))

    def run_due(self, now: datetime, ok: bool, **observed: object) -> list[LeasedCheck]:
        """Lease everything due at ``now`` and record the same observation for each."""
        leased = self.lease(now)
        self.record(
            [(item, Observation(checked_at=max(now, item.due_at), ok=ok, **observed)) for item in leased],  # type: ignore[arg-type]
            now,
        )
        return leased


@pytest.fixture
def driver() -> Driver:
    return Driver()


def runtime(monitor: Monitor) -> MonitorRuntime:
    return MonitorRuntime.objects.get(pk=monitor.pk)
