"""Checks a checker kept while the database was away are stored when it is back, even when
another checker noticed the return first: that one leaves the monitors which fell due meanwhile
alone for a lease's time, the keeper leases them at its next renewal, and keeps them leased from
one storing round to the next. The outage those checks saw becomes its incident, dated by them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from django.db import connections
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.targets import Target
from veilleur.checker.leases import ensure_runtimes, lease_due, lease_ids
from veilleur.checker.maintenance import MaintenanceCalendar
from veilleur.checker.probing import HttpProber
from veilleur.checker.recorder import record_batch
from veilleur.checker.replay import renew_and_claim, rounds, store_round
from veilleur.checker.runner import Checker, CheckerSettings
from veilleur.checker.work import Completed, LeasedCheck, Observation
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import CheckerHeartbeat, CheckResult, Monitor, MonitorRuntime

pytestmark = pytest.mark.django_db(transaction=True)

TTL = timedelta(seconds=120)
CONFIRM = timedelta(seconds=1)
INTERVAL = 5


def calendar() -> MaintenanceCalendar:
    return MaintenanceCalendar(ttl=timedelta(0))


def probed(target: Target, check: LeasedCheck, healthy: bool) -> Observation:
    """A real check of the loopback site, switched as asked."""
    target.healthy = healthy
    return asyncio.run(HttpProber(allow_private=True)(check.spec))


def kept_during_outage(
    target: Target, check: LeasedCheck, start: datetime, healthy: list[bool]
) -> list[Completed]:
    """The checks a checker made of ``check``'s monitor while the database was away, one per
    interval from ``start``: scheduled by itself, as runner.py does offline."""
    offline = replace(check, scheduled_offline=True)
    return [
        Completed(
            offline,
            replace(probed(target, check, up), checked_at=start + timedelta(seconds=INTERVAL * n)),
        )
        for n, up in enumerate(healthy)
    ]


def recorded_before(owner: str, monitor: Monitor, at: datetime) -> LeasedCheck:
    """``owner`` leased the monitor and stored an up check of it at ``at`` (before the outage)."""
    [check] = lease_ids(owner, [monitor.pk], at, TTL, calendar())
    record_batch(owner, owner, [Completed(check, Observation(checked_at=at, ok=True))], at, CONFIRM)
    [again] = lease_ids(owner, [monitor.pk], at, TTL, calendar())
    MonitorRuntime.objects.filter(pk=monitor.pk).update(lease_owner="", lease_expires_at=None)
    return again


REGION = "eu-west"


def checker(owner: str, now: datetime) -> Checker:
    return Checker(
        # One region: two checkers there share the monitors (in two regions, a failure would wait for
        # the other region's confirmation, tests/checker/test_regions.py).
        HttpProber(allow_private=True),
        CheckerSettings(owner=owner, region=REGION),
        clock=lambda: now,
    )


def on_its_thread(worker: Checker, *calls: Callable[[], object]) -> list[object]:
    """Run the checker's coroutines one after the other, then close its database connection."""

    async def run() -> list[object]:
        try:
            return [await call() for call in calls]  # type: ignore[misc]
        finally:
            await worker._on_db(connections.close_all)

    return asyncio.run(run())


