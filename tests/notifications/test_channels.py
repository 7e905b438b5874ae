"""Webhook and Apprise channels: rows queued with the event for the channels in scope, the
documented JSON body signed, Apprise for real through its json:// service, a failing channel
retried on its own while everything else goes out, and no connection to private addresses."""

from __future__ import annotations

import hashlib
import hmac
import socket
from collections.abc import Iterator
from datetime import datetime

import pytest
from django.test import override_settings

from veilleur.notifications import webhook
from veilleur.notifications.channels import check_channel_url, masked_url
from veilleur.notifications.delivery import FIRST_RETRY_SECONDS
from veilleur.notifications.enqueue import enqueue_incident_notices
from veilleur.notifications.models import NotificationChannel, OutboxMessage
from veilleur.notifications.tokens import read_ack_token
from veilleur.notifications.webhook import WebhookRequest, post_webhook
from veilleur.plans.models import Plan

from .conftest import FakeClock, Outage, Shop, deliverer
from .mailsink import MailSink, free_port
from .receiver import Receiver

State = OutboxMessage.State
Kind = OutboxMessage.Kind
allow_private = override_settings(VEILLEUR_ALLOW_PRIVATE_TARGETS=True)
forbid_private = override_settings(VEILLEUR_ALLOW_PRIVATE_TARGETS=False)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


def make_channel(
    shop: Shop, key: str, url: str, kind: str = "webhook", **fields: object
) -> NotificationChannel:
    channel = NotificationChannel(agency=shop.agency, key=key, name=key.title(), kind=kind, url=url, **fields)
    channel.full_clean()
    channel.save()
    return channel


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


# --- queued with the event ------------------------------------------------------------------


def test_each_channel_in_scope_gets_one_row_per_event(shop: Shop) -> None:
    premium = Plan.objects.get(agency=shop.agency, key="premium")
    basic = Plan.objects.get(agency=shop.agency, key="basic")
    make_channel(shop, "everyone", "https://hooks.example/a")
    make_channel(shop, "premium-slack", "slack://T000/B000/XXXX", kind="apprise", plan=premium)
    make_channel(shop, "this-client", "https://hooks.example/b", client=shop.client)
    make_channel(shop, "basic-only", "https://hooks.example/c", plan=basic)
    make_channel(shop, "switched-off", "https://hooks.example/d", enabled=False)
    make_channel(shop, "recoveries", "https://hooks.example/e", events=[Kind.INCIDENT_RECOVERED])

    incident = Outage(shop.monitor).go_down()

    rows = OutboxMessage.objects.exclude(channel=OutboxMessage.Channel.EMAIL)
    assert sorted(rows.values_list("recipient", "channel")) == [
        ("everyone", "webhook"),
        ("premium-slack", "apprise"),
        ("this-client", "webhook"),
    ]
    assert set(rows.values_list("audience", "language")) == {("agency", "en")}
    assert enqueue_incident_notices(incident, Kind.INCIDENT_CONFIRMED) == 0  # a replay adds nothing


# --- the webhook ----------------------------------------------------------------------------------


@allow_private
def test_a_webhook_receives_the_documented_body_signed(
    shop: Shop, sink: MailSink, clock: FakeClock, receiver: Receiver
) -> None:
    channel = make_channel(shop, "ops-hook", f"{receiver.url}/hooks/veilleur?token=abc")
    incident = Outage(shop.monitor).go_down()

    report = deliverer(sink.port, clock).run()

    assert report.sent == 3 and len(sink.messages()) == 2
    [request] = receiver.requests()
    row = OutboxMessage.objects.get(recipient="ops-hook")
    assert row.state == State.SENT
    assert request.path == "/hooks/veilleur?token=abc"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["X-Veilleur-Event"] == "incident_confirmed"
    assert request.headers["X-Veilleur-Delivery"] == row.message_id.strip("<>")
    expected = "sha256=" + hmac.new(channel.secret.encode(), request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["X-Veilleur-Signature"], expected)

    body = request.json()
    incident.refresh_from_db()
    assert set(body) == {
        "event", "incident", "monitor", "site", "client", "agency", "sent_at", "ack_url", "message"
    }  # fmt: skip
    assert body["event"] == "incident_confirmed"
    assert body["incident"] == {
        "id": incident.pk,
        "url": f"https://veilleur.atelier.example/incidents/{incident.pk}/",
        "kind": "down",
        "first_failed_at": iso(incident.first_failed_at),
        "confirmed_at": iso(incident.confirmed_at),
        "acknowledged_at": None,
        "recovered_at": None,
        "cause": {
            "error_class": "http_status",
            "status_code": 503,
            "message": "HTTP 503 Service Unavailable",
        },
        "sla": {"due_at": iso(incident.sla_due_at), "outcome": body["incident"]["sla"]["outcome"]},
    }
    assert body["incident"]["sla"]["outcome"] in {"pending", "breached"}
    assert body["monitor"] == {"id": shop.monitor.pk, "url": shop.monitor.url}
    assert body["site"] == {"key": "www", "name": "Boutique en ligne"}
    assert body["client"] == {"key": "boulangerie", "name": "Boulangerie Martin", "plan": "premium"}
    assert body["agency"] == {"name": "Atelier Lumière"}
    assert body["sent_at"] == iso(row.sent_at)
    token = body["ack_url"].removeprefix("https://veilleur.atelier.example/ack/").rstrip("/")
    assert read_ack_token(token) == (incident.pk, row.pk)
    assert body["message"].startswith(
        "Boutique en ligne (Boulangerie Martin) is down since October 1, 2026, 14:00:"
    )
    assert body["message"].endswith(": The site answered with an error (HTTP 503 Service Unavailable).")
    assert incident.notified_at is not None


