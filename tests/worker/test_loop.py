"""The worker runs each job at its period; one failing job never stops the others."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import OperationalError

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


# Transactional: the worker closes connections between jobs, as it must, which would close the
# connection of a test run inside a transaction (on PostgreSQL every job then failed unseen).
@pytest.mark.django_db(transaction=True)
def test_the_worker_jobs_run_on_an_empty_database(caplog: pytest.LogCaptureFixture) -> None:
    worker = Worker(jobs(), clock=lambda: NOW)
    worker.run_due(0.0)
    assert all(job.next_run > 0 for job in worker.jobs)
    assert "failed" not in caplog.text and "unavailable" not in caplog.text


def test_a_database_outage_is_one_line_not_a_traceback_per_job(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []

    def needs_the_database(now: datetime) -> object:
        calls.append("job")
        if database_away:
            raise OperationalError("connection refused")
        return None

    worker = Worker([Job("a", 1, needs_the_database), Job("b", 1, needs_the_database)], clock=lambda: NOW)
    database_away = True
    for second in range(30):
        worker.run_due(float(second))
    database_away = False
    worker.run_due(30.0)
    assert caplog.text.count("database unavailable") == 1 and caplog.text.count("available again") == 1
    assert "Traceback" not in caplog.text and "failed" not in caplog.text
    # While it is away, one try per round, not one per job; both run once it is back.
    assert calls == ["job"] * 30 + ["job", "job"]
