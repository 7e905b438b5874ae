"""Running periodic jobs until told to stop.

Each job runs at its period; a job that fails is logged and retried at its next period, never
stopping the others. A database that went away is no job's failure: the worker logs one line,
waits for it with a growing pause, logs one line when it is back, and runs the jobs then.
Jobs are written to be safe when several workers run them at once
(compare-and-set updates, ``SKIP LOCKED``), so running more workers is only redundancy — and
so that they may run side by side in one worker, on lanes.

A lane is a thread of its own running its jobs one after another: the jobs that must keep time
(mail delivery, response timers) have a lane that nothing slow shares, so a Chromium page load
or a report day's PDFs never hold back an alert.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import FrameType

from django.db import close_old_connections, connections

from veilleur.operations.metrics import JOB_DURATION, JOB_FAILURES
from veilleur.outage import Outage, is_database_unavailable

log = logging.getLogger("veilleur.worker")

# The lane of the jobs whose lateness a person notices within minutes.
PROMPT = "prompt"
# The lane of the jobs that may run for minutes: pages loaded in Chromium, reports drawn,
# registries and sites asked over the network.
SLOW = "slow"

IDLE_PAUSE_SECONDS = 1.0


@dataclass
class Job:
    name: str
    period_seconds: float
    run: Callable[[datetime], object]
    next_run: float = 0.0
    lane: str = PROMPT


class Worker:
    def __init__(self, jobs: list[Job], clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.jobs = jobs
        self.clock = clock
        self._stop = threading.Event()
        self.outage = Outage(log)  # shared by the lanes: one line per outage

    def stop(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        self._stop.set()

    def run_forever(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        self.run_until_stopped()

    def lanes(self) -> dict[str, list[Job]]:
        """The jobs by lane, in the order of their first job."""
        lanes: dict[str, list[Job]] = {}
        for job in self.jobs:
            lanes.setdefault(job.lane, []).append(job)
        return lanes

    def run_until_stopped(self) -> None:
        """Run the jobs until ``stop``, each lane on a thread of its own (the first on this
        one); from any thread (``run_forever`` also answers signals). Returns once every lane
        has finished the job it was running."""
        log.info("worker started: %s", ", ".join(job.name for job in self.jobs))
        lanes = list(self.lanes().items())
        threads = [
            threading.Thread(target=self._run_lane, args=(jobs,), name=f"veilleur-worker-{lane}", daemon=True)
            for lane, jobs in lanes[1:]
        ]
        for thread in threads:
            thread.start()
        self._run_lane(lanes[0][1] if lanes else [])
        for thread in threads:
            thread.join()
        log.info("worker stopped")

    def _run_lane(self, jobs: list[Job]) -> None:
        try:
            while not self._stop.is_set():
                self._stop.wait(self.run_due(time.monotonic(), jobs))
        finally:
            connections.close_all()  # this thread's own connections

    def run_due(self, monotonic_now: float, jobs: list[Job] | None = None) -> float:
        """Run the due jobs among ``jobs`` (all of them by default), one after another; the
        seconds to wait before looking again."""
        for job in self.jobs if jobs is None else jobs:
            if self._stop.is_set() or monotonic_now < job.next_run:
                continue
            close_old_connections()
            try:
                outcome = self._run_timed(job)
            except Exception as exc:  # one failing job must not stop the others; it is retried next period
                JOB_FAILURES.labels(job.name).inc()
                if is_database_unavailable(exc):
                    # Every job needs the database: none runs until it is back, this one first.
                    return self.outage.lost(exc)
                log.exception("job %s failed", job.name)
            else:
                self.outage.back()
                if outcome:
                    log.info("job %s: %s", job.name, outcome)
                if getattr(outcome, "unfinished", False):
                    job.next_run = monotonic_now  # its work is due now: next round, after the others
                    continue
            job.next_run = monotonic_now + job.period_seconds
        return IDLE_PAUSE_SECONDS

    def _run_timed(self, job: Job) -> object:
        started = time.monotonic()
        try:
            return job.run(self.clock())
        finally:
            JOB_DURATION.labels(job.name).observe(time.monotonic() - started)