@allow_private
def test_the_recovery_and_the_agency_language(
    shop: Shop, sink: MailSink, clock: FakeClock, receiver: Receiver
) -> None:
    shop.agency.language = "fr"
    shop.agency.save()
    make_channel(shop, "ops-hook", receiver.url)
    outage = Outage(shop.monitor)
    outage.go_down()
    outage.recover()
    deliverer(sink.port, clock).run()
    down, back = (request.json() for request in receiver.requests())
    assert down["message"].startswith(
        "Boutique en ligne (Boulangerie Martin) est en panne depuis le 1 octobre 2026 à 14:00:"
    )
    assert back["event"] == "incident_recovered"
    assert back["ack_url"] is None  # a recovery asks for nothing, as in the e-mail
    assert back["incident"]["recovered_at"] is not None
    assert "(Boulangerie Martin) est rétabli depuis le 1 octobre 2026" in back["message"]
    assert back["message"].endswith("d’indisponibilité.")


# --- Apprise, for real, through its json:// service -------------------------------------------------


@allow_private
def test_an_apprise_channel_posts_through_apprise(
    shop: Shop, sink: MailSink, clock: FakeClock, receiver: Receiver
) -> None:
    make_channel(shop, "team-chat", f"json://127.0.0.1:{receiver.port}/apprise", kind="apprise")
    Outage(shop.monitor).go_down()

    report = deliverer(sink.port, clock).run()

    assert report.sent == 3
    [request] = receiver.requests()
    assert request.path.startswith("/apprise")
    body = request.json()
    assert body["title"] == "[Atelier Lumière] Down: Boutique en ligne (Boulangerie Martin)"
    assert body["message"].startswith("Boutique en ligne (Boulangerie Martin) is down since")
    assert "Acknowledge the incident: https://veilleur.atelier.example/ack/" in body["message"]
    assert "Incident page: https://veilleur.atelier.example/incidents/" in body["message"]
    assert OutboxMessage.objects.get(recipient="team-chat").state == State.SENT


# --- one failing channel never delays another ---------------------------------------------------


@pytest.mark.parametrize("failure", ["hang", "error", "refused"])
@allow_private
def test_a_failing_channel_is_retried_on_its_own_while_the_rest_goes_out(
    shop: Shop, sink: MailSink, clock: FakeClock, failure: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webhook, "TIMEOUT_SECONDS", 1.0)
    healthy, broken = Receiver().start(), Receiver().start()
    try:
        broken.hang = failure == "hang"
        broken.status = 500 if failure == "error" else 200
        port = free_port() if failure == "refused" else broken.port
        # Its key sorts first: the broken channel's row is queued, and claimed, before the other.
        make_channel(shop, "a-broken", f"http://127.0.0.1:{port}/hook/s3cr3t")
        make_channel(shop, "b-healthy", f"{healthy.url}/hook")
        finished: list[str] = []

        def post(request: WebhookRequest) -> None:
            try:
                post_webhook(request)
            finally:
                finished.append(request.url.split("/hook")[0])

        Outage(shop.monitor).go_down()
        report = deliverer(sink.port, clock, post=post).run()

        assert (report.sent, report.retrying) == (3, 1)
        assert len(sink.messages()) == 2 and len(healthy.requests()) == 1
        if failure == "hang":
            # The healthy channel was done while the hanging one was still waiting for its answer.
            assert finished == [healthy.url, f"http://127.0.0.1:{port}"]
        row = OutboxMessage.objects.get(recipient="a-broken")
        assert (row.state, row.attempts) == (State.PENDING, 1)
        delay = (row.next_attempt_at - clock.now).total_seconds()
        assert 0.75 * FIRST_RETRY_SECONDS <= delay <= FIRST_RETRY_SECONDS
        assert "s3cr3t" not in row.last_error  # the URL is a secret, even in errors
        expected_error = {"hang": "no answer from", "error": "answered HTTP 500", "refused": "Connect"}[
            failure
        ]
        assert expected_error in row.last_error

        assert not deliverer(sink.port, clock, post=post).run()  # nothing due before the backoff ends
        NotificationChannel.objects.filter(key="a-broken").update(url=f"{healthy.url}/hook/fixed")
        clock.advance(FIRST_RETRY_SECONDS)
        assert deliverer(sink.port, clock, post=post).run().sent == 1
        assert OutboxMessage.objects.get(recipient="a-broken").state == State.SENT
        assert [request.path for request in healthy.requests()] == ["/hook", "/hook/fixed"]
    finally:
        broken.stop()
        healthy.stop()


