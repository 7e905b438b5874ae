"""Leasing due monitors: the only way a checker gets work.

Leases are short and renewed by the live checker (runner.py): a dead checker's monitors are
free again within seconds, for any other checker, on any host.

On PostgreSQL, ``SELECT … FOR UPDATE SKIP LOCKED`` lets any number of checkers take disjoint
batches at once. On SQLite, transactions begin IMMEDIATE (settings.py), so one leasing
transaction runs at a time: the simplest correct thing for one machine.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet

from veilleur.checker import regions
from veilleur.checker.maintenance import MaintenanceCalendar
from veilleur.checker.work import CheckSpec, LeasedCheck
from veilleur.domain.incidents import Cause, MonitorState, Phase
from veilleur.domain.schedule import slot_at_or_after
from veilleur.monitoring.models import Monitor, MonitorRuntime


def ensure_runtimes(now: datetime) -> int:
    """Give every new monitor its runtime row, first slot at its phase after ``now``."""
    missing = Monitor.objects.filter(runtime__isnull=True).select_related("site__client__plan")
    rows = []
    for monitor in missing.iterator(chunk_size=1000):
        slot = slot_at_or_after(now, monitor.pk, monitor.effective_interval_seconds())
        rows.append(MonitorRuntime(monitor=monitor, due_at=slot, next_slot_at=slot))
    MonitorRuntime.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)


# What a lease reads, as plain values: building five model instances per leased row (runtime,
# monitor, site, client, plan) cost more than the query.
LEASE_FIELDS = (
    "monitor_id",
    "due_at",
    "next_slot_at",
    "confirm_at",
    "phase",
    "streak",
    "streak_started_at",
    "cause_error_class",
    "cause_status_code",
    "cause_message",
    "incident_started_at",
    "streak_proof",
    "last_checked_at",
    "partial_regions",
    "monitor__site_id",
    "monitor__site__client_id",
    "monitor__url",
    "monitor__method",
    "monitor__request_headers",
    "monitor__expected_status",
    "monitor__keyword",
    "monitor__forbidden_keyword",
    "monitor__timeout_seconds",
    "monitor__follow_redirects",
    "monitor__interval_seconds",
    "monitor__site__client__plan__check_interval_seconds",
    "monitor__site__client__plan__confirmation_checks",
    "monitor__site__client__demo",
    "monitor__site__client__plan__ssl_monitoring",
)


def lease_due(
    owner: str,
    now: datetime,
    horizon: timedelta,
    ttl: timedelta,
    limit: int,
    calendar: MaintenanceCalendar,
    region: str | None = None,
    held_back: tuple[datetime, datetime] | None = None,
) -> list[LeasedCheck]:
    """Lease up to ``limit`` monitors due before ``now + horizon`` whose lease is free or expired;
    with ``held_back`` (from, to), not those that fell due, or whose lease expired, in between:
    while the database was away (checker/replay.py says why).

    A checker that says its ``region`` notes it is alive (its first heartbeat; its renewals
    write the next ones), and skips the confirming checks asked of other regions
    (checker/regions.py)."""
    if region is not None:
        regions.beat_once(owner, region, now)
    due = (
        MonitorRuntime.objects.filter(due_at__lte=now + horizon, monitor__paused=False)
        .filter(Q(lease_owner="") | Q(lease_expires_at__lt=now))
        .filter(regions.leasable_by(region, now))
        .order_by("due_at")
    )
    if held_back is not None:
        since, until = held_back
        due = due.exclude(lease_owner="", due_at__gte=since, due_at__lt=until).exclude(
            Q(lease_expires_at__gte=since, lease_expires_at__lt=until) & ~Q(lease_owner="")
        )
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    return _take(due[:limit], owner, now, ttl, calendar)


def lease_ids(
    owner: str, monitor_ids: list[int], now: datetime, ttl: timedelta, calendar: MaintenanceCalendar
) -> list[LeasedCheck]:
    """Lease these monitors, due or not, when their lease is free, expired or already ours: to
    store checks made while the database was away, with the state each monitor is in now."""
    wanted = MonitorRuntime.objects.filter(pk__in=monitor_ids).filter(
        Q(lease_owner="") | Q(lease_owner=owner) | Q(lease_expires_at__lt=now)
    )
    if connection.features.has_select_for_update:
        wanted = wanted.select_for_update(of=("self",))
    return _take(wanted, owner, now, ttl, calendar)


def _take(
    query: QuerySet[MonitorRuntime], owner: str, now: datetime, ttl: timedelta, calendar: MaintenanceCalendar
) -> list[LeasedCheck]:
    with transaction.atomic():
        rows = [dict(zip(LEASE_FIELDS, row, strict=True)) for row in query.values_list(*LEASE_FIELDS)]
        if not rows:
            return []
        MonitorRuntime.objects.filter(pk__in=[row["monitor_id"] for row in rows]).update(
            lease_owner=owner, lease_expires_at=now + ttl
        )
    windows = calendar.windows_for(
        [(row["monitor_id"], row["monitor__site_id"], row["monitor__site__client_id"]) for row in rows], now
    )
    return [_leased(row, windows.get(row["monitor_id"], [])) for row in rows]


def renew(owner: str, now: datetime, ttl: timedelta, region: str | None = None) -> int:
    """Extend the leases ``owner`` still holds (compare-and-set on the owner: one taken over by
    another checker meanwhile stays theirs); how many. With its ``region``, the checker's
    heartbeat goes with it."""
    if region is not None:
        regions.beat(owner, region, now)
    return MonitorRuntime.objects.filter(lease_owner=owner).update(lease_expires_at=now + ttl)


def release(owner: str, monitor_ids: list[int]) -> int:
    """Give back leases this checker will not use (shutdown): another checker takes them at once."""
    return MonitorRuntime.objects.filter(pk__in=monitor_ids, lease_owner=owner).update(
        lease_owner="", lease_expires_at=None
    )


def release_dead_local_owners(hostname: str) -> int:
    """Free the leases of checkers that ran on this host and are gone (killed, crashed), so a
    restarted checker resumes their monitors at once instead of waiting for the leases to expire."""
    owners = (
        MonitorRuntime.objects.filter(lease_owner__startswith=f"{hostname}:")
        .values_list("lease_owner", flat=True)
        .distinct()
    )
    dead = [owner for owner in owners if not _process_alive(owner.rpartition(":")[2])]
    if not dead:
        return 0
    return MonitorRuntime.objects.filter(lease_owner__in=dead).update(lease_owner="", lease_expires_at=None)


def _process_alive(pid_text: str) -> bool:
    """Whether the checker process ``pid_text`` on this host still runs.

    A killed process stays a zombie until its parent reaps it, and signal 0 still reaches a
    zombie: an orchestrator that restarts a checker at once would otherwise wait for the dead
    one's leases to expire. Where /proc exists, its state letter tells a zombie apart.
    """
    try:
        pid = int(pid_text)
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (ValueError, PermissionError):
        return True  # not ours to judge: leave it to the lease expiry
    return _proc_state(pid) not in {"Z", "X"}


def _proc_state(pid: int) -> str | None:
    """The state letter of /proc/PID/stat ("R", "S", "Z"…), or None where /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            # The command name in parentheses may hold spaces and parentheses: the state follows the last ")".
            return stat.read().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return None


