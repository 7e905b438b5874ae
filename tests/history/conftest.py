"""Fixtures of the history tests: monitors, and raw results written the way the checker does."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from veilleur.accounts.models import Agency
from veilleur.clients.models import Client, Site
from veilleur.monitoring.models import CheckResult, Monitor
from veilleur.plans.models import Plan

# A Monday; hours of this day are "finished" for a ``now`` later the same day.
DAY = datetime(2026, 3, 2, tzinfo=UTC)

MakeMonitor = Callable[..., Monitor]
AddResults = Callable[..., list[CheckResult]]


@pytest.fixture
def make_monitor(agency: Agency) -> MakeMonitor:
    plan = Plan.objects.get(agency=agency, key="premium")
    client = Client.objects.create(agency=agency, key="boulangerie", name="Boulangerie Martin", plan=plan)
    site = Site.objects.create(
        client=client,
        key="www",
        name="Site vitrine",
        url="https://boulangerie.example",
        apdex_threshold_ms=500,
    )

    def make(key: str = "home") -> Monitor:
        return Monitor.objects.create(site=site, key=key, url=f"https://boulangerie.example/{key}")

    return make


@pytest.fixture
def monitor(make_monitor: MakeMonitor) -> Monitor:
    return make_monitor()


def result_row(monitor: Monitor, at: datetime, rng: random.Random, **overrides: object) -> CheckResult:
    """A check at ``at`` (microsecond precision, as the checker stores it), mostly successful."""
    failed = rng.random() < 0.05
    ttfb = int(rng.lognormvariate(5.3, 0.4))
    fields: dict[str, object] = {
        "monitor": monitor,
        "checked_at": at,
        "ok": not failed,
        "error_class": "timeout" if failed else "",
        "status_code": None if failed else 200,
        "dns_ms": None if failed else rng.choice([0, 0, 0, 12]),
        "connect_ms": None if failed else 10 + rng.randrange(10),
        "tls_ms": None if failed else 20 + rng.randrange(20),
        "ttfb_ms": None if failed else ttfb,
        "total_ms": None if failed else ttfb + rng.randrange(30),
        "message": "délai dépassé (10 s)" if failed else "",
        "region": "eu-west",
    }
    fields.update(overrides)
    return CheckResult(**fields)


@pytest.fixture
def add_results() -> AddResults:
    def add(
        monitor: Monitor,
        start: datetime,
        hours: float = 1,
        every: timedelta = timedelta(seconds=30),
        seed: int = 0,
        **overrides: object,
    ) -> list[CheckResult]:
        rng = random.Random(seed)
        rows = []
        at = start
        while at < start + timedelta(hours=hours):
            jitter = timedelta(microseconds=rng.randrange(200_000))
            rows.append(result_row(monitor, at + jitter, rng, **overrides))
            at += every
        return CheckResult.objects.bulk_create(rows)

    return add
