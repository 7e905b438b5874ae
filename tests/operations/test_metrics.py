"""Prometheus metrics: /metrics answers only with the install's token; the process's counters
(checks, lateness, worker jobs, delivery failures) and the database's gauges (leases, overdue
monitors, the outbox's oldest row) say what happened, read the way Prometheus reads them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.test import Client as HttpClient
from django.test import override_settings
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from tests.checker.conftest import make_monitor  # noqa: F401
from tests.checker.test_runner import run_checker_until
from tests.notifications.conftest import FakeClock, Outage, Shop, clock, deliverer, shop  # noqa: F401
from tests.notifications.mailsink import free_port
from tests.targets import Target
from veilleur.monitoring.models import CheckResult, Monitor, MonitorRuntime
from veilleur.notifications.delivery import MAX_ATTEMPTS
from veilleur.notifications.models import OutboxMessage
from veilleur.worker.loop import Job, Worker

TOKEN = "s3cret-metrics-token"


def scrape(token: str = TOKEN) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """/metrics as Prometheus reads it: each sample by name and labels."""
    response = HttpClient().get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def counted(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.django_db
def test_metrics_do_not_exist_without_a_token_and_need_the_right_one() -> None:
    web = HttpClient()
    with override_settings(VEILLEUR_METRICS_TOKEN=""):
        assert web.get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 404
    with override_settings(VEILLEUR_METRICS_TOKEN=TOKEN):
        missing = web.get("/metrics", headers={"Accept-Language": "en"})
        assert missing.status_code == 401 and missing["WWW-Authenticate"].startswith("Bearer")
        assert b"metrics token" in missing.content
        in_french = web.get("/metrics", headers={"Accept-Language": "fr", "Authorization": "Bearer x"})
        assert in_french.status_code == 403 and "jeton des métriques" in in_french.content.decode()
        assert web.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
        assert web.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
        assert web.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"}).status_code == 403
        assert web.post("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 405
        assert scrape()[("veilleur_database_up", ())] == 1


@pytest.mark.django_db
@override_settings(VEILLEUR_METRICS_TOKEN=TOKEN)
def test_database_gauges_tell_leases_overdue_monitors_and_the_oldest_undelivered_row(
    shop: Shop,  # noqa: F811
    make_monitor: Callable[..., Monitor],  # noqa: F811
) -> None:
    now = timezone.now()
    on_time = make_monitor()
    late = make_monitor(interval_seconds=60)
    leased = make_monitor()
    for monitor, due_at in ((on_time, now), (late, now - timedelta(seconds=121)), (leased, now)):
        MonitorRuntime.objects.create(monitor=monitor, due_at=due_at, next_slot_at=due_at)
    MonitorRuntime.objects.filter(monitor=leased).update(
        lease_owner="host-a:42", lease_expires_at=now + timedelta(seconds=30)
    )
    MonitorRuntime.objects.filter(monitor=on_time).update(  # an expired lease holds nothing
        lease_owner="host-b:7", lease_expires_at=now - timedelta(seconds=1)
    )
    Outage(shop.monitor).go_down()  # two notices queued
    OutboxMessage.objects.filter(recipient=shop.contact.email).update(created_at=now - timedelta(hours=1))
    samples = scrape()
    assert samples[("veilleur_leases_held", (("owner", "host-a:42"),))] == 1
    assert [labels for name, labels in samples if name == "veilleur_leases_held"] == [
        (("owner", "host-a:42"),)
    ]
    # The late one, and the shop's monitor: its checks were recorded in October, none since.
    assert samples[("veilleur_monitors_overdue", ())] == 2
    assert samples[("veilleur_outbox_pending", ())] == 2
    assert 3600 <= samples[("veilleur_outbox_oldest_pending_age_seconds", ())] < 3600 + 60
    OutboxMessage.objects.update(state=OutboxMessage.State.SENT)
    assert scrape()[("veilleur_outbox_oldest_pending_age_seconds", ())] == 0


@pytest.mark.django_db(transaction=True)
@override_settings(VEILLEUR_METRICS_TOKEN=TOKEN)
def test_checks_are_counted_by_outcome_with_their_lateness(
    target: Target,
    make_monitor: Callable[..., Monitor],  # noqa: F811
) -> None:
    up = make_monitor(url=f"http://127.0.0.1:{target.port}/", interval_seconds=1)
    refused = make_monitor(url=f"http://127.0.0.1:{free_port()}/", interval_seconds=1)
    before = {outcome: counted("veilleur_checks_total", outcome=outcome) for outcome in ("ok", "refused")}
    lateness_before = counted("veilleur_check_lateness_seconds_count")
    run_checker_until(
        lambda: (
            CheckResult.objects.filter(monitor=up).count() >= 2
            and CheckResult.objects.filter(monitor=refused).count() >= 2
        )
    )
    results = {
        outcome: CheckResult.objects.filter(monitor=monitor).count()
        for outcome, monitor in (("ok", up), ("refused", refused))
    }
    samples = scrape()
    for outcome, stored in results.items():
        assert samples[("veilleur_checks_total", (("outcome", outcome),))] - before[outcome] == stored
    assert samples[("veilleur_check_lateness_seconds_count", ())] - lateness_before == sum(results.values())
    assert ("veilleur_checker_write_queue_depth", ()) in samples


def test_worker_jobs_are_timed_and_their_failures_counted() -> None:
    def broken(now: datetime) -> object:
        raise RuntimeError("disk full")

    worker = Worker([Job("metrics broken job", 10, broken), Job("metrics fine job", 10, lambda now: None)])
    failures_before = counted("veilleur_worker_job_failures_total", job="metrics broken job")
    worker.run_due(0.0)
    worker.run_due(10.0)
    assert counted("veilleur_worker_job_failures_total", job="metrics broken job") - failures_before == 2
    assert counted("veilleur_worker_job_failures_total", job="metrics fine job") == 0
    assert counted("veilleur_worker_job_duration_seconds_count", job="metrics fine job") == 2
    assert counted("veilleur_worker_job_duration_seconds_count", job="metrics broken job") == 2


def test_delivery_failures_are_counted_retrying_then_given_up(
    shop: Shop,  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:

    Outage(shop.monitor).go_down()
    retrying = counted("veilleur_outbox_delivery_failures_total", result="retrying")
    failed = counted("veilleur_outbox_delivery_failures_total", result="failed")
    deliverer(free_port(), clock).run()  # nothing listens: both rows retry later
    assert counted("veilleur_outbox_delivery_failures_total", result="retrying") - retrying == 2
    OutboxMessage.objects.update(attempts=MAX_ATTEMPTS - 1)
    clock.advance(3600)
    deliverer(free_port(), clock).run()
    assert counted("veilleur_outbox_delivery_failures_total", result="failed") - failed == 2


def veilleur(*args: str, data_dir: Path) -> subprocess.Popen[str]:
    # SQLite in the test's own folder, whatever database the suite runs on.
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["VEILLEUR_DATA_DIR"] = str(data_dir)
    return subprocess.Popen(
        [sys.executable, "-m", "veilleur.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def fetched(url: str, expected: str, seconds: float) -> str | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                text = response.read().decode()
                if expected in text:
                    return text
        except OSError:
            pass
        time.sleep(0.2)
    return None


def test_a_worker_serves_its_metrics_on_the_address_asked(tmp_path: Path) -> None:
    port = free_port()
    worker = veilleur("worker", "--metrics-address", f"127.0.0.1:{port}", data_dir=tmp_path)
    try:
        text = fetched(
            f"http://127.0.0.1:{port}/metrics",
            'veilleur_worker_job_duration_seconds_count{job="deliver the outbox"}',
            60,
        )
    finally:
        worker.terminate()
        worker.communicate(timeout=30)
    assert text is not None
    # The database's gauges are the web role's: a worker shows what it did, not the install.
    assert "veilleur_leases_held" not in text


@pytest.mark.parametrize("address", ["nowhere", "127.0.0.1:99999"])
def test_a_metrics_address_that_is_not_one_is_refused(address: str, tmp_path: Path) -> None:
    worker = veilleur("worker", "--metrics-address", address, data_dir=tmp_path)
    _, stderr = worker.communicate(timeout=60)
    assert worker.returncode == 2
    assert "--metrics-address" in stderr and "Traceback" not in stderr


def test_veilleur_up_serves_every_role_s_metrics_on_its_web_role(tmp_path: Path) -> None:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update({"VEILLEUR_DATA_DIR": str(tmp_path), "VEILLEUR_METRICS_TOKEN": TOKEN})
    up = subprocess.Popen(
        [sys.executable, "-m", "veilleur.cli", "up", "--bind", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    expected = 'veilleur_worker_job_duration_seconds_count{job="deliver the outbox"}'
    text = None
    try:
        deadline = time.monotonic() + 90
        while text is None and time.monotonic() < deadline:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    body = response.read().decode()
                    text = body if expected in body else None
            except OSError:
                pass
            time.sleep(0.3)
    finally:
        up.terminate()
        up.wait(timeout=60)
    assert text is not None
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    # The checker's counters, the worker's, and the database's gauges, from one process.
    assert samples[("veilleur_checks_total", (("outcome", "ok"),))] == 0  # no monitor yet
    assert ("veilleur_checker_write_queue_depth", ()) in samples
    assert samples[("veilleur_database_up", ())] == 1
    assert samples[("veilleur_monitors_overdue", ())] == 0


def test_a_database_away_is_a_gauge_at_zero_not_an_error_page(tmp_path: Path) -> None:
    port, nowhere = free_port(), free_port()  # no PostgreSQL listens on the second
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(
        {
            "VEILLEUR_DATA_DIR": str(tmp_path),
            "VEILLEUR_METRICS_TOKEN": TOKEN,
            "DATABASE_URL": f"postgres://veilleur@127.0.0.1:{nowhere}/veilleur",
        }
    )
    web = subprocess.Popen(
        [sys.executable, "-m", "veilleur.cli", "web", "--bind", f"127.0.0.1:{port}", "--no-migrate"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    text = None
    try:
        deadline = time.monotonic() + 60
        while text is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    text = response.read().decode()
            except OSError:
                time.sleep(0.3)
    finally:
        web.terminate()
        web.wait(timeout=30)
    assert text is not None
    assert "veilleur_database_up 0.0" in text
    assert "veilleur_leases_held" not in text and "veilleur_outbox_pending" not in text
