"""The worker's degraded-performance job on stored checks: which checks it judges, the baseline
from the daily rollups, and slowdowns ended when nobody watches the speed any more."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from veilleur.accounts.models import Agency
from veilleur.clients.models import Client, Site
from veilleur.domain.degradation import MIN_BASELINE_DAYS, MIN_BASELINE_SAMPLES
from veilleur.domain.histogram import LatencyHistogram
from veilleur.domain.rollups import HourRollup, pack_day
from veilleur.history.models import RollupDay
from veilleur.incidents.degraded import evaluate_degraded_performance, forget_baselines, usual_p95
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import CheckResult, Monitor
from veilleur.plans.models import Plan

pytestmark = pytest.mark.django_db

AddChecks = Callable[..., datetime]


@pytest.fixture(autouse=True)
def fresh_baselines() -> None:
    """Test databases reuse monitor ids: no baseline carried over from another test."""
    forget_baselines()


@pytest.fixture
def monitor(agency: Agency) -> Monitor:
    client = Client.objects.create(
        agency=agency, key="bakery", name="Bakery", plan=Plan.objects.get(agency=agency, key="premium")
    )
    site = Site.objects.create(client=client, key="shop", name="Shop", url="https://shop.example/")
    return Monitor.objects.create(site=site, key="home", url="https://shop.example/")


@pytest.fixture
def add_checks(monitor: Monitor) -> AddChecks:
    """Regular checks 30 s apart, following the previous ones: one per total time given (None: a
    failure). Returns the time of the last."""
    last = [timezone.now() - timedelta(hours=1)]

    def add(*totals: int | None, **marks: bool) -> datetime:
        times = [last[0] + timedelta(seconds=30 * (i + 1)) for i in range(len(totals))]
        CheckResult.objects.bulk_create(
            CheckResult(monitor=monitor, checked_at=at, ok=total is not None, total_ms=total, **marks)
            for at, total in zip(times, totals, strict=True)
        )
        last[0] = times[-1]
        return times[-1]

    return add


def test_slow_checks_open_a_slowdown_and_normal_ones_close_it(
    monitor: Monitor, add_checks: AddChecks
) -> None:
    add_checks(200, 3500, 3600, 3700)
    assert evaluate_degraded_performance(timezone.now()).opened == 1
    assert evaluate_degraded_performance(timezone.now()).opened == 0  # found again, not opened twice
    add_checks(300, 310, 320)
    report = evaluate_degraded_performance(timezone.now())
    assert report.cleared == 1
    [incident] = Incident.objects.filter(monitor=monitor)
    assert incident.kind == Incident.Kind.DEGRADED and incident.resolved_at is not None
    assert [entry["total_ms"] for entry in incident.recovery_proof] == [300, 310, 320]


@pytest.mark.parametrize("marks", [{"confirmation": True}, {"in_maintenance": True}])
def test_confirmations_and_maintenance_are_not_judged(
    monitor: Monitor, add_checks: AddChecks, marks: dict[str, bool]
) -> None:
    add_checks(3500, 3600, 3700, **marks)
    assert not evaluate_degraded_performance(timezone.now())
    assert not Incident.objects.filter(monitor=monitor).exists()


def test_a_plan_without_performance_monitoring_is_not_judged(monitor: Monitor, add_checks: AddChecks) -> None:
    plan = monitor.site.client.plan
    plan.performance_monitoring = False
    plan.save()
    add_checks(3500, 3600, 3700)
    assert not evaluate_degraded_performance(timezone.now())


def test_a_sites_own_threshold_wins_over_the_plans(monitor: Monitor, add_checks: AddChecks) -> None:
    Site.objects.filter(pk=monitor.site_id).update(degraded_above_ms=1000)
    add_checks(1500, 1600, 1700)
    assert evaluate_degraded_performance(timezone.now()).opened == 1


def _usual_days(monitor: Monitor, days: int, per_day: int, ms: int) -> None:
    today = timezone.now().date()
    for back in range(1, days + 1):
        hour = HourRollup(latency=LatencyHistogram.of([ms] * per_day))
        RollupDay.objects.create(
            monitor=monitor, day=today - timedelta(days=back), hours=pack_day({12: hour})
        )


def test_the_baseline_rule_needs_history_then_fires_under_the_threshold(
    monitor: Monitor, add_checks: AddChecks
) -> None:
    per_day = MIN_BASELINE_SAMPLES // MIN_BASELINE_DAYS + 1
    _usual_days(monitor, MIN_BASELINE_DAYS - 1, per_day, 300)
    assert usual_p95(monitor.pk, timezone.now().date()) is None  # too few days yet
    add_checks(*[900] * 8)  # three times the usual speed, well under the 3,000 ms threshold
    assert not evaluate_degraded_performance(timezone.now())

    RollupDay.objects.all().delete()
    forget_baselines()
    _usual_days(monitor, MIN_BASELINE_DAYS, per_day, 300)
    assert usual_p95(monitor.pk, timezone.now().date()) == pytest.approx(300, rel=0.1)
    assert evaluate_degraded_performance(timezone.now()).opened == 1
    incident = Incident.objects.get(monitor=monitor)
    assert "p95" in incident.cause_message


def test_pausing_ends_an_open_slowdown_without_a_notice(monitor: Monitor, add_checks: AddChecks) -> None:
    add_checks(3500, 3600, 3700)
    evaluate_degraded_performance(timezone.now())
    Monitor.objects.filter(pk=monitor.pk).update(paused=True)
    assert evaluate_degraded_performance(timezone.now() + timedelta(seconds=1)).cleared == 1
    incident = Incident.objects.get(monitor=monitor)
    assert incident.resolved_at is not None
    assert incident.notifications.filter(kind="performance_restored").count() == 0
