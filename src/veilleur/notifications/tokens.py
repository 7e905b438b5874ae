"""Acknowledgement links in alerts: signed, expiring, and tied to the alert they came in.

The token carries the incident and the outbox row (so the page can say which address
acknowledged), signed with the install's secret key and a timestamp. It is single-use because
acknowledging is first-wins (``veilleur.incidents.ack.acknowledge``): a second use finds the
incident already acknowledged and changes nothing. Following the link must never acknowledge by
itself — mail scanners open links — so the page behind it asks for a button press (POST).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing

from veilleur.accounts.models import Agency
from veilleur.incidents.models import Incident
from veilleur.notifications.models import OutboxMessage

ACK_TOKEN_SALT = "veilleur.notifications.ack"
ACK_TOKEN_MAX_AGE = timedelta(days=7)


class AckTokenError(ValueError):
    """The acknowledgement link cannot be used."""


class AckTokenInvalid(AckTokenError):
    """The token was altered, truncated, or signed with another key."""


class AckTokenExpired(AckTokenError):
    """The token is genuine but older than its validity."""


def make_ack_token(incident: Incident, outbox_row: OutboxMessage) -> str:
    return _signer().sign_object({"i": incident.pk, "o": outbox_row.pk})


def read_ack_token(token: str, max_age: timedelta = ACK_TOKEN_MAX_AGE) -> tuple[int, int]:
    """The (incident id, outbox row id) a token was made for; raises AckTokenExpired or
    AckTokenInvalid. The caller still scopes the incident to its agency."""
    try:
        payload: Any = _signer().unsign_object(token, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise AckTokenExpired(
            f"this acknowledgement link has expired (links are valid {max_age.days} days)"
        ) from exc
    except (signing.BadSignature, ValueError) as exc:
        raise AckTokenInvalid("this acknowledgement link is not valid (altered or incomplete)") from exc
    if not _is_id_pair(payload):
        raise AckTokenInvalid("this acknowledgement link is not valid (unexpected content)")
    return payload["i"], payload["o"]


def ack_url(incident: Incident, outbox_row: OutboxMessage) -> str:
    return f"{public_base_url(outbox_row.agency)}/ack/{make_ack_token(incident, outbox_row)}/"


def public_base_url(agency: Agency) -> str:
    """Where this Veilleur answers from outside: the agency's address, else the install's."""
    return (agency.base_url or settings.VEILLEUR_BASE_URL).rstrip("/")


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=ACK_TOKEN_SALT)


def _is_id_pair(payload: Any) -> bool:
    return (
        isinstance(payload, dict)
        and set(payload) == {"i", "o"}
        and all(type(payload[key]) is int for key in ("i", "o"))
    )
