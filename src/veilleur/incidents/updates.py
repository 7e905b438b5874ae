"""Posting a public update on an incident: what the client's status page and subscribers read.

The first update of an incident records ``first_client_update_at`` by one compare-and-set, so
two people posting at once cannot both be "first"; the update, the timestamp, the page's cache
version and the subscribers' notices are written in one transaction.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from veilleur.domain.validators import check_text
from veilleur.incidents.models import Incident, IncidentUpdate
from veilleur.notifications.subscribers import enqueue_update_subscriber_notices
from veilleur.validators import refusal

MAX_MESSAGE_LENGTH = 5000


def post_update(
    incident: Incident, status: str, message: str, *, by_label: str = "", at: datetime | None = None
) -> IncidentUpdate:
    """Add a public update; raises ValidationError naming the field on a bad status or message."""
    message = message.strip()
    errors: dict[str, str | ValidationError] = {}
    if status not in IncidentUpdate.Status.values:
        errors["status"] = ValidationError(
            gettext_lazy("unknown status %(status)r (expected one of: %(statuses)s)"),
            params={"status": status, "statuses": ", ".join(IncidentUpdate.Status.values)},
        )
    if not message:
        errors["message"] = ValidationError(gettext_lazy("the message is empty"))
    elif len(message) > MAX_MESSAGE_LENGTH:
        errors["message"] = ValidationError(
            gettext_lazy("the message is longer than %(limit)d characters"),
            params={"limit": MAX_MESSAGE_LENGTH},
        )
    else:
        try:
            check_text(message)
        except ValueError as exc:
            errors["message"] = refusal(exc)
    if errors:
        raise ValidationError(errors)
    # An update cannot precede the incident it talks about, even with a skewed clock.
    when = max(at or timezone.now(), incident.confirmed_at)
    with transaction.atomic():
        update = IncidentUpdate.objects.create(
            incident=incident, status=status, message=message, posted_at=when, posted_by_label=by_label
        )
        Incident.objects.filter(pk=incident.pk, first_client_update_at__isnull=True).update(
            first_client_update_at=when
        )
        enqueue_update_subscriber_notices(update)
    incident.refresh_from_db(fields=["first_client_update_at"])
    return update
