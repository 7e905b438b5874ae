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
import logging
import os
import random
import socket
from collections import defaultdict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from django.db import InterfaceError, OperationalError, connections

from veilleur.checker.leases import ensure_runtimes, lease_due, release, release_dead_local_owners, renew
from veilleur.checker.maintenance import MaintenanceCalendar
from veilleur.checker.recorder import record_batch
from veilleur.checker.work import CheckSpec, Completed, LeasedCheck, Observation
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
    confirm_delay: timedelta = timedelta(seconds=3)
    idle_sleep: float = 0.5
    owner: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    # Leases are short and renewed while the checker lives (every ``lease_renewal``), however long
    # its probes take: a checker that dies (killed, host lost, frozen) stops renewing, and another
    # one takes its monitors within ``lease_ttl`` of its last renewal — well within one interval
    # plus 10 s of their due time. A lease lost to a stalled database costs one duplicate probe,
    # whose result the recorder drops.
    lease_ttl: timedelta = timedelta(seconds=8)
    lease_renewal: float = 2.0


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
        self, prober: Prober, settings: CheckerSettings | None = None, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.prober = prober
        self.settings = settings or CheckerSettings()
        self.clock = clock
        self.calendar = MaintenanceCalendar()
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checker-db")
        self._pending: list[tuple[datetime, int, LeasedCheck]] = []
        self._wake = _Wakeup()
        self._stopping = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(self.settings.max_in_flight)
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(self.settings.per_host)
        )
        self._results: asyncio.Queue[Completed] = asyncio.Queue(self.settings.write_queue)
        self.recorded = 0
        # One log line when the database is lost, one when it is back, whichever loop sees it.
        self.outage = Outage(log)

    async def _on_db(self, function: Callable[..., T], *args: Any) -> T:
        def call() -> T:
            _drop_broken_connections()
            return function(*args)

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
                await self._sleep(self.outage.lost(exc))
                continue
            self.outage.back()
            return result
        return None

    async def run(self) -> None:
        await self._until_done(release_dead_local_owners, socket.gethostname())
        writer = asyncio.create_task(self._write_loop())
        renewer = asyncio.create_task(self._renew_loop())
        try:
            await asyncio.gather(self._lease_loop(), self._dispatch_loop())
            if self._in_flight:
                await asyncio.wait(self._in_flight)
            await self._results.join()
        finally:
            writer.cancel()
            renewer.cancel()
            unstarted = [item.monitor_id for _, _, item in self._pending]
            self._pending.clear()
            try:
                if unstarted:
                    await self._on_db(release, self.settings.owner, unstarted)
                await self._on_db(connections.close_all)
            except (OperationalError, InterfaceError) as exc:
                # Their leases expire on their own; another checker takes them then.
                log.warning("could not release %d leases, the database is away: %s", len(unstarted), exc)
            self._db.shutdown(wait=True)
        log.info("checker stopped after recording %d checks", self.recorded)

    async def _lease_loop(self) -> None:
        runtimes_checked_at: datetime | None = None
        while not self._stopping.is_set():
            now = self.clock()
            room = self.settings.max_pending - len(self._pending)
            leased: list[LeasedCheck] = []
            try:
                if runtimes_checked_at is None or now - runtimes_checked_at > timedelta(seconds=10):
                    await self._on_db(ensure_runtimes, now)
                    runtimes_checked_at = now
                if room > 0:
                    leased = await self._lease(now, min(room, self.settings.lease_batch))
            except (OperationalError, InterfaceError) as exc:
                # The database is away: wait for it, never exit (one log line per outage).
                await self._sleep(self.outage.lost(exc))
                continue
            self.outage.back()
            for item in leased:
                heapq.heappush(self._pending, (item.due_at, item.monitor_id, item))
            if leased:
                self._wake.set()
            if len(leased) < self.settings.lease_batch:
                # Jittered, so that checkers sharing monitors do not poll in lockstep, with one
                # of them always just ahead of the other when leases are released.
                await self._sleep(self.settings.idle_sleep * random.uniform(0.5, 1.5))

    async def _renew_loop(self) -> None:
        """Extend every lease this checker holds, until it stops (its pending and in-flight checks
        included); failures are the database's, noticed by the other loops."""
        while True:
            await asyncio.sleep(self.settings.lease_renewal)
            with contextlib.suppress(OperationalError, InterfaceError):
                await self._on_db(renew, self.settings.owner, self.clock(), self.settings.lease_ttl)

    async def _lease(self, now: datetime, limit: int) -> list[LeasedCheck]:
        return await self._on_db(
            lease_due,
            self.settings.owner,
            now,
            self.settings.lease_horizon,
            self.settings.lease_ttl,
            limit,
            self.calendar,
        )

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
        try:
            async with self._hosts[item.host]:
                observation = await self.prober(item.spec)
            # Waits while the writer is behind: backpressure instead of unbounded memory.
            await self._results.put(Completed(item, observation))
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
        while True:
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
                # Our database, not the sites, is in trouble: keep the batch and try again.
                await asyncio.sleep(self.outage.lost(exc))
                continue
            self.outage.back()
            self.recorded += outcome.recorded
            if outcome.lost_leases:
                log.info("%d checks dropped: another checker took their lease", outcome.lost_leases)
            return
