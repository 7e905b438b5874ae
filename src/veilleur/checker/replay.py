"""Storing the checks a checker made while its database was away, once it is back.

During an outage the checker goes on checking the monitors it held and keeps the results it
cannot store (runner.py, bounded). They are stored afterwards in rounds: the first kept check of
every monitor, then the second, and so on; each round leases its monitors again and reads the
state they are in now, so the state machine steps through the checks in the order they were
made, exactly as if they had been stored on time. An incident that began during the outage
opens at its first failed check. A check older than what its monitor already has stored (the
monitor was checked again after the database returned: by another checker that took it over, or
by this one while a check made offline was still running) is dropped: the stored history does
not go back in time. So is a check of a monitor deleted meanwhile, or whose lease another
checker holds now. The log says how many were dropped, and why.

So that no other checker checks those monitors again first, and the kept checks are stored rather
than dropped, the monitors stay this checker's from the database's return to their last kept
check: its lease renewal also leases the monitors it has kept checks of (``renew_and_claim``),
within a renewal period of the return; each round keeps the lease of a monitor that has more
kept checks to store; and another checker leaves alone, for a lease's time after the database
returned, the monitors that fell due or whose lease expired while it was away
(runner.py, ``leases.lease_due``'s ``held_back``): their checker may well be alive and holding
their checks, as it would be told by its lease had anyone been able to renew one meanwhile.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from veilleur.checker.leases import lease_ids, release, renew
from veilleur.checker.maintenance import MaintenanceCalendar
from veilleur.checker.recorder import record_batch
from veilleur.checker.work import Completed, LeasedCheck
from veilleur.monitoring.models import MonitorRuntime

# Monitors per round: ids in one IN list stay under SQLite's oldest limit of parameters.
MONITORS_PER_ROUND = 500


@dataclass(frozen=True)
class RoundOutcome:
    recorded: int
    checked_again: int  # dropped: their monitor has a check as recent stored already
    not_ours: int  # dropped: their monitor was deleted, or another checker holds its lease


def dropped_lines(checked_again: int, not_ours: int) -> list[str]:
    """What the log says of the kept checks that were not stored, and why."""
    lines = []
    if checked_again:
        lines.append(
            f"{checked_again} kept checks dropped: the monitor was checked again after the database returned"
        )
    if not_ours:
        reason = "the monitor was deleted meanwhile or another checker holds its lease"
        lines.append(f"{not_ours} kept checks dropped: {reason}")
    return lines


def rounds(kept: list[Completed]) -> list[list[Completed]]:
    """The kept checks as rounds: round k holds the k-th check (by time) of each monitor."""
    by_monitor: defaultdict[int, list[Completed]] = defaultdict(list)
    for item in kept:
        by_monitor[item.check.monitor_id].append(item)
    made: list[list[Completed]] = []
    for checks in by_monitor.values():
        checks.sort(key=lambda item: item.observation.checked_at)
        for index, item in enumerate(checks):
            if index == len(made):
                made.append([])
            made[index].append(item)
    return [chunk for round_ in made for chunk in _chunks(round_)]


def _chunks(items: list[Completed]) -> list[list[Completed]]:
    return [items[start : start + MONITORS_PER_ROUND] for start in range(0, len(items), MONITORS_PER_ROUND)]


def store_round(
    owner: str,
    region: str,
    round_: list[Completed],
    now: datetime,
    ttl: timedelta,
    confirm_delay: timedelta,
    calendar: MaintenanceCalendar,
    more_to_come: frozenset[int] = frozenset(),
) -> RoundOutcome:
    """Lease the round's monitors with their current state and record one kept check of each;
    the monitors of ``more_to_come`` (with kept checks in a later round) stay leased."""
    leased = {
        check.monitor_id: check
        for check in lease_ids(owner, [item.check.monitor_id for item in round_], now, ttl, calendar)
    }
    batch = []
    checked_again: list[int] = []
    for item in round_:
        check = leased.get(item.check.monitor_id)
        if check is None:
            continue  # deleted, or leased by another checker meanwhile
        if check.last_checked_at is not None and item.observation.checked_at <= check.last_checked_at:
            checked_again.append(check.monitor_id)
            continue
        batch.append(
            Completed(scheduled_from_the_check(check, item.observation.checked_at), item.observation)
        )
    # Leased only to compare with what is stored, and nothing to store: give the lease back, or
    # the monitor would stay leased (and renewed) by a checker that has no check of it planned.
    release(owner, [monitor_id for monitor_id in checked_again if monitor_id not in more_to_come])
    with transaction.atomic():
        outcome = record_batch(owner, region, batch, now, confirm_delay, alone=True)
        # Recording gives the lease back: kept again at once, in the same transaction, so that no
        # other checker leases (and checks) the monitor between two rounds.
        _lease_again(
            owner,
            [item.check.monitor_id for item in batch if item.check.monitor_id in more_to_come],
            now,
            ttl,
        )
    dropped = len(checked_again)
    return RoundOutcome(outcome.recorded, dropped, len(round_) - outcome.recorded - dropped)


def scheduled_from_the_check(check: LeasedCheck, checked_at: datetime) -> LeasedCheck:
    """The leased check, its next slot reckoned from when the kept check was made.

    The recorder moves a monitor's schedule one slot past the stored one, or to the first slot
    after now when that one is long gone. Each round re-reads the schedule the previous round
    left, which is already after now: stored one round after the other, twelve kept checks of a
    monitor would put its next check twelve intervals ahead, leaving it unchecked that long. From
    the kept check's time, the last round leaves the monitor at its first slot after that check,
    or after now."""
    if check.is_confirmation:
        return check  # a confirmation keeps its regular slot, as on time
    return replace(check, next_slot_at=min(check.next_slot_at, checked_at))


def monitors_with_later_checks(kept: list[Completed], round_: list[Completed]) -> frozenset[int]:
    """The monitors of ``round_`` that have kept checks left once it is stored."""
    done = {id(item) for item in round_}
    return frozenset(item.check.monitor_id for item in kept if id(item) not in done)


def renew_and_claim(
    owner: str, now: datetime, ttl: timedelta, kept: dict[int, datetime], region: str | None = None
) -> int:
    """Extend this checker's leases and lease the monitors it holds kept checks of (monitor id →
    its newest kept check) when their lease is free or expired (the database was away: nobody
    could renew it) and a kept check is newer than what is stored; how many it holds. With its
    ``region``, the checker's heartbeat goes with the renewal (leases.renew).

    Judged on what is stored now, not on the list alone: the list was read before this call ran,
    maybe before a storing round that stored or dropped those checks and gave the lease back;
    taking such a monitor would hold it, renewed, with no check of it planned."""
    held = 0
    with transaction.atomic():
        held += renew(owner, now, ttl, region)
        ids = sorted(kept)
        free = Q(lease_owner="") | Q(lease_expires_at__lt=now)
        for start in range(0, len(ids), MONITORS_PER_ROUND):
            candidates = MonitorRuntime.objects.filter(pk__in=ids[start : start + MONITORS_PER_ROUND]).filter(
                free
            )
            wanted = [
                monitor_id
                for monitor_id, last_checked_at in candidates.values_list("pk", "last_checked_at")
                if last_checked_at is None or last_checked_at < kept[monitor_id]
            ]
            if wanted:
                held += (
                    MonitorRuntime.objects.filter(pk__in=wanted)
                    .filter(free)
                    .update(lease_owner=owner, lease_expires_at=now + ttl)
                )
    return held


def _lease_again(owner: str, monitor_ids: list[int], now: datetime, ttl: timedelta) -> None:
    if monitor_ids:
        MonitorRuntime.objects.filter(pk__in=monitor_ids, lease_owner="").update(
            lease_owner=owner, lease_expires_at=now + ttl
        )
