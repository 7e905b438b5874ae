"""The checker's event loop: lease, dispatch at the due time, probe, hand results to one writer.

Database work (leasing, recording) runs on one dedicated thread, so the ORM stays synchronous
and the event loop never blocks on it. The writer's queue is bounded: when the database stalls,
the queue fills and new checks wait — a slow database makes checks late, never makes a site
look down, because an observation carries the time its check started, not when it was stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import os
import random
import socket
from collections import defaultdict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from django.db import InterfaceError, OperationalError, connections

from veilleur.checker.clock import CheckerClock, stamped_by
from veilleur.checker.hedging import Hedger, flattened
from veilleur.checker.leases import ensure_runtimes, lease_due, release, release_dead_local_owners
from veilleur.checker.maintenance import MaintenanceCalendar
from veilleur.checker.recorder import record_batch
from veilleur.checker.replay import (
    dropped_lines,
    monitors_with_later_checks,
    renew_and_claim,
    rounds,
    store_round,
)
from veilleur.checker.selfhealth import SelfHealth, SelfHealthSettings
from veilleur.checker.work import CheckSpec, Completed, LeasedCheck, Observation
from veilleur.domain.schedule import next_slot
from veilleur.operations.metrics import WRITE_QUEUE_DEPTH, count_check
from veilleur.outage import Outage

log = logging.getLogger("veilleur.checker")
T = TypeVar("T")
Prober = Callable[[CheckSpec], Awaitable[Observation]]


@dataclass
class CheckerSettings:
    region: str = ""
    lease_horizon: timedelta = timedelta(seconds=2)
    lease_batch: int = 500
    max_pending: int = 5000  # leased checks waiting for their due time
    max_in_flight: int = 400  # probes running at once
    per_host: int = 4  # probes running at once against one host name
    write_batch: int = 500
    write_queue: int = 2000
    # Between two writes, at least this long: under load, one transaction per batch of results
    # instead of one per result or two (each commit costs more than the rows it carries).
    write_interval: float = 0.1
    # Before a confirmation re-check of a failure seen at once (refused, an error status): a
    # fresh connection a second later is a new look at the site, and the regular cadence is kept.
    confirm_delay: timedelta = timedelta(seconds=1)
    # A check still unanswered after ``hedge_after`` seconds starts its confirmation re-checks at
    # once, ``hedge_spacing`` apart (checker/hedging.py); 0 turns that off. At most
    # ``max_hedges`` re-checks run at once; beyond, failures are confirmed one re-check at a time.
    hedge_after: float = 2.0
    hedge_spacing: float = 0.5
    max_hedges: int = 200
    idle_sleep: float = 0.5
    behind: timedelta = timedelta(milliseconds=200)  # later than this, lease nothing more
    owner: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    # Leases are short and renewed while the checker lives (every ``lease_renewal``), however long
    # its probes take: a checker that dies (killed, host lost, frozen) stops renewing, and another
    # one takes its monitors within ``lease_ttl`` of its last renewal — well within one interval
    # plus 10 s of their due time. A lease lost to a stalled database costs one duplicate probe,
    # whose result the recorder drops.
    lease_ttl: timedelta = timedelta(seconds=8)
    lease_renewal: float = 2.0
    # Results kept in memory while the database is away, stored when it is back (replay.py):
    # a few hundred bytes each, so at most some megabytes. Beyond, newer results are not kept.
    max_kept: int = 20_000
    # Canaries and the rules that tell this checker's own outage from the sites' (selfhealth.py).
    self_health: SelfHealthSettings = field(default_factory=SelfHealthSettings)


async def _wait(event: asyncio.Event, timeout: float) -> None:
    """Until the event is set or the timeout passes, whichever comes first."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout=timeout)


