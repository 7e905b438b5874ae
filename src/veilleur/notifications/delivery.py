"""Delivering the outbox: the worker's job that sends pending rows, safely from many workers.

A row is claimed with a compare-and-set update (pending and due, or "sending" with an expired
claim → "sending", ours, until now + lease) and the row count tells whether we won it; on
PostgreSQL the candidates are read with ``FOR UPDATE SKIP LOCKED`` so concurrent workers pick
different rows instead of racing for the same one. Once sent, the row is marked sent by a
compare-and-set on our claim.

What a crash can do: a worker killed after the server accepted a message and before the row is
marked sent leaves a "sending" row whose claim expires; another worker sends it again — one
repeat at most per crash, with the same Message-ID, so mail clients show it once. Nothing is
lost: a failure of any kind puts the row back to pending with an exponential, jittered backoff;
after about two days of failures it is marked failed, logged as an error, and stays listed.

Rows go out by e-mail, by webhook or through Apprise (the row's channel). What needs the
database (claiming, rendering, recording) happens in the run's own thread; the network part of
each row runs in a small pool of threads, each within its own deadline (mail still goes to the
SMTP server one message at a time). So a channel whose server hangs holds one thread until its
timeout while the other rows keep going out, and its row then comes back later on its own
backoff: one failing channel never delays another.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Collection
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet

from veilleur.incidents.models import Incident
from veilleur.notifications.addresses import sender_address
from veilleur.notifications.channel_messages import chat_message
from veilleur.notifications.models import NotificationChannel, OutboxMessage
from veilleur.notifications.rendering import CannotRender, build_email, render_message
from veilleur.notifications.smtp import send_over_smtp
from veilleur.notifications.smtp_url import SmtpConfig, parse_smtp_url
from veilleur.notifications.webhook import WebhookRequest, build_webhook_request, post_webhook
from veilleur.operations.metrics import count_delivery_failure
from veilleur.outage import is_database_unavailable

log = logging.getLogger("veilleur.notifications")

State = OutboxMessage.State
Channel = OutboxMessage.Channel

# The worker looks for due rows this often; an alert waits at most this long for its first try.
DELIVERY_PERIOD_SECONDS = 2
# One run stops taking new rows after this long, so the worker's other jobs get their turn.
RUN_BUDGET_SECONDS = 20.0
# Candidates read per claim: enough to step over rows another worker just claimed.
CANDIDATES_PER_CLAIM = 5
FIRST_RETRY_SECONDS = 30.0
LONGEST_RETRY_SECONDS = 3600.0
# Retries go on for about this long (the nominal delays add up to it), then the row is failed.
GIVE_UP_AFTER = timedelta(hours=48)
ERROR_TEXT_LIMIT = 2000
# Rows whose network part runs at the same time in one run: a server that hangs holds one of
# these until its own timeout, not the whole queue.
PARALLEL_SENDS = 8
# A webhook or Apprise row stays ours this long at least: their deadlines (10 s, 20 s) plus
# ample room to record the outcome.
CHANNEL_LEASE_SECONDS = 60.0

Clock = Callable[[], datetime]
Sender = Callable[[SmtpConfig, str, str, bytes], None]
WebhookPoster = Callable[[WebhookRequest], None]
Transmission = Callable[[], None]  # the network part of one delivery: no database in there
InFlight = dict[Future[datetime], OutboxMessage]  # each send's future: when it was accepted


class AppriseNotifier(Protocol):
    def __call__(self, url: str, title: str, body: str, *, allow_private: bool) -> None: ...


def notify_apprise(url: str, title: str, body: str, *, allow_private: bool) -> None:
    # Apprise and its HTTP stack are loaded by the first Apprise message, not by every process
    # that imports the outbox.
    from veilleur.notifications.apprise_target import notify_apprise as send

    send(url, title, body, allow_private=allow_private)


class Undeliverable(Exception):
    """The row can never go out (its channel was deleted or disabled since it was queued):
    marked failed at once instead of retried for two days."""


def nominal_retry_delay(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` failed ones: 30 s, 60 s, 2 min, … 1 h."""
    return min(LONGEST_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1))


def retry_delay(attempts: int, rng: random.Random) -> timedelta:
    """The nominal delay shortened by up to a quarter at random: rows that failed together (a
    server outage) come back spread out, and never later than the nominal time."""
    return timedelta(seconds=nominal_retry_delay(attempts) * rng.uniform(0.75, 1.0))


def attempts_spanning(horizon: timedelta) -> int:
    """How many attempts the nominal schedule makes before its delays add up to ``horizon``."""
    attempts, waited = 1, 0.0
    while waited < horizon.total_seconds():
        waited += nominal_retry_delay(attempts)
        attempts += 1
    return attempts


