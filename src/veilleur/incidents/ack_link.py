"""The page behind the link in an alert: GET shows the incident and a button, only POST
acknowledges — mail scanners open links, and opening must never count as a response."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from veilleur.incidents.ack import acknowledge
from veilleur.incidents.causes import cause_in_words
from veilleur.incidents.models import AckChannel, Incident
from veilleur.incidents.sla import response_state
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
    now = timezone.now()
    context = {
        "incident": incident,
        "agency": row.agency,
        "time_zone": row.agency.time_zone,
        "now": now,
        "cause": cause_in_words(
            incident.cause_error_class, incident.cause_status_code, incident.cause_message, detail=True
        ),
    }
    if request.method == "POST":
        # Once the site has recovered this records who looked; the outcome stays as the recovery set it.
        outcome = acknowledge(incident.pk, row.agency, AckChannel.EMAIL_LINK, label=row.recipient)
        incident = outcome.incident
        context.update(incident=incident, acknowledged_now=outcome.acknowledged_now, answered=True)
    context["response"] = response_state(incident, now)
    return render(request, "incidents/ack_link.html", context)
