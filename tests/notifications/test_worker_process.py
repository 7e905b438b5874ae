"""The worker as a real process, killed with SIGKILL while the SMTP server holds its answer:
after a restart every notice is delivered, at most one twice, and the repeat carries the same
Message-ID."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from tests.checker.roles import role_env
from veilleur.incidents.models import Incident
from veilleur.notifications.models import OnCallAddress, OutboxMessage

from .conftest import Outage, Shop
from .mailsink import MailSink

pytestmark = pytest.mark.django_db(transaction=True)


def start_worker(log: Path, smtp_url: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "veilleur.cli", "worker", "--no-migrate"],
            env=role_env(VEILLEUR_SMTP_URL=smtp_url),
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def test_a_worker_killed_mid_delivery_loses_nothing(shop: Shop, tmp_path: Path) -> None:
    OnCallAddress.objects.create(agency=shop.agency, email="second@atelier.example")
    incident = Outage(shop.monitor).go_down()
    # The outage is dated in the past, so its response is long overdue: leave the SLA timers out
    # of this test about delivery (they have their own tests).
    Incident.objects.filter(pk=incident.pk).update(sla_breach_sent_at=incident.confirmed_at)
    rows = dict(OutboxMessage.objects.values_list("message_id", "recipient"))
    assert len(rows) == 3
    log = tmp_path / "worker.log"
    sink = MailSink(reply_delay_seconds=30).start()
    try:
        worker = start_worker(log, f"smtp://127.0.0.1:{sink.port}?timeout=60")
        # The first message is with the server, which has not answered yet: kill the worker now.
        sink.wait_for(1, timeout=60)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        connection.close()
        in_flight = OutboxMessage.objects.get(state=OutboxMessage.State.SENDING)
        assert in_flight.message_id == sink.messages()[0].message_id
        # Its claim would run out after the lease (minutes with this timeout); move it to the
        # past rather than wait, as if that time had gone by.
        OutboxMessage.objects.filter(pk=in_flight.pk).update(claimed_until=timezone.now())

        sink.reply_delay_seconds = 0
        worker = start_worker(log, f"smtp://127.0.0.1:{sink.port}?timeout=5")
        wait_for(lambda: not OutboxMessage.objects.exclude(state=OutboxMessage.State.SENT).exists())
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0, log.read_text()
    finally:
        sink.stop()

    copies = Counter(item.message_id for item in sink.messages())
    assert set(copies) == set(rows)  # every notice arrived, under its own Message-ID
    assert sum(copies.values()) - len(copies) <= 1  # one repeat at most: the one in flight
    for received in sink.messages():
        assert received.recipients == [rows[received.message_id]]
    assert OutboxMessage.objects.get(pk=in_flight.pk).attempts == 2