MAX_ATTEMPTS = attempts_spanning(GIVE_UP_AFTER)


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    lost_claims: int = 0  # sent, but our claim had expired and another worker took the row over

    def __bool__(self) -> bool:
        return bool(self.sent or self.retrying or self.failed or self.lost_claims)

    def __str__(self) -> str:
        text = f"sent {self.sent}, retrying {self.retrying}, failed {self.failed}"
        return f"{text}, lost claims {self.lost_claims}" if self.lost_claims else text


def deliver_outbox(now: datetime) -> DeliveryReport | None:
    """The worker's job: send what is due, for at most RUN_BUDGET_SECONDS."""
    config = parse_smtp_url(settings.VEILLEUR_SMTP_URL)
    report = Deliverer(config, clock=clock_from(now)).run()
    return report or None


def clock_from(start: datetime) -> Clock:
    """A clock that reads ``start`` now and advances with real time: the worker's notion of now
    (injectable in tests) stays the reference during a long run."""
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)


def new_claimer_name() -> str:
    """Who holds a claim, for the logs and the admin: host, process, and a random part so that
    two runs never mistake each other's claims."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Deliverer:
    def __init__(
        self,
        config: SmtpConfig,
        *,
        clock: Clock,
        send: Sender = send_over_smtp,
        post: WebhookPoster = post_webhook,
        notify: AppriseNotifier = notify_apprise,
        rng: random.Random | None = None,
        budget_seconds: float = RUN_BUDGET_SECONDS,
        name: str | None = None,
        parallel: int = PARALLEL_SENDS,
    ) -> None:
        self.config = config
        self.clock = clock
        self.send = send
        self.post = post
        self.notify = notify
        self.parallel = parallel
        self.rng = rng or random.Random()
        self.budget_seconds = budget_seconds
        self.name = name or new_claimer_name()

    def _run(self, report: DeliveryReport) -> DeliveryReport:
        """Claim due rows one at a time and send them, up to ``parallel`` at once, until none is
        due or the budget is spent; then wait for the sends still under way (each has its own
        deadline) and record them."""
        self._in_flight: InFlight = {}
        started = time.monotonic()
        in_flight = self._in_flight
        with ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="outbox-send") as pool:
            while time.monotonic() - started < self.budget_seconds:
                row = (
                    self.claim_next(skip=_serial_channels_busy(in_flight))
                    if len(in_flight) < self.parallel
                    else None
                )
                if row is not None:
                    transmission = self._prepare(row, report)
                    if transmission is not None:
                        in_flight[pool.submit(_accepted_at, transmission, self.clock)] = row
                    self._settle(in_flight, report, block=False)
                elif in_flight:
                    self._settle(in_flight, report, block=True)  # a slot, or an e-mail turn, frees up
                else:
                    break
            while in_flight:
                self._settle(in_flight, report, block=True)
        return report

    def run(self) -> DeliveryReport:
        """``deliver`` the due rows; sends accepted while the database was away are recorded
        first, so that none of them is sent again by this process."""
        report = DeliveryReport()
        record_unrecorded_sends()
        try:
            return self._run(report)
        except Exception as exc:
            if is_database_unavailable(exc):
                self._keep_accepted_sends()
            raise

    def claim_next(self, skip: Collection[str] = ()) -> OutboxMessage | None:
        """Claim the next due row, leaving out the channels in ``skip``."""
        now = self.clock()
        with transaction.atomic():
            candidates = OutboxMessage.objects.filter(_claimable(now)).exclude(channel__in=list(skip))
            candidates = candidates.order_by("next_attempt_at", "pk")
            if connection.vendor == "postgresql":
                candidates = candidates.select_for_update(skip_locked=True)
            for pk, channel in list(candidates.values_list("pk", "channel")[:CANDIDATES_PER_CLAIM]):
                lease_until = now + timedelta(seconds=self.lease_seconds(channel))
                if self._claim(pk, now, lease_until):
                    return _with_everything_to_render().get(pk=pk)
        return None

    def lease_seconds(self, channel: str) -> float:
        """How long a claim on a row of ``channel`` lasts: longer than its send can take."""
        if channel == Channel.EMAIL:
            return self.config.lease_seconds
        return max(self.config.lease_seconds, CHANNEL_LEASE_SECONDS)

    def deliver(self, row: OutboxMessage, report: DeliveryReport) -> None:
        """Send one claimed row here and now, and record the outcome."""
        transmission = self._prepare(row, report)
        if transmission is None:
            return
        try:
            accepted_at = _accepted_at(transmission, self.clock)
        except Exception as exc:  # whatever went wrong, the row must come back, never be lost
            self._record_failure(row, exc, report)
        else:
            self._record_sent(row, report, accepted_at)

    def _prepare(self, row: OutboxMessage, report: DeliveryReport) -> Transmission | None:
        """Everything the send needs from the database, read now; None (and the failure
        recorded) when the row cannot even be prepared."""
        try:
            return self._transmission(row)
        except Exception as exc:
            self._record_failure(row, exc, report)
            return None

    def _transmission(self, row: OutboxMessage) -> Transmission:
        if row.channel == Channel.EMAIL:
            email = build_email(row, render_message(row))
            message = email.message().as_bytes(linesep="\r\n")  # SMTP lines end in CRLF
            return partial(self.send, self.config, sender_address(row.agency), row.recipient, message)
        channel = _channel_of(row)
        # Read here, in the run's thread: settings overridden for a test are seen.
        allow_private = bool(settings.VEILLEUR_ALLOW_PRIVATE_TARGETS)
        if row.channel == Channel.WEBHOOK:
            request = build_webhook_request(row, channel, self.clock(), allow_private=allow_private)
            return partial(self.post, request)
        chat = chat_message(row)
        return partial(self.notify, channel.url, chat.title, chat.body, allow_private=allow_private)

    def _settle(self, in_flight: InFlight, report: DeliveryReport, *, block: bool) -> None:
        """Record the sends that have finished; with ``block``, wait for at least one."""
        done = wait(in_flight, timeout=None if block else 0, return_when=FIRST_COMPLETED).done
        for future in done:
            row = in_flight[future]
            error = future.exception()
            if error is None:
                self._record_sent(row, report, future.result())
            elif isinstance(error, Exception):
                self._record_failure(row, error, report)
            else:  # KeyboardInterrupt and the like stop the worker, as they would without threads
                raise error
            # Forgotten once recorded: if the database failed meanwhile, ``run`` keeps the send.
            del in_flight[future]

    def _claim(self, pk: int, now: datetime, lease_until: datetime) -> bool:
        return (
            OutboxMessage.objects.filter(_claimable(now), pk=pk).update(
                state=State.SENDING,
                claimed_by=self.name,
                claimed_until=lease_until,
                # Counted when the attempt begins, so that a message that crashes the worker
                # every time still reaches the give-up limit.
                attempts=F("attempts") + 1,
            )
            == 1
        )

    def _ours(self, row: OutboxMessage) -> Q:
        return Q(pk=row.pk, state=State.SENDING, claimed_by=self.name)

    def _keep_accepted_sends(self) -> None:
        """The database went away: the sends under way finish (each within its deadline), and
        those the server accepted are kept, with when, until the database is back."""
        in_flight: InFlight = getattr(self, "_in_flight", {})
        wait(in_flight)
        for future, row in in_flight.items():
            if future.exception() is None:
                _keep_unrecorded(
                    UnrecordedSend(row.pk, self.name, row.incident_id, row.kind, future.result())
                )
        in_flight.clear()

    def _record_sent(self, row: OutboxMessage, report: DeliveryReport, sent_at: datetime) -> None:
        with transaction.atomic():
            marked = OutboxMessage.objects.filter(self._ours(row)).update(
                state=State.SENT, sent_at=sent_at, claimed_until=None, last_error=""
            )
            if marked and row.kind == OutboxMessage.Kind.INCIDENT_CONFIRMED and row.incident is not None:
                _record_notified(row.incident, sent_at)
        if marked:
            report.sent += 1
            return
        report.lost_claims += 1
        log.warning(
            "outbox row %s to %s was sent after its claim expired; another worker may send it again "
            "(same Message-ID %s)",
            row.pk,
            row.recipient,
            row.message_id,
        )

    def _record_failure(self, row: OutboxMessage, exc: Exception, report: DeliveryReport) -> None:
        now = self.clock()
        error = f"{type(exc).__name__}: {exc}"[:ERROR_TEXT_LIMIT]
        # A row that cannot be rendered never will be (what it speaks of is gone): no retries.
        if row.attempts >= MAX_ATTEMPTS or isinstance(exc, (Undeliverable, CannotRender)):
            OutboxMessage.objects.filter(self._ours(row)).update(
                state=State.FAILED, claimed_until=None, last_error=error
            )
            report.failed += 1
            count_delivery_failure(given_up=True)
            log.error(
                "GAVE UP delivering outbox row %s (%s to %s) after %d attempts since %s: %s",
                row.pk,
                row.kind,
                row.recipient,
                row.attempts,
                row.created_at.isoformat(),
                error,
            )
            return
        next_attempt_at = now + retry_delay(row.attempts, self.rng)
        OutboxMessage.objects.filter(self._ours(row)).update(
            state=State.PENDING,
            next_attempt_at=next_attempt_at,
            claimed_by="",
            claimed_until=None,
            last_error=error,
        )
        report.retrying += 1
        count_delivery_failure(given_up=False)
        log.warning(
            "outbox row %s to %s failed (attempt %d), next try at %s: %s",
            row.pk,
            row.recipient,
            row.attempts,
            next_attempt_at.isoformat(),
            error,
        )


def _claimable(now: datetime) -> Q:
    """Due pending rows, and rows whose sender's claim ran out (it died or hung)."""
    return Q(state=State.PENDING, next_attempt_at__lte=now) | Q(state=State.SENDING, claimed_until__lt=now)


