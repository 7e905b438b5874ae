"""The checker's self-health: a checker cut off from the Internet opens no client incident.

Every probe this checker makes is noted (a *sighting*). A failure that could be the checker's
own (veilleur/domain/checker_health.py says which) is held back from the writer until its cause
is known: when something answered since the check started, the failure is real and is stored;
when the canaries (``VEILLEUR_CANARY_URLS``, probed at once) all failed too — or, without
canaries, when every name failed to resolve at once — the checker is *impaired*. An undecided
failure is stored after ``hold_seconds`` all the same.

While impaired the checker stores no verdict for any monitor (so no incident opens), gives the
leases of those monitors back at once and leases no more, so that a healthy checker elsewhere
takes them; it records a ``CheckerOutage`` and mails the agency's on-call addresses once
(checker/outage_notices.py). Every ``recheck_seconds`` it probes the canaries and a few of the
monitors that failed; after ``recover_rounds`` rounds in a row that reached something it closes
the outage — the monitors nobody checked meanwhile get a no-data gap, our outage — mails the
recovery and leases again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError

from veilleur.checker.leases import release
from veilleur.checker.work import CheckSpec, Completed, Observation
from veilleur.domain.checker_health import (
    REASON_CANARIES,
    REASON_DNS,
    Finding,
    Health,
    Rules,
    Sighting,
    after,
    is_suspect,
    judge,
)
from veilleur.operations.metrics import CHECKER_IMPAIRED, VERDICTS_WITHHELD

if TYPE_CHECKING:
    from veilleur.checker.runner import Checker

log = logging.getLogger("veilleur.checker")
Prober = Callable[[CheckSpec], Awaitable[Observation]]


def configured_canaries() -> tuple[str, ...]:
    return tuple(getattr(settings, "VEILLEUR_CANARY_URLS", ()))


@dataclass(frozen=True)
class SelfHealthSettings:
    canary_urls: tuple[str, ...] = field(default_factory=configured_canaries)
    rules: Rules = field(default_factory=Rules)
    hold_seconds: float = 10.0  # an undecided suspect failure waits at most this long
    recheck_seconds: float = 5.0  # between recovery rounds while impaired
    canary_timeout_seconds: int = 5
    canary_spacing_seconds: float = 1.0  # between two canary rounds started for suspects
    memory_seconds: float = 120.0  # how long sightings are kept
    recovery_samples: int = 3  # monitors that failed, probed again in each recovery round


@dataclass
class _Held:
    item: Completed
    give_up_at: float  # loop time after which it is stored undecided


def canary_spec(url: str, timeout_seconds: int) -> CheckSpec:
    """Any HTTP answer counts, whatever its status: the canary is there to prove the network."""
    return CheckSpec(
        url=url,
        method="GET",
        headers={},
        expected_status="100-599",
        keyword="",
        forbidden_keyword="",
        timeout_seconds=timeout_seconds,
        follow_redirects=False,
    )


class SelfHealth:
    def __init__(self, checker: Checker, options: SelfHealthSettings) -> None:
        self.checker = checker
        self.options = options
        self.health = Health()
        self.outage_id: int | None = None
        self._raw: Prober | None = None
        self._sightings: deque[Sighting] = deque()
        self._last_reached: datetime | None = None
        self._held: list[_Held] = []
        self._cleared: set[int] = set()  # ids of held checks judged real, on their way back
        self._affected: set[int] = set()  # monitors withheld or given back during this outage
        self._failed_specs: dict[str, CheckSpec] = {}  # URL → spec, of monitors that failed
        self._round: asyncio.Task[None] | None = None
        self._round_started_at: datetime | None = None
        self._round_began = -1e9  # loop time
        self._kick = asyncio.Event()
        self._must_open = False  # the outage row is still to be written (database away)
        self._must_close: tuple[datetime, set[int], bool] | None = None
        self._reason_text = ""

    @property
    def impaired(self) -> bool:
        return self.health.impaired

    # -- what the probes saw --------------------------------------------------------------------

    def watch(self, prober: Prober) -> Prober:
        """``prober``, noting what each probe saw."""
        self._raw = prober

        async def watched(spec: CheckSpec) -> Observation:
            observation = await prober(spec)
            if not spec.demo:  # a made-up site's healthy answer proves nothing about the network
                self._note(spec.url, observation, canary=False)
            return observation

        return watched

    def _note(self, url: str, observation: Observation, canary: bool) -> None:
        sighting = Sighting(
            subject=url,
            host=urlsplit(url).hostname or "",
            started_at=observation.checked_at,
            error_class="" if observation.ok else observation.error_class,
            canary=canary,
        )
        self._sightings.append(sighting)
        if sighting.reached and (self._last_reached is None or sighting.started_at > self._last_reached):
            self._last_reached = sighting.started_at
        oldest = self.checker.clock().timestamp() - self.options.memory_seconds
        while self._sightings and self._sightings[0].started_at.timestamp() < oldest:
            self._sightings.popleft()
        if self._held:
            self._kick.set()

    # -- the writer's side ----------------------------------------------------------------------

    async def screen(self, batch: list[Completed]) -> list[Completed]:
        """The checks of ``batch`` to store now; the others are held or withheld."""
        if self.impaired:
            await self._withhold(batch)
            return []
        with_canaries = bool(self.options.canary_urls)
        give_up_at = asyncio.get_running_loop().time() + self.options.hold_seconds
        store = []
        for item in batch:
            if id(item) in self._cleared:
                self._cleared.discard(id(item))
                store.append(item)
            elif (
                not item.observation.ok
                and not item.check.spec.demo
                and is_suspect(item.observation.error_class, with_canaries)
            ):
                self._held.append(_Held(item, give_up_at))
                self._kick.set()
            else:
                store.append(item)
        return store

    async def _withhold(self, batch: list[Completed]) -> None:
        """Store none of these verdicts; give their leases back so another checker takes them."""
        if not batch:
            return
        VERDICTS_WITHHELD.inc(len(batch))
        ids = [item.check.monitor_id for item in batch]
        self._affected.update(ids)
        for item in batch:
            if not item.observation.ok and not item.check.spec.demo:
                self._failed_specs[item.check.spec.url] = item.check.spec
        await self.give_back(ids)

    async def give_back(self, monitor_ids: list[int]) -> None:
        if not monitor_ids:
            return
        self._affected.update(monitor_ids)
        with contextlib.suppress(OperationalError, InterfaceError):  # their leases expire anyway
            await self.checker._on_db(release, self.checker.settings.owner, monitor_ids)

    # -- deciding -------------------------------------------------------------------------------

    async def run(self) -> None:
        """Decide held failures; while impaired, run recovery rounds. Until cancelled."""
        from veilleur.checker.outage_notices import close_dead_local_outages

        with contextlib.suppress(DatabaseError):  # the database away, or not migrated yet: next start
            await self.checker._on_db(close_dead_local_outages, socket.gethostname(), self.checker.clock())
        loop = asyncio.get_running_loop()
        next_round = 0.0
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), timeout=0.2)
            self._kick.clear()
            if self._must_open or self._must_close is not None:
                await self._write_outage()
            if self.impaired:
                if loop.time() >= next_round:
                    next_round = loop.time() + self.options.recheck_seconds
                    await self._recovery_round()
            elif self._held:
                await self._decide(loop)
                # Each decision reads the recent sightings: in a large outage, when every probe
                # wakes this loop, decide at most ten times a second.
                await asyncio.sleep(0.1)

    async def _decide(self, loop: asyncio.AbstractEventLoop) -> None:
        now = loop.time()
        real: list[Completed] = []
        waiting: list[_Held] = []
        for held in self._held:
            started = held.item.observation.checked_at
            if self._last_reached is not None and self._last_reached >= started:
                real.append(held.item)
            elif now >= held.give_up_at:
                real.append(held.item)  # undecided: a false alarm is better than a hidden outage
            else:
                waiting.append(held)
        self._held = waiting
        if waiting:
            starts = sorted(held.item.observation.checked_at for held in waiting)
            for since in (starts[0], starts[-1]):
                if self._judge(since) is Finding.CUT_OFF:
                    await self._become_impaired(starts[0])
                    return
            self._maybe_probe_canaries(starts[-1], loop)
        for item in real:
            self._cleared.add(id(item))
            await self.checker._results.put(item)

    def _judge(self, since: datetime) -> Finding:
        return judge(self._sightings, since, self.options.canary_urls, self.options.rules)

    def _maybe_probe_canaries(self, newest_suspect: datetime, loop: asyncio.AbstractEventLoop) -> None:
        if not self.options.canary_urls or (self._round is not None and not self._round.done()):
            return
        if self._round_started_at is not None and self._round_started_at >= newest_suspect:
            return  # a round started after every suspect: its answers are in
        if loop.time() - self._round_began < self.options.canary_spacing_seconds:
            return
        self._round_began = loop.time()
        self._round_started_at = self.checker.clock()
        self._round = asyncio.create_task(self._probe(list(self.options.canary_urls), canary=True))

    async def _probe(self, urls: list[str], canary: bool, specs: dict[str, CheckSpec] | None = None) -> None:
        assert self._raw is not None
        prober = self._raw
        timeout = self.options.canary_timeout_seconds

        async def one(url: str) -> None:
            spec = (specs or {}).get(url) or canary_spec(url, timeout)
            observation = await prober(spec)
            self._note(url, observation, canary=canary)

        await asyncio.gather(*(one(url) for url in urls))

    async def _become_impaired(self, since: datetime) -> None:
        self.health = after(self.health, Finding.CUT_OFF, since, self.options.rules)
        CHECKER_IMPAIRED.set(1)
        held, self._held = [item.item for item in self._held], []
        reason = self._reason()
        log.warning(
            "this checker cannot reach the Internet (%s): its verdicts are withheld and its monitors "
            "left to other checkers until it can",
            "every canary failed" if reason == REASON_CANARIES else "no host name resolves",
        )
        self._reason_text = reason
        self._must_open = True
        await self._withhold(held)
        await self._write_outage()

    def _reason(self) -> str:
        return REASON_CANARIES if self.options.canary_urls else REASON_DNS

    async def _recovery_round(self) -> None:
        started = self.checker.clock()
        samples = list(self._failed_specs.values())[-self.options.recovery_samples :]
        await asyncio.gather(
            self._probe(list(self.options.canary_urls), canary=True),
            self._probe([spec.url for spec in samples], canary=False, specs={s.url: s for s in samples}),
        )
        # A round that reached nothing, cut off or undecided, starts the count again.
        finding = self._judge(started)
        since = self.health.since
        self.health = after(self.health, finding, started, self.options.rules)
        if not self.impaired and since is not None:
            await self._recovered(since)

    async def _recovered(self, since: datetime, stopped: bool = False) -> None:
        CHECKER_IMPAIRED.set(0)
        ended = self.checker.clock()
        if stopped:
            log.warning("this checker stops while cut off from the Internet (since %s)", since.isoformat())
        else:
            log.warning(
                "this checker reaches the Internet again, after an outage since %s", since.isoformat()
            )
        self._must_close = (ended, set(self._affected), stopped)
        self._affected.clear()
        self._failed_specs.clear()
        await self._write_outage()

    async def _write_outage(self) -> None:
        """Write the outage row (or its end) and the agency's notices; retried while the
        database is away."""
        # Imported here: mail rendering is needed only the day a checker is cut off.
        from veilleur.checker.outage_notices import close_outage, open_outage

        on_db = self.checker._on_db
        owner, region = self.checker.settings.owner, self.checker.settings.region
        try:
            if self._must_open and self.health.since is not None:
                self.outage_id = await on_db(
                    open_outage, owner, region, self.health.since, self._reason_text, sorted(self._affected)
                )
                self._must_open = False
            if self._must_close is not None and not self._must_open:
                ended, affected, stopped = self._must_close
                if self.outage_id is not None:
                    await on_db(close_outage, self.outage_id, ended, sorted(affected), stopped)
                self._must_close = None
                self.outage_id = None
        except DatabaseError as exc:
            log.info("the checker outage will be recorded when the database answers: %s", exc)

    async def stopped(self) -> None:
        """The checker stops: an outage still open ends now (another checker takes over)."""
        if self._round is not None:
            self._round.cancel()
        held, self._held = [held.item.check.monitor_id for held in self._held], []
        if held:  # not decided in time: another checker checks them again at once
            with contextlib.suppress(OperationalError, InterfaceError):
                await self.checker._on_db(release, self.checker.settings.owner, held)
        if self.impaired and self.health.since is not None:
            since, self.health = self.health.since, Health()
            await self._recovered(since, stopped=True)
        elif self._must_open or self._must_close is not None:
            await self._write_outage()
        CHECKER_IMPAIRED.set(0)