def _leased(row: dict[str, Any], maintenance: list[tuple[datetime, datetime]]) -> LeasedCheck:
    cause = None
    if row["cause_error_class"]:
        cause = Cause(row["cause_error_class"], row["cause_status_code"], row["cause_message"])
    return LeasedCheck(
        monitor_id=row["monitor_id"],
        due_at=row["due_at"],
        next_slot_at=row["next_slot_at"],
        is_confirmation=row["confirm_at"] is not None and row["due_at"] < row["next_slot_at"],
        # Monitor.effective_interval_seconds(), from the values read.
        interval_seconds=row["monitor__interval_seconds"]
        or row["monitor__site__client__plan__check_interval_seconds"],
        confirmations=row["monitor__site__client__plan__confirmation_checks"],
        spec=CheckSpec(
            url=row["monitor__url"],
            method=row["monitor__method"],
            headers=dict(row["monitor__request_headers"]),
            expected_status=row["monitor__expected_status"],
            keyword=row["monitor__keyword"],
            forbidden_keyword=row["monitor__forbidden_keyword"],
            timeout_seconds=row["monitor__timeout_seconds"],
            follow_redirects=row["monitor__follow_redirects"],
            demo=row["monitor__site__client__demo"],
            watch_certificate=row["monitor__site__client__plan__ssl_monitoring"],
        ),
        state=MonitorState(
            phase=Phase(row["phase"]),
            streak=row["streak"],
            streak_started_at=row["streak_started_at"],
            cause=cause,
            incident_started_at=row["incident_started_at"],
        ),
        streak_proof=list(row["streak_proof"]),
        last_checked_at=row["last_checked_at"],
        maintenance=maintenance,
        failing_regions=regions.decode(row["partial_regions"]),
    )