def _serial_channels_busy(in_flight: InFlight) -> set[str]:
    """Mail goes to the install's one SMTP server one message at a time, as it always has: the
    server is not flooded, and a crash leaves at most one mail in doubt. Webhook and Apprise rows
    each go to their own endpoint, side by side."""
    return {Channel.EMAIL} if any(row.channel == Channel.EMAIL for row in in_flight.values()) else set()


def _channel_of(row: OutboxMessage) -> NotificationChannel:
    """The channel a webhook or Apprise row was queued for, as it is now (its URL may have been
    corrected meanwhile)."""
    channel = NotificationChannel.objects.filter(
        agency_id=row.agency_id, key=row.recipient, kind=row.channel
    ).first()
    if channel is None:
        raise Undeliverable(
            f"channel {row.recipient!r} was deleted (or changed kind) since this notice was queued"
        )
    if not channel.enabled:
        raise Undeliverable(f"channel {row.recipient!r} was disabled since this notice was queued")
    return channel


def _with_everything_to_render() -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.select_related(
        "agency", "incident__agency", "incident__monitor__site__client__plan", "report__client"
    )


def _record_notified(incident: Incident, sent_at: datetime) -> None:
    """The incident's notified_at is when its first alert left, not when it was enqueued: that is
    when the agency could know. Never before the confirmation, even with a skewed clock."""
    _record_notified_at(incident.pk, incident.confirmed_at, sent_at)