def test_kept_checks_of_an_outage_are_stored_when_another_checker_saw_the_database_first(
    target: Target, make_monitor: Callable[..., Monitor]
) -> None:
    url = f"http://127.0.0.1:{target.port}/"
    theirs, nobodys = (
        make_monitor(url=url, interval_seconds=INTERVAL),
        make_monitor(url=url, interval_seconds=INTERVAL),
    )
    before = timezone.now() - timedelta(seconds=120)
    ensure_runtimes(before - timedelta(seconds=60))
    # Checker b checked ``theirs`` last before the database went away; nobody checked ``nobodys``
    # for a while (its checker died earlier).
    check = recorded_before("b", theirs, before)
    MonitorRuntime.objects.filter(pk=nobodys.pk).update(due_at=before - timedelta(seconds=30))
    away_since, back = before + timedelta(seconds=1), before + timedelta(seconds=60)
    # Meanwhile b went on checking it: the site went down and came back within the outage.
    kept = kept_during_outage(
        target, check, before + timedelta(seconds=4), [True, False, False, False, True, True, True]
    )

    # Checker a hears from the database first: it takes the monitor nobody checked, not b's.
    a = checker("a", back + timedelta(seconds=1))
    a._away_since, a._back_at = away_since, back
    [leased] = on_its_thread(a, lambda: a._lease(back + timedelta(seconds=1), 100))
    assert [item.monitor_id for item in leased] == [nobodys.pk]  # type: ignore[attr-defined]

    # b renews (every 2 s): it leases the monitor it holds kept checks of.
    b = checker("b", back + timedelta(seconds=2))
    b._kept = list(kept)
    newest = {theirs.pk: kept[-1].observation.checked_at}
    on_its_thread(b, lambda: b._on_db(renew_and_claim, "b", back + timedelta(seconds=2), TTL, newest))
    # A lease's time after the return, a takes anything due again: not b's monitor, b holds it.
    later = back + a.settings.lease_ttl + timedelta(milliseconds=500)
    [nothing] = on_its_thread(a, lambda: a._lease(later, 100))
    assert nothing == []
    assert a._held_back(later) is None

    [stored] = on_its_thread(b, lambda: b._store_kept(force=True))
    assert stored is True and b._kept == []
    assert CheckResult.objects.filter(monitor=theirs).count() == 1 + len(kept)
    incident = Incident.objects.get(monitor=theirs)
    assert incident.first_failed_at == kept[1].observation.checked_at
    assert incident.recovered_at == kept[4].observation.checked_at
    runtime = MonitorRuntime.objects.get(pk=theirs.pk)
    assert runtime.lease_owner == "" and runtime.phase == "up"
    # Checked again at its next slot after the storing, not one interval later per kept check.
    assert back + timedelta(seconds=2) < runtime.next_slot_at <= back + timedelta(seconds=2 + INTERVAL)
    # A renewal that read the kept checks before they were stored does not take the monitor
    # back: it would hold it, renewed, with no check of it planned.
    assert renew_and_claim("b", back + timedelta(seconds=3), TTL, newest) == 0
    assert MonitorRuntime.objects.get(pk=theirs.pk).lease_owner == ""


def test_kept_checks_are_judged_by_their_own_region_though_another_region_is_alive_again(
    target: Target, make_monitor: Callable[..., Monitor]
) -> None:
    """No other region could confirm a check made while the database was away: stored once it is
    back, with another region alive again, the kept checks are judged as a region alone judges
    its own, and the outage they saw is its incident, dated by them."""
    monitor = make_monitor(url=f"http://127.0.0.1:{target.port}/", interval_seconds=INTERVAL)
    before = timezone.now() - timedelta(seconds=120)
    ensure_runtimes(before - timedelta(seconds=60))
    check = recorded_before("b", monitor, before)
    kept = kept_during_outage(
        target, check, before + timedelta(seconds=4), [True, False, False, False, True, True, True]
    )
    back = before + timedelta(seconds=60)
    CheckerHeartbeat.objects.create(owner="elsewhere:1", region="us-east", last_seen=back)

    b = checker("b", back)
    b._kept = list(kept)
    [stored] = on_its_thread(b, lambda: b._store_kept(force=True))

    assert stored is True and b._kept == []
    incident = Incident.objects.get(monitor=monitor)
    assert incident.kind == Incident.Kind.DOWN
    assert incident.first_failed_at == kept[1].observation.checked_at
    assert incident.recovered_at == kept[4].observation.checked_at
    runtime = MonitorRuntime.objects.get(pk=monitor.pk)
    assert runtime.phase == "up" and runtime.confirm_not_regions == "" and runtime.partial_regions == ""


