"""Veilleur's own webhook: a signed JSON POST describing one event (docs/notifications.md).

The body is built in the worker's main thread (it reads the database); the POST itself is the
network part, run with a deadline. Webhook URLs are typed by agencies, so the request goes
through the same SSRF guard as monitors: an IP-literal host is judged before anything happens,
a host name is resolved once and only vetted addresses are dialled, and the socket address is
judged again right before the connect. Private targets are refused unless the operator sets
VEILLEUR_ALLOW_PRIVATE_TARGETS=1. Redirects are not followed: a 3xx is a failure, retried.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver
from yarl import URL

from veilleur.incidents.models import Incident
from veilleur.incidents.sla import sla_outcome_of
from veilleur.notifications.channel_messages import ack_link, event_sentence, incident_of, staff_page_url
from veilleur.notifications.channels import masked_url
from veilleur.notifications.models import NotificationChannel, OutboxMessage
from veilleur.probes.fetch import guarded_session
from veilleur.probes.guard import AddressGuard

TIMEOUT_SECONDS = 10.0
USER_AGENT = "Veilleur-Webhook/1"
EVENT_HEADER = "X-Veilleur-Event"
DELIVERY_HEADER = "X-Veilleur-Delivery"
SIGNATURE_HEADER = "X-Veilleur-Signature"
SIGNATURE_PREFIX = "sha256="


class WebhookFailed(Exception):
    """The receiver did not take the event (no 2xx answer, or no answer at all)."""


@dataclass(frozen=True)
class WebhookRequest:
    url: str
    body: bytes
    headers: dict[str, str]
    allow_private: bool
    timeout_seconds: float = TIMEOUT_SECONDS

    @property
    def masked_url(self) -> str:
        return masked_url(NotificationChannel.Kind.WEBHOOK, self.url)


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: ``sha256=`` and the hex HMAC-SHA256 of the raw body."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def build_webhook_request(
    row: OutboxMessage, channel: NotificationChannel, sent_at: datetime, *, allow_private: bool
) -> WebhookRequest:
    payload = webhook_payload(row, sent_at)
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: row.kind,
        # The same on every try of this notice (fixed when it was queued): receivers can drop
        # the rare repeat a crash causes.
        DELIVERY_HEADER: row.message_id.strip("<>"),
        SIGNATURE_HEADER: sign(channel.secret, body),
    }
    return WebhookRequest(channel.url, body, headers, allow_private, timeout_seconds=TIMEOUT_SECONDS)


def webhook_payload(row: OutboxMessage, sent_at: datetime) -> dict[str, Any]:
    incident = incident_of(row)
    monitor = incident.monitor
    site = monitor.site
    client = site.client
    return {
        "event": row.kind,
        "incident": {
            "id": incident.pk,
            "url": staff_page_url(incident),
            "kind": incident.kind,
            "first_failed_at": _instant(incident.first_failed_at),
            "confirmed_at": _instant(incident.confirmed_at),
            "acknowledged_at": _instant(incident.acknowledged_at),
            "recovered_at": _instant(incident.recovered_at),
            "cause": {
                "error_class": incident.cause_error_class,
                "status_code": incident.cause_status_code,
                "message": incident.cause_message,
            },
            "sla": _sla(incident, sent_at),
        },
        "monitor": {"id": monitor.pk, "url": monitor.url},
        "site": {"key": site.key, "name": site.name},
        "client": {"key": client.key, "name": client.name, "plan": client.plan.key},
        "agency": {"name": row.agency.name},
        "sent_at": _instant(sent_at),
        "ack_url": ack_link(row, incident),
        "message": event_sentence(row),
    }


def _sla(incident: Incident, now: datetime) -> dict[str, Any]:
    return {"due_at": _instant(incident.sla_due_at), "outcome": sla_outcome_of(incident, now).value}


def _instant(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, to the second's fraction the database kept."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def post_webhook(request: WebhookRequest, resolver: AbstractResolver | None = None) -> None:
    """POST the event; return on a 2xx answer, raise WebhookFailed (or the guard's refusal)
    otherwise. Never takes longer than the request's timeout."""
    try:
        asyncio.run(_post(request, resolver))
    except WebhookFailed:
        raise
    except TimeoutError:
        raise WebhookFailed(
            f"no answer from {request.masked_url} within {request.timeout_seconds:g} s"
        ) from None
    except aiohttp.ClientError as exc:
        # aiohttp's messages may quote the full URL, and the URL is a secret.
        message = str(exc).replace(request.url, request.masked_url)
        raise WebhookFailed(f"{type(exc).__name__}: {message}") from None


async def _post(request: WebhookRequest, resolver: AbstractResolver | None) -> None:
    guard = AddressGuard(allow_private=request.allow_private)
    url = URL(request.url)
    guard.check_literal_host(url.host or "")  # before any connection is even prepared
    async with asyncio.timeout(request.timeout_seconds), guarded_session(guard, resolver=resolver) as session:
        sending = session.post(url, data=request.body, headers=request.headers, allow_redirects=False)
        async with sending as answer:
            if not 200 <= answer.status < 300:
                raise WebhookFailed(f"{request.masked_url} answered HTTP {answer.status}")
