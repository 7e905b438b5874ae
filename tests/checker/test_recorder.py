"""Recording checks: schedule, confirmation, incidents with their timestamps, blips, gaps, leases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from veilleur.checker.leases import ensure_runtimes, release
from veilleur.checker.work import Observation
from veilleur.clients.models import MaintenanceWindow
from veilleur.incidents.models import Blip, Incident
from veilleur.monitoring.models import CheckResult, Monitor, NoDataGap

from .conftest import T0, Driver, runtime

FAIL = {"error_class": "http_status", "status_code": 500, "message": "HTTP 500"}


def advance_to_next_due(monitor: Monitor) -> datetime:
    return runtime(monitor).due_at


def test_first_slot_keeps_the_phase_and_next_slot_follows(monitor: Monitor, driver: Driver) -> None:
    leased = driver.lease(T0)
    assert leased == [] or leased[0].due_at >= T0
    first_due = runtime(monitor).due_at
    assert T0 <= first_due < T0 + timedelta(seconds=30)
    driver.run_due(first_due, ok=True, status_code=200, total_ms=120)
    state = runtime(monitor)
    assert state.next_slot_at == first_due + timedelta(seconds=30)
    assert state.lease_owner == "" and state.last_ok is True
    assert CheckResult.objects.get(monitor=monitor).checked_at == first_due


def test_confirmed_outage_opens_one_incident_with_every_timestamp(monitor: Monitor, driver: Driver) -> None:
    # Runtimes only: a lease taken now would keep a monitor whose first slot is within the
    # lease horizon of T0 (its phase comes from its id) from the test's own next lease.
    ensure_runtimes(T0)
    now = advance_to_next_due(monitor)
    driver.run_due(now, ok=True)
    times = []
    for _ in range(3):  # the failure, then two confirmation checks 3 s apart
        now = advance_to_next_due(monitor)
        times.append(now)
        leased = driver.run_due(now, ok=False, **FAIL)
        assert len(leased) == 1
    assert times[1] - times[0] == timedelta(seconds=3) and times[2] - times[1] == timedelta(seconds=3)
    incident = Incident.objects.get(monitor=monitor)
    assert incident.first_failed_at == times[0] and incident.confirmed_at == times[2]
    assert incident.cause_error_class == "http_status" and incident.cause_status_code == 500
    assert [p["at"] for p in incident.proof] == [t.isoformat() for t in times]
    assert CheckResult.objects.filter(monitor=monitor, confirmation=True).count() == 2

    # Regular checks keep their cadence during the outage; recovery needs 1 + 2 successes.
    recovery = []
    for ok in (False, True, True, True):
        now = advance_to_next_due(monitor)
        driver.run_due(now, ok=ok, **({} if ok else FAIL))
        if ok:
            recovery.append(now)
    incident.refresh_from_db()
    assert incident.recovered_at == recovery[0] and incident.resolved_at == recovery[2]
    assert len(incident.recovery_proof) == 3
    assert runtime(monitor).phase == "up"


def test_single_failure_is_kept_as_a_blip(monitor: Monitor, driver: Driver) -> None:
    ensure_runtimes(T0)
    first = advance_to_next_due(monitor)
    driver.run_due(first, ok=False, error_class="timeout", message="no answer in 5 s")
    confirm = advance_to_next_due(monitor)
    driver.run_due(confirm, ok=True)
    blip = Blip.objects.get(monitor=monitor)
    assert (blip.started_at, blip.ended_at, blip.error_class) == (first, confirm, "timeout")
    assert not Incident.objects.exists()


def test_no_incident_opens_during_maintenance(monitor: Monitor, driver: Driver) -> None:
    MaintenanceWindow.objects.create(
        client=monitor.site.client,
        key="updates",
        title="Mises à jour",
        start_date=T0.date(),
        start_time=(T0 + timedelta(hours=2)).time(),
        duration_minutes=120,
    )  # 12:00 UTC is 14:00 in Paris: the window is 14:00–16:00 local, 12:00–14:00 UTC
    ensure_runtimes(T0)
    for _ in range(6):
        driver.run_due(advance_to_next_due(monitor), ok=False, **FAIL)
    assert not Incident.objects.exists()
    assert CheckResult.objects.filter(monitor=monitor, in_maintenance=True).count() == 6


def test_stale_lease_is_dropped_when_another_checker_took_it(monitor: Monitor, driver: Driver) -> None:
    ensure_runtimes(T0)
    due = advance_to_next_due(monitor)
    mine = driver.lease(due)
    # Our lease expires; another checker leases the same slot and records it.
    other = Driver(owner="other-checker")
    theirs = other.lease(due + timedelta(seconds=121))
    assert [c.due_at for c in theirs] == [c.due_at for c in mine]
    other.record([(theirs[0], Observation(checked_at=due, ok=True))], due)
    outcome = driver.record([(mine[0], Observation(checked_at=due, ok=True))], due)
    assert outcome.lost_leases == 1 and outcome.recorded == 0
    assert CheckResult.objects.filter(monitor=monitor).count() == 1


def test_released_leases_are_taken_at_once(monitor: Monitor, driver: Driver) -> None:
    ensure_runtimes(T0)
    due = advance_to_next_due(monitor)
    assert driver.lease(due)
    assert Driver(owner="other").lease(due) == []
    release(driver.owner, [monitor.pk])
    assert len(Driver(owner="other").lease(due)) == 1


def test_paused_monitor_is_not_leased(make_monitor: Callable[..., Monitor], driver: Driver) -> None:
    make_monitor(paused=True)
    assert driver.lease(T0 + timedelta(hours=1)) == []


def test_long_silence_is_recorded_as_a_no_data_gap(monitor: Monitor, driver: Driver) -> None:
    ensure_runtimes(T0)
    first = advance_to_next_due(monitor)
    driver.run_due(first, ok=True)
    # The checker was stopped for ten minutes: the schedule skips ahead, the gap is recorded.
    later = first + timedelta(minutes=10)
    leased = driver.lease(later)
    assert [item.due_at for item in leased] == [first + timedelta(seconds=30)]  # the missed slot
    driver.record([(leased[0], Observation(checked_at=later, ok=True))], later)
    gap = NoDataGap.objects.get(monitor=monitor)
    assert gap.started_at == first and gap.ended_at == later
    assert runtime(monitor).next_slot_at > later


def test_incident_gets_its_plans_response_clock(monitor: Monitor, driver: Driver) -> None:
    ensure_runtimes(T0)
    for _ in range(3):
        driver.run_due(advance_to_next_due(monitor), ok=False, **FAIL)
    incident = Incident.objects.get(monitor=monitor)
    # The fixture's monitor is on the premium plan: 30 minutes, 24/7.
    assert (incident.sla_target_minutes, incident.sla_calendar) == (30, "always")
    assert incident.sla_started_at == incident.confirmed_at
    assert incident.sla_due_at == incident.confirmed_at + timedelta(minutes=30)
    assert incident.sla_warn_at == incident.confirmed_at + timedelta(minutes=22, seconds=30)


def test_business_hours_plan_records_the_calendar_version(
    make_monitor: Callable[..., Monitor], driver: Driver
) -> None:
    monitor = make_monitor(plan="standard")
    ensure_runtimes(T0)
    for _ in range(3):
        driver.run_due(advance_to_next_due(monitor), ok=False, **FAIL)
    incident = Incident.objects.get(monitor=monitor)
    assert (incident.sla_calendar, incident.sla_calendar_version, incident.sla_target_minutes) == (
        "business",
        1,
        60,
    )
    # T0 is Thursday 1 October 2026 14:00 in Paris: open, so the clock starts at once.
    assert incident.sla_due_at == incident.confirmed_at + timedelta(hours=1)
