"""Running periodic jobs until told to stop.

Each job runs at its period; a job that fails is logged and retried at its next period, never
stopping the others. A database that went away is no job's failure: the worker logs one line,
waits for it with a growing pause, logs one line when it is back, and runs the jobs then.
Jobs are written to be safe when several workers run them at once
(compare-and-set updates, ``SKIP LOCKED``), so running more workers is only redundancy.
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

from django.db import close_old_connections

from veilleur.operations.metrics import JOB_DURATION, JOB_FAILURES
from veilleur.outage import Outage, is_database_unavailable

log = logging.getLogger("veilleur.worker")


@dataclass
class Job:
    name: str
    period_seconds: float
    run: Callable[[datetime], object]
    next_run: float = 0.0


class Worker:
    def __init__(self, jobs: list[Job], clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.jobs = jobs
        self.clock = clock
        self._stop = threading.Event()
        self.outage = Outage(log)
        self._pause = 1.0

    def stop(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        self._stop.set()

    def run_forever(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        self.run_until_stopped()

    def run_until_stopped(self) -> None:
        """Run the jobs until ``stop``; from any thread (``run_forever`` also answers signals)."""
        log.info("worker started: %s", ", ".join(job.name for job in self.jobs))
        while not self._stop.is_set():
            self.run_due(time.monotonic())
            self._stop.wait(self._pause)
        log.info("worker stopped")

    def run_due(self, monotonic_now: float) -> None:
        self._pause = 1.0
        for job in self.jobs:
            if self._stop.is_set() or monotonic_now < job.next_run:
                continue
            close_old_connections()
            try:
                outcome = self._run_timed(job)
            except Exception as exc:  # one failing job must not stop the others; it is retried next period
                JOB_FAILURES.labels(job.name).inc()
                if is_database_unavailable(exc):
                    # Every job needs the database: none runs until it is back, this one first.
                    self._pause = self.outage.lost(exc)
                    return
                log.exception("job %s failed", job.name)
            else:
                self.outage.back()
                if outcome:
                    log.info("job %s: %s", job.name, outcome)
                if getattr(outcome, "unfinished", False):
                    job.next_run = monotonic_now  # its work is due now: next round, after the others
                    continue
            job.next_run = monotonic_now + job.period_seconds

    def _run_timed(self, job: Job) -> object:
        started = time.monotonic()
        try:
            return job.run(self.clock())
        finally:
            JOB_DURATION.labels(job.name).observe(time.monotonic() - started)
