"""The page behind the link in an alert: GET shows the incident and a button, only POST
acknowledges — mail scanners open links, and opening must never count as a response."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from veilleur.incidents.ack import acknowledge
from veilleur.incidents.models import AckChannel, Incident
from veilleur.notifications.models import OutboxMessage
from veilleur.notifications.tokens import AckTokenError, read_ack_token


@require_http_methods(["GET", "POST"])
def ack_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        incident_id, outbox_id = read_ack_token(token)
    except AckTokenError as exc:
        return render(request, "incidents/ack_link_invalid.html", {"reason": str(exc)}, status=404)
    row = OutboxMessage.objects.filter(pk=outbox_id, incident_id=incident_id).select_related("agency").first()
    incident = (
        Incident.objects.filter(pk=incident_id, agency=row.agency)
        .select_related("monitor__site__client__plan")
        .first()
        if row is not None
        else None
    )
    if row is None or incident is None:
        return render(request, "incidents/ack_link_invalid.html", {"reason": ""}, status=404)
    context = {
        "incident": incident,
        "agency": row.agency,
        "time_zone": row.agency.time_zone,
        "now": timezone.now(),
    }
    if request.method == "POST":
        outcome = acknowledge(incident.pk, row.agency, AckChannel.EMAIL_LINK, label=row.recipient)
        context.update(incident=outcome.incident, acknowledged_now=outcome.acknowledged_now, answered=True)
    return render(request, "incidents/ack_link.html", context)