def _record_notified_at(incident_id: int, confirmed_at: datetime, sent_at: datetime) -> None:
    """The first accepted delivery wins, whatever order the deliveries are recorded in: an alert
    accepted while the database was away is recorded after a later one sent meanwhile."""
    Incident.objects.filter(Q(notified_at__isnull=True) | Q(notified_at__gt=sent_at), pk=incident_id).update(
        notified_at=max(sent_at, confirmed_at)
    )


def _accepted_at(transmission: Transmission, clock: Clock) -> datetime:
    """Send, and say when the server accepted: that moment, not when it is recorded, is the
    delivery's time (recording may wait for the database)."""
    transmission()
    return clock()


@dataclass(frozen=True)
class UnrecordedSend:
    """A delivery the server accepted while the database could not be told."""

    row_id: int
    claimed_by: str
    incident_id: int | None
    kind: str
    accepted_at: datetime


# At most this many sends wait in one worker's memory for the database (each a few dozen bytes):
# far more than one outage can see, since mail goes out one message at a time.
MAX_UNRECORDED_SENDS = 10_000
_unrecorded: list[UnrecordedSend] = []
_unrecorded_lock = threading.Lock()


def _keep_unrecorded(send: UnrecordedSend) -> None:
    with _unrecorded_lock:
        if len(_unrecorded) < MAX_UNRECORDED_SENDS:
            _unrecorded.append(send)


def record_unrecorded_sends() -> int:
    """Write the sends kept while the database was away: each row is marked sent if our claim
    still holds it (else another worker took it over and sends it again, with the same
    Message-ID), and an incident's notified_at becomes the first accepted alert. Those not
    written stay kept when the database fails again meanwhile."""
    with _unrecorded_lock:
        pending = list(_unrecorded)
    for send in pending:
        with transaction.atomic():
            OutboxMessage.objects.filter(
                pk=send.row_id, state=State.SENDING, claimed_by=send.claimed_by
            ).update(state=State.SENT, sent_at=send.accepted_at, claimed_until=None, last_error="")
            if send.kind == OutboxMessage.Kind.INCIDENT_CONFIRMED and send.incident_id is not None:
                incident = Incident.objects.filter(pk=send.incident_id).values_list("confirmed_at", flat=True)
                for confirmed_at in incident:
                    _record_notified_at(send.incident_id, confirmed_at, send.accepted_at)
        with _unrecorded_lock:
            _unrecorded.remove(send)
    return len(pending)