def test_a_storing_round_keeps_the_lease_of_a_monitor_with_more_kept_checks(
    target: Target, make_monitor: Callable[..., Monitor]
) -> None:
    monitor = make_monitor(url=f"http://127.0.0.1:{target.port}/", interval_seconds=INTERVAL)
    before = timezone.now() - timedelta(seconds=60)
    ensure_runtimes(before - timedelta(seconds=60))
    check = recorded_before("b", monitor, before)
    kept = kept_during_outage(target, check, before + timedelta(seconds=4), [False, False, True])
    now = timezone.now()
    first, second, last = rounds(kept)
    left = frozenset({monitor.pk})
    assert store_round("b", "b", first, now, TTL, CONFIRM, calendar(), left).recorded == 1
    # Between two rounds the monitor is due again (its next slot comes from now), and still b's.
    MonitorRuntime.objects.filter(pk=monitor.pk).update(due_at=now)
    assert lease_due("a", now, timedelta(seconds=2), TTL, 10, calendar()) == []
    assert store_round("b", "b", second, now, TTL, CONFIRM, calendar(), left).recorded == 1
    assert MonitorRuntime.objects.get(pk=monitor.pk).lease_owner == "b"
    assert store_round("b", "b", last, now, TTL, CONFIRM, calendar()).recorded == 1
    runtime = MonitorRuntime.objects.get(pk=monitor.pk)
    assert runtime.lease_owner == ""  # nothing more: given back
    assert now < runtime.due_at <= now + timedelta(seconds=INTERVAL)  # its next slot after now
    assert list(
        CheckResult.objects.filter(monitor=monitor).order_by("checked_at").values_list("ok", flat=True)
    ) == [
        True,
        False,
        False,
        True,
    ]


# -- which monitors a checker takes right after the database returned: the rule, row by row ----

SECONDS = st.integers(min_value=-40, max_value=40)
ROW = st.tuples(SECONDS, st.sampled_from(["", "b", "a"]), SECONDS)


def takes(row: tuple[int, str, int], now: int, horizon: int, held: tuple[int, int] | None) -> bool:
    """The oracle, in plain words: due within the horizon, its lease free or expired, and not
    fallen due (free) nor expired (leased) while the database was away."""
    due_at, owner, expires_at = row
    if due_at > now + horizon:
        return False
    if owner and expires_at >= now:
        return False
    if held is None:
        return True
    since, until = held
    if not owner:
        return not since <= due_at < until
    return not since <= expires_at < until


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(ROW, min_size=1, max_size=8),
    held=st.none() | st.tuples(SECONDS, st.integers(min_value=0, max_value=30)),
)
def test_the_monitors_left_alone_after_the_return_are_exactly_those_of_the_rule(
    make_monitor: Callable[..., Monitor], rows: list[tuple[int, str, int]], held: tuple[int, int] | None
) -> None:
    base = timezone.now().replace(microsecond=0)
    monitors = [make_monitor() for _ in rows]
    ensure_runtimes(base)
    try:
        for monitor, (due_at, owner, expires_at) in zip(monitors, rows, strict=True):
            MonitorRuntime.objects.filter(pk=monitor.pk).update(
                due_at=base + timedelta(seconds=due_at),
                lease_owner=owner,
                lease_expires_at=base + timedelta(seconds=expires_at) if owner else None,
            )
        window = None if held is None else (held[0], held[0] + held[1])
        moments = None if window is None else tuple(base + timedelta(seconds=s) for s in window)
        leased = lease_due("c", base, timedelta(seconds=2), TTL, 100, calendar(), held_back=moments)  # type: ignore[arg-type]
        expected = {m.pk for m, row in zip(monitors, rows, strict=True) if takes(row, 0, 2, window)}
        assert {item.monitor_id for item in leased} == expected
    finally:
        Monitor.objects.filter(pk__in=[m.pk for m in monitors]).delete()
