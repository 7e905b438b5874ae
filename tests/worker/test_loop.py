"""The worker runs each job at its period; one failing job never stops the others."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import OperationalError

from veilleur.worker.command import jobs
from veilleur.worker.loop import PROMPT, SLOW, Job, Worker

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


def test_a_slow_job_never_holds_back_the_prompt_lane() -> None:
    """A page load in Chromium or a report day runs for minutes: meanwhile mail keeps going out."""
    release = threading.Event()
    slow_started = threading.Event()
    prompt_runs: list[datetime] = []
    enough = threading.Event()

    def slow(now: datetime) -> object:
        slow_started.set()
        release.wait(30)
        return None

    def prompt(now: datetime) -> object:
        prompt_runs.append(now)
        if slow_started.is_set() and len(prompt_runs) >= 3:
            enough.set()
        return None

    worker = Worker([Job("deliver", 0, prompt), Job("lab", 0, slow, lane=SLOW)])
    thread = threading.Thread(target=worker.run_until_stopped)
    thread.start()
    try:
        # The prompt job runs again and again while the slow one is still running.
        assert enough.wait(20) and not release.is_set()
    finally:
        release.set()
        worker.stop()
        thread.join(20)
    assert not thread.is_alive()  # stopping waits for every lane's job in progress


def test_the_jobs_that_mail_and_keep_time_share_no_lane_with_slow_ones() -> None:
    lanes = {job.name: job.lane for job in jobs()}
    prompt = {"deliver the outbox", "response SLA timers", "degraded performance", "domain expiry notices"}
    slow = {"lab page metrics", "reports", "certificates", "domain registrations", "software versions"}
    assert {lanes[name] for name in prompt} == {PROMPT}
    assert {lanes[name] for name in slow} == {SLOW}
