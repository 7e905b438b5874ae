"""The worker runs each job at its period; one failing job never stops the others."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from veilleur.worker.command import jobs
from veilleur.worker.loop import Job, Worker

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def test_jobs_run_at_their_period_and_failures_are_contained(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []

    def broken(now: datetime) -> object:
        calls.append("broken")
        raise RuntimeError("disk full")

    def fine(now: datetime) -> object:
        calls.append("fine")
        return None

    worker = Worker([Job("broken", 10, broken), Job("fine", 5, fine)], clock=lambda: NOW)
    for second in (0, 1, 5, 10):
        worker.run_due(float(second))
    assert calls == ["broken", "fine", "fine", "broken", "fine"]
    assert "job broken failed" in caplog.text


@pytest.mark.django_db
def test_the_worker_jobs_run_on_an_empty_database() -> None:
    worker = Worker(jobs(), clock=lambda: NOW)
    worker.run_due(0.0)
    assert all(job.next_run > 0 for job in worker.jobs)