class _Wakeup:
    """An event that one task waits for with a timeout. Unlike ``asyncio.wait_for`` on an
    ``asyncio.Event``, a wait costs no task and no cancellation: the dispatcher waits once per
    due time, hundreds of times a second."""

    def __init__(self) -> None:
        self._set = False
        self._waiter: asyncio.Future[None] | None = None

    def set(self) -> None:
        self._set = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self, timeout: float) -> None:
        """Until set or the timeout passes, whichever comes first."""
        if self._set:
            return
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiter = waiter
        timer = loop.call_later(timeout, _resolve, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def _drop_broken_connections() -> None:
    """Django's ``close_old_connections`` without the age limit: the database thread keeps its
    connection from one call to the next (opening one per call, as CONN_MAX_AGE=0 would, cost
    more than the work), and drops one that failed, so that the next call reconnects."""
    for connection in connections.all(initialized_only=True):
        if connection.connection is None:
            continue
        if connection.errors_occurred:
            if connection.is_usable():
                connection.errors_occurred = False
            else:
                connection.close()


def utcnow() -> datetime:
    return datetime.now(UTC)


class Checker:
    def __init__(
        self,
        prober: Prober,
        settings: CheckerSettings | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings or CheckerSettings()
        # By default the database's clock (clock.py): a step of this host's clock moves nothing.
        self.clock: Callable[[], datetime] = clock or CheckerClock()
        stamped = stamped_by(prober, self.clock) if isinstance(self.clock, CheckerClock) else prober
        # Sees every probe, and holds back failures that may be this checker's own outage.
        self.health = SelfHealth(self, self.settings.self_health)
        self.prober = self.health.watch(stamped)
        self._unwrapped_prober = prober  # what holds the shared HTTP session, closed at the end
        self.calendar = MaintenanceCalendar()
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checker-db")
        # (due time, order of arrival, check): the order breaks ties, so that two checks of one
        # monitor due at the same instant (kept and leased again) never compare the checks themselves.
        self._pending: list[tuple[datetime, int, LeasedCheck]] = []
        self._arrivals = itertools.count()
        self._wake = _Wakeup()
        self._stopping = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(self.settings.max_in_flight)
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(self.settings.per_host)
        )
        self._results: asyncio.Queue[Completed] = asyncio.Queue(self.settings.write_queue)
        WRITE_QUEUE_DEPTH.set_function(self._results.qsize)  # read when scraped, never pushed
        self.recorded = 0
        # One log line when the database is lost, one when it is back, whichever loop sees it.
        self.outage = Outage(log)
        self._kept: list[Completed] = []  # checked, not stored yet: the database was away
        self._next_store_attempt = 0.0
        self._storing = asyncio.Lock()
        # The last check stored of each monitor this checker recorded: if the database goes
        # away, these are the monitors it goes on checking (each monitor's last checker does).
        self._recent: dict[int, Completed] = {}
        self._checking: set[int] = set()  # monitors checked now, or whose result is not written yet
        self.not_kept = 0
        # Through the self-health watch: early re-checks are sightings of the network too.
        self.hedger = Hedger(
            self.prober, self.settings.hedge_after, self.settings.hedge_spacing, self.settings.max_hedges
        )
        # When this checker last lost the database and first heard from it again (its clock):
        # what fell due meanwhile is left to its checker for a lease's time (replay.py).
        self._away_since: datetime | None = None
        self._back_at: datetime | None = None

    async def _on_db(self, function: Callable[..., T], *args: Any) -> T:
        def call() -> T:
            _drop_broken_connections()
            if isinstance(self.clock, CheckerClock):
                self.clock.sync_if_due()
            started = self.clock()
            result = function(*args)
            away_since = self._away_since
            if away_since is not None and self._back_at is None and started >= away_since:
                self._back_at = started  # the first answer after the loss: the database is back
            return result

        return await asyncio.get_running_loop().run_in_executor(self._db, call)

    def stop(self) -> None:
        """Stop leasing; in-flight checks finish and are recorded, unstarted leases are released."""
        self._stopping.set()
        self._wake.set()

    async def _until_done(self, function: Callable[..., T], *args: Any) -> T | None:
        """``function`` on the database thread, retried while the database is away; None if
        the checker is stopped first."""
        while not self._stopping.is_set():
            try:
                result = await self._on_db(function, *args)
            except (OperationalError, InterfaceError) as exc:
                await self._sleep(self._lost(exc))
                continue
            self.outage.back()
            return result
        return None

    async def run(self) -> None:
        await self._until_done(release_dead_local_owners, socket.gethostname())
        writer = asyncio.create_task(self._write_loop())
        renewer = asyncio.create_task(self._renew_loop())
        health = asyncio.create_task(self.health.run())
        for task in (writer, renewer, health):
            task.add_done_callback(self._on_task_end)
        try:
            await asyncio.gather(self._lease_loop(), self._dispatch_loop())
            if self._in_flight:
                await asyncio.wait(self._in_flight)
            await self._results.join()
        finally:
            writer.cancel()
            renewer.cancel()
            health.cancel()
            if self._kept and not await self._store_kept(force=True):
                log.warning("%d checks made while the database was away were not stored", len(self._kept))
            unstarted = [item.monitor_id for _, _, item in self._pending]
            self._pending.clear()
            try:
                if self.health.impaired:
                    # Held while cut off, as if the lease loop had given them back: the outage
                    # that ends now records their gaps too.
                    await self.health.give_back(unstarted)
                    unstarted = []
                await self.health.stopped()
                if unstarted:
                    await self._on_db(release, self.settings.owner, unstarted)
                await self._on_db(connections.close_all)
            except (OperationalError, InterfaceError) as exc:
                # Their leases expire on their own; another checker takes them then.
                log.warning("could not release %d leases, the database is away: %s", len(unstarted), exc)
            self._db.shutdown(wait=True)
            close = getattr(self._unwrapped_prober, "aclose", None)  # the prober's shared HTTP session
            if close is not None:
                await close()
        log.info("checker stopped after recording %d checks", self.recorded)

    def _lost(self, exc: BaseException) -> float:
        """Note that the database is away (the pause before the next try); when it has just gone,
        take on the monitors this checker checked last, which nobody can lease now."""
        starting = not self.outage.active
        pause = self.outage.lost(exc)
        if starting:
            self._away_since, self._back_at = self.clock(), None
            self._adopt_recent()
        return pause

    def _adopt_recent(self) -> None:
        now = self.clock()
        busy = self._checking | {item.monitor_id for _, _, item in self._pending}
        adopted = []
        for monitor_id, item in list(self._recent.items()):
            interval = timedelta(seconds=item.check.interval_seconds)
            if item.observation.checked_at < now - 2 * interval:
                del self._recent[monitor_id]  # another checker has it by now
            elif monitor_id not in busy:
                adopted.append(item)
        self._recent.clear()
        self._schedule_offline(adopted)

    def _on_task_end(self, task: asyncio.Task[None]) -> None:
        """A loop that dies of a bug stops the checker, loudly, for its supervisor to restart."""
        if not task.cancelled() and task.exception() is not None:
            log.error("checker loop failed, stopping", exc_info=task.exception())
            self.stop()

    async def _lease_loop(self) -> None:
        runtimes_checked_at: datetime | None = None
        while not self._stopping.is_set():
            now = self.clock()
            room = self.settings.max_pending - len(self._pending)
            leased: list[LeasedCheck] = []
            if self._kept and not await self._store_kept(force=True):
                await self._sleep(max(0.5, self._next_store_attempt - asyncio.get_running_loop().time()))
                continue
            if self.health.impaired:
                # Cut off from the Internet: lease nothing, give back what waits (selfhealth.py).
                await self._give_back_pending()
                await self._sleep(self.settings.idle_sleep)
                continue
            if not self.outage.active and self._pending and self._pending[0][0] < now - self.settings.behind:
                # Checks already late wait here: leasing more would only make them later, while
                # another checker sharing the monitors (veilleur up's extra ones) may be idle.
                await self._sleep(self.settings.idle_sleep * random.uniform(0.5, 1.5))
                continue
            try:
                if runtimes_checked_at is None or now - runtimes_checked_at > timedelta(seconds=10):
                    await self._on_db(ensure_runtimes, now)
                    runtimes_checked_at = now
                if room > 0:
                    leased = await self._lease(now, min(room, self.settings.lease_batch))
            except (OperationalError, InterfaceError) as exc:
                # The database is away: wait for it, never exit (one log line per outage).
                await self._sleep(self._lost(exc))
                continue
            self.outage.back()
            self._forget_offline_checks()
            for item in leased:
                heapq.heappush(self._pending, (item.due_at, next(self._arrivals), item))
            if leased:
                self._wake.set()
            if len(leased) < self.settings.lease_batch:
                # Jittered, so that checkers sharing monitors do not poll in lockstep, with one
                # of them always just ahead of the other when leases are released.
                await self._sleep(self.settings.idle_sleep * random.uniform(0.5, 1.5))

    async def _give_back_pending(self) -> None:
        waiting = [item.monitor_id for _, _, item in self._pending if not item.scheduled_offline]
        if waiting:
            self._pending = [entry for entry in self._pending if entry[2].scheduled_offline]
            heapq.heapify(self._pending)
            await self.health.give_back(waiting)

    async def _renew_loop(self) -> None:
        """Extend every lease this checker holds, until it stops (its pending and in-flight checks
        included); failures are the database's, noticed by the other loops."""
        while True:
            await asyncio.sleep(self.settings.lease_renewal)
            kept_monitors: dict[int, datetime] = {}
            for item in self._kept:
                monitor_id, checked_at = item.check.monitor_id, item.observation.checked_at
                kept_monitors[monitor_id] = max(checked_at, kept_monitors.get(monitor_id, checked_at))
            with contextlib.suppress(OperationalError, InterfaceError):
                await self._on_db(
                    renew_and_claim,
                    self.settings.owner,
                    self.clock(),
                    self.settings.lease_ttl,
                    kept_monitors,
                    self.settings.region,
                )

    async def _lease(self, now: datetime, limit: int) -> list[LeasedCheck]:
        return await self._on_db(
            lease_due,
            self.settings.owner,
            now,
            self.settings.lease_horizon,
            self.settings.lease_ttl,
            limit,
            self.calendar,
            self.settings.region,
            self._held_back(now),
        )

    def _held_back(self, now: datetime) -> tuple[datetime, datetime] | None:
        """While the database was away nobody could renew a lease, nor lease what fell due: for one
        lease's time after it returned, those monitors stay their checker's, which may hold checks
        of them made meanwhile (replay.py). Measured from a little before the loss was noticed,
        as a live checker renews its leases every ``lease_renewal`` and leases ahead of time."""
        if self._away_since is None or self._back_at is None:
            return None
        if now - self._back_at >= self.settings.lease_ttl:
            self._away_since = self._back_at = None
            return None
        return (self._away_since - self.settings.lease_ttl, self._back_at)

    async def _sleep(self, seconds: float) -> None:
        await _wait(self._stopping, seconds)

    async def _dispatch_loop(self) -> None:
        while not self._stopping.is_set():
            if not self._pending:
                self._wake.clear()
                await self._wait_for_wake(self.settings.idle_sleep)
                continue
            due_at = self._pending[0][0]
            delay = (due_at - self.clock()).total_seconds()
            if delay > 0:
                self._wake.clear()
                await self._wait_for_wake(delay)
                continue
            await self._slots.acquire()
            if self._stopping.is_set():
                self._slots.release()
                break
            _, _, item = heapq.heappop(self._pending)
            task = asyncio.create_task(self._check(item))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _wait_for_wake(self, timeout: float) -> None:
        await self._wake.wait(timeout)

    async def _check(self, item: LeasedCheck) -> None:
        self._checking.add(item.monitor_id)  # until its result is written or kept (_write)
        try:
            host = self._hosts[item.host]
            async with host:
                completed = await self.hedger.check(item, host)
            seen = completed.observation
            count_check(seen.error_class, (seen.checked_at - item.due_at).total_seconds())
            for recheck in completed.confirmations:
                count_check(recheck.error_class, 0.0)  # started when wanted: never late
            # Waits while the writer is behind: backpressure instead of unbounded memory.
            await self._results.put(completed)
        except BaseException:
            self._checking.discard(item.monitor_id)
            raise
        finally:
            self._slots.release()

    async def _write_loop(self) -> None:
        loop = asyncio.get_running_loop()
        last_write = -self.settings.write_interval
        while True:
            batch = [await self._results.get()]
            rest = last_write + self.settings.write_interval - loop.time()
            if rest > 0 and self._results.qsize() + 1 < self.settings.write_batch:
                await asyncio.sleep(rest)
            while len(batch) < self.settings.write_batch and not self._results.empty():
                batch.append(self._results.get_nowait())
            last_write = loop.time()
            await self._write(batch)
            for _ in batch:
                self._results.task_done()

    async def _write(self, batch: list[Completed]) -> None:
        try:
            await self._write_or_keep(batch)
        finally:
            self._checking.difference_update(item.check.monitor_id for item in batch)

    async def _write_or_keep(self, batch: list[Completed]) -> None:
        batch = await self.health.screen(batch)  # no verdict stored while this checker is cut off
        if not batch:
            return
        if self._kept or any(item.check.scheduled_offline for item in batch):
            # Stored after what was kept before them, through the replay, which reads the state.
            self._keep(batch)
            if not await self._store_kept():
                self._schedule_offline(batch)
            return
        try:
            outcome = await self._on_db(
                record_batch,
                self.settings.owner,
                self.settings.region,
                batch,
                self.clock(),
                self.settings.confirm_delay,
            )
        except (OperationalError, InterfaceError) as exc:
            # Our database, not the sites, is in trouble: keep the checks, go on checking.
            self._next_store_attempt = asyncio.get_running_loop().time() + self._lost(exc)
            self._keep(batch)
            self._schedule_offline(batch)
            return
        self.outage.back()
        self.recorded += outcome.recorded
        for item in batch:
            self._recent[item.check.monitor_id] = item
        if outcome.lost_leases:
            log.info("%d checks dropped: another checker took their lease", outcome.lost_leases)

    def _keep(self, batch: list[Completed]) -> None:
        room = max(0, self.settings.max_kept - len(self._kept))
        batch = flattened(batch)  # stored one check at a time, each from its monitor's state then
        self._kept.extend(batch[:room])
        if len(batch) > room:
            if not self.not_kept:
                log.warning(
                    "%d checks kept while the database is away: newer ones are not kept", len(self._kept)
                )
            self.not_kept += len(batch) - room

    def _schedule_offline(self, batch: list[Completed]) -> None:
        """The next check of each monitor of ``batch``, at its cadence, while the database is away."""
        if self._stopping.is_set() or len(self._kept) >= self.settings.max_kept:
            return
        now = self.clock()
        for item in batch:
            check = item.check
            slot = check.next_slot_at
            if not check.is_confirmation:
                slot = next_slot(check.next_slot_at, now, check.monitor_id, check.interval_seconds)
            upcoming = replace(
                check, due_at=slot, next_slot_at=slot, is_confirmation=False, scheduled_offline=True
            )
            heapq.heappush(self._pending, (slot, next(self._arrivals), upcoming))
        self._wake.set()

    def _forget_offline_checks(self) -> None:
        """The database is back: the monitors are leased again, so checks scheduled without it go."""
        if any(item.scheduled_offline for _, _, item in self._pending):
            self._pending = [entry for entry in self._pending if not entry[2].scheduled_offline]
            heapq.heapify(self._pending)

    async def _store_kept(self, force: bool = False) -> bool:
        """Store the kept checks in the order they were made; False while the database is away."""
        async with self._storing:  # the writer and the lease loop both store: one at a time
            if not self._kept:
                return True
            loop = asyncio.get_running_loop()
            if not force and loop.time() < self._next_store_attempt:
                return False
            return await self._store_kept_now(loop)

    async def _store_kept_now(self, loop: asyncio.AbstractEventLoop) -> bool:
        total = len(self._kept)
        recorded = checked_again = not_ours = 0
        try:
            for round_ in rounds(self._kept):
                outcome = await self._on_db(
                    store_round,
                    self.settings.owner,
                    self.settings.region,
                    round_,
                    self.clock(),
                    self.settings.lease_ttl,
                    self.settings.confirm_delay,
                    self.calendar,
                    monitors_with_later_checks(self._kept, round_),
                )
                recorded += outcome.recorded
                checked_again += outcome.checked_again
                not_ours += outcome.not_ours
                done = {id(item) for item in round_}
                self._kept = [item for item in self._kept if id(item) not in done]
        except (OperationalError, InterfaceError) as exc:
            self._next_store_attempt = loop.time() + self._lost(exc)
            return False
        self.outage.back()
        self.recorded += recorded
        log.info(
            "stored %d of %d checks made while the database was away (%d not kept)",
            recorded,
            total,
            self.not_kept,
        )
        for line in dropped_lines(checked_again, not_ours):
            log.info("%s", line)
        self.not_kept = 0
        return True
