"""Hedged re-checks, the local way of confirming a site that hangs without waiting a timeout
per re-check (the rules are in domain/hedging.py).

A check still unanswered ``after`` seconds into it starts its confirmation re-checks at once,
``spacing`` apart, each a fresh probe of its own with the monitor's timeout. If the first check
succeeds, they are cancelled and nothing of them is stored; if it fails, they are recorded after
it, in the order they started, as confirmations (recorder.py, ``Completed.confirmations``).

Re-checks take a place of the per-host limit like any check, but never wait for one: when the
host's places or the checker's budget of re-checks are taken, the check goes on alone and the
failure is confirmed the usual way, one re-check after the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime

from veilleur.checker.work import CheckSpec, Completed, LeasedCheck, Observation
from veilleur.domain.hedging import Timed, hedge_starts, in_record_order, kept_rechecks, worth_hedging
from veilleur.domain.maintenance import covers

log = logging.getLogger("veilleur.checker")
Prober = Callable[[CheckSpec], Awaitable[Observation]]


class Hedger:
    """Runs one check, with its hedged re-checks when it is slow to answer."""

    def __init__(self, prober: Prober, after: float, spacing: float, limit: int) -> None:
        self.prober = prober
        self.after = after
        self.spacing = spacing
        self.limit = limit  # re-checks running at once, over all checks
        self.running = 0
        self.started = 0  # re-checks started since the checker began
        self.dropped = 0  # of those, cancelled because the first check succeeded

    def starts_for(self, item: LeasedCheck) -> list[float]:
        if item.scheduled_offline:
            return []  # the database is away: the regular checks confirm (docs/deployment.md)
        if not worth_hedging(item.state, item.confirmations, covers(item.maintenance, datetime.now(UTC))):
            return []
        return hedge_starts(float(item.spec.timeout_seconds), item.confirmations, self.after, self.spacing)

    async def check(self, item: LeasedCheck, host_places: asyncio.Semaphore) -> Completed:
        """The check of ``item`` (its caller holds one of ``host_places``) and, when it failed
        after being slow to answer, the re-checks that confirm it."""
        starts = self.starts_for(item)
        if not starts:
            return Completed(item, await self.prober(item.spec))
        loop = asyncio.get_running_loop()
        began = loop.time()
        first = asyncio.ensure_future(self.prober(item.spec))
        rechecks: list[asyncio.Task[Observation]] = []
        try:
            for offset in starts:
                await asyncio.wait({first}, timeout=max(0.0, began + offset - loop.time()))
                if first.done() or self.running >= self.limit or host_places.locked():
                    break
                await host_places.acquire()  # free: locked() said so, and nothing ran since
                rechecks.append(self._recheck(item.spec, host_places))
            observation = await first
        except BaseException:
            first.cancel()
            await _cancelled(rechecks)
            raise
        if observation.ok or not rechecks:
            self.dropped += len(rechecks)
            await _cancelled(rechecks)
            return Completed(item, observation)
        return _confirmed(item, observation, await _results(rechecks))

    def _recheck(self, spec: CheckSpec, host_places: asyncio.Semaphore) -> asyncio.Task[Observation]:
        """A re-check holding one of ``host_places`` (taken by the caller) until it ends, however
        it ends: cancelled before it even started included, hence a done callback."""
        self.running += 1
        self.started += 1
        task = asyncio.ensure_future(self.prober(spec))

        def ended(_: asyncio.Future[Observation]) -> None:
            self.running -= 1
            host_places.release()

        task.add_done_callback(ended)
        return task


async def _cancelled(tasks: list[asyncio.Task[Observation]]) -> None:
    for task in tasks:
        task.cancel()
    if tasks:
        with contextlib.suppress(BaseException):
            await asyncio.gather(*tasks, return_exceptions=True)


async def _results(tasks: list[asyncio.Task[Observation]]) -> list[Observation]:
    """The re-checks' observations; one whose probe broke (a bug, never a site's failure, which
    is an observation) is left out, and the failure is confirmed the usual way instead."""
    results = []
    for outcome in await asyncio.gather(*tasks, return_exceptions=True):
        if isinstance(outcome, BaseException):
            log.error("a confirmation re-check failed", exc_info=outcome)
            continue
        results.append(outcome)
    return results


def _confirmed(item: LeasedCheck, first: Observation, rechecks: list[Observation]) -> Completed:
    """The failed check with its re-checks in record order, each verdict dated no earlier than
    the ones before it (domain/hedging.py ``in_record_order``)."""
    kept = kept_rechecks(first.ok, [_timed(seen) for seen in rechecks])
    by_start = sorted(rechecks, key=lambda seen: seen.checked_at)
    ordered = in_record_order(_timed(first), kept)
    observations = [first, *by_start]
    dated = [
        replace(seen, completed_at=timed.completed_at)
        for seen, timed in zip(observations, ordered, strict=True)
    ]
    return Completed(item, dated[0], tuple(dated[1:]))


def _timed(seen: Observation) -> Timed:
    return Timed(seen.checked_at, seen.finished_at, seen.ok)


def flattened(batch: list[Completed]) -> list[Completed]:
    """Each hedged check as separate checks, in time order: how the checks kept while the
    database is away are stored (replay.py reads each monitor's state again for each of them)."""
    flat = []
    for item in batch:
        flat.append(Completed(item.check, item.observation))
        for seen in item.confirmations:
            flat.append(Completed(replace(item.check, is_confirmation=True), seen))
    return flat