def test_a_deleted_channel_fails_its_rows_at_once(shop: Shop, sink: MailSink, clock: FakeClock) -> None:
    make_channel(shop, "gone", "https://hooks.example/gone")
    Outage(shop.monitor).go_down()
    NotificationChannel.objects.filter(key="gone").delete()
    report = deliverer(sink.port, clock).run()
    assert (report.sent, report.failed) == (2, 1)
    row = OutboxMessage.objects.get(recipient="gone")
    assert row.state == State.FAILED and "was deleted" in row.last_error


# --- no connection to private addresses unless allowed ----------------------------------------------


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A loopback port that listens but never accepts: any connection would wait in its queue."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def assert_no_connection(sock: socket.socket) -> None:
    with pytest.raises(BlockingIOError):
        sock.accept()


@forbid_private
def test_channels_to_private_addresses_are_refused_without_connecting(
    shop: Shop, sink: MailSink, clock: FakeClock, listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    make_channel(shop, "literal", f"http://127.0.0.1:{port}/hook")
    make_channel(shop, "by-name", f"http://localhost:{port}/hook")
    make_channel(shop, "apprise-json", f"json://127.0.0.1:{port}/hook", kind="apprise")
    Outage(shop.monitor).go_down()

    report = deliverer(sink.port, clock).run()

    assert (report.sent, report.retrying) == (2, 3)  # the two e-mails go out all the same
    for row in OutboxMessage.objects.exclude(channel=OutboxMessage.Channel.EMAIL):
        assert "refused to connect" in row.last_error and "loopback" in row.last_error, row.last_error
    assert_no_connection(listener)


def test_the_guard_runs_before_any_connection_attempt(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    request = WebhookRequest(f"http://[::ffff:127.0.0.1]:{port}/", b"{}", {}, allow_private=False)
    with pytest.raises(Exception, match="refused to connect"):
        post_webhook(request)
    assert_no_connection(listener)


# --- URLs -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "url", "shown"),
    [
        ("webhook", "https://user:pw@hooks.example:8443/T0/secret?x=1", "https://hooks.example:8443/…"),
        ("apprise", "slack://T000/B000/XXXX", "slack://…"),
        ("apprise", "json://127.0.0.1:8080/path/secret", "json://127.0.0.1:8080/…"),
        ("apprise", "tgram://123456:ABCDEF/987", "tgram://…"),
    ],
)
def test_urls_are_masked_in_lists_and_logs(kind: str, url: str, shown: str) -> None:
    assert masked_url(kind, url) == shown


@pytest.mark.parametrize(
    ("kind", "url", "message"),
    [
        ("webhook", "ftp://hooks.example/x", "absolute http:// or https://"),
        ("webhook", "slack://T000/B000/XXXX", "absolute http:// or https://"),
        ("apprise", "nosuchservice://abc", "Apprise does not accept this nosuchservice:// URL"),
        ("apprise", "hooks.example", "an Apprise URL looks like"),
        ("carrier-pigeon", "https://hooks.example", "unknown channel kind"),
    ],
)
def test_bad_channel_urls_are_refused(kind: str, url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_channel_url(kind, url)


def test_a_webhook_that_never_answers_fails_within_its_timeout(receiver: Receiver) -> None:
    receiver.hang = True
    request = WebhookRequest(receiver.url, b"{}", {}, allow_private=True, timeout_seconds=0.5)
    try:
        with pytest.raises(webhook.WebhookFailed, match=r"no answer from http://127\.0\.0\.1"):
            post_webhook(request)
    finally:
        receiver.release()
