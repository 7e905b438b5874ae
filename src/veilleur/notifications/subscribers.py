"""Writing the outbox rows of a status page's subscribers: the opt-in mail, and the incident
notices.

Incident notices go out only when the public page would show the incident: the client's plan
includes a status page, the page exists, and the incident's site is one of its components. They
are written in the transaction that records the event (the checker's batch, a posted update), one
row per active subscriber (confirmed, not unsubscribed) at that moment, with an idempotency key of
(kind, event, subscription): a replayed event adds nothing.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.db.models import QuerySet

from veilleur.incidents.models import Incident, IncidentUpdate
from veilleur.notifications.addresses import new_message_id
from veilleur.notifications.models import OutboxMessage
from veilleur.statuspages.models import StatusComponent, StatusPage, Subscription

Kind = OutboxMessage.Kind

SUBSCRIBER_NOTICE_KINDS = frozenset(
    {Kind.STATUS_INCIDENT_OPENED, Kind.STATUS_INCIDENT_UPDATED, Kind.STATUS_INCIDENT_RESOLVED}
)
SUBSCRIBER_KINDS = SUBSCRIBER_NOTICE_KINDS | {Kind.SUBSCRIPTION_CONFIRM}


# --- the opt-in mail ---------------------------------------------------------------------


def enqueue_confirmation(subscription: Subscription) -> None:
    """Queue the mail with the link that confirms ``subscription`` (its current token).

    The key names the token (by a digest: the token is a secret, the key is shown in the admin)
    and counts the mails already queued for it, so a later re-send is a new row while two
    requests racing for the same one make one.
    """
    prefix = _confirmation_key_prefix(subscription)
    queued_before = OutboxMessage.objects.filter(idempotency_key__startswith=prefix).count()
    row = _row(subscription.page, subscription, Kind.SUBSCRIPTION_CONFIRM, f"{prefix}{queued_before + 1}")
    OutboxMessage.objects.bulk_create([row], ignore_conflicts=True)


def last_confirmation_at(subscription: Subscription) -> datetime | None:
    """When the latest opt-in mail of the subscription's current token was queued."""
    prefix = _confirmation_key_prefix(subscription)
    return (
        OutboxMessage.objects.filter(idempotency_key__startswith=prefix)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def _confirmation_key_prefix(subscription: Subscription) -> str:
    return f"{Kind.SUBSCRIPTION_CONFIRM}:{subscription.pk}:{token_digest(subscription.token)}:"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


# --- the incident notices ----------------------------------------------------------------


def enqueue_incident_subscriber_notices(incident: Incident, kind: str) -> int:
    """An incident opened or resolved (``kind`` STATUS_INCIDENT_OPENED or _RESOLVED): one row
    per active subscriber of the page showing its site; the number of rows written."""
    return _enqueue(incident, kind, update=None, event=f"incident:{incident.pk}")


def enqueue_update_subscriber_notices(update: IncidentUpdate) -> int:
    """A public update was posted: one row per active subscriber of the page showing the site."""
    kind = Kind.STATUS_INCIDENT_UPDATED
    return _enqueue(update.incident, kind, update=update, event=f"update:{update.pk}")


def page_showing(incident: Incident) -> StatusPage | None:
    """The status page that shows the incident's site, when the client's plan includes one."""
    site = incident.monitor.site
    if not site.client.plan.status_page:
        return None
    component = (
        StatusComponent.objects.filter(site=site, page__client_id=site.client_id)
        .select_related("page")
        .first()
    )
    return component.page if component is not None else None


def active_subscriptions(page: StatusPage) -> QuerySet[Subscription]:
    return Subscription.objects.filter(page=page, confirmed_at__isnull=False, unsubscribed_at__isnull=True)


def _enqueue(incident: Incident, kind: str, *, update: IncidentUpdate | None, event: str) -> int:
    page = page_showing(incident)
    if page is None:
        return 0
    rows = [
        _row(page, subscription, kind, f"{kind}:{event}:subscription:{subscription.pk}")
        for subscription in active_subscriptions(page).order_by("pk")
    ]
    for row in rows:
        row.incident = incident
        row.incident_update = update
    of_this_event = OutboxMessage.objects.filter(kind=kind, incident=incident, incident_update=update)
    before = of_this_event.count()
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    return of_this_event.count() - before


def _row(page: StatusPage, subscription: Subscription, kind: str, key: str) -> OutboxMessage:
    """A subscriber's mail: in the page's language, to the subscription's address."""
    return OutboxMessage(
        agency_id=page.agency_id,
        subscription=subscription,
        kind=kind,
        channel=OutboxMessage.Channel.EMAIL,
        # Subscribers are members of the public: the plain, client-side wording, never the agency's.
        audience=OutboxMessage.Audience.CLIENT,
        recipient=subscription.email,
        language=page.language,
        idempotency_key=key,
        message_id=new_message_id(page.agency),
    )
