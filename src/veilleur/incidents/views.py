"""Staff pages: the incident list (open first, with the time left to respond) and one incident's
timeline with its acknowledgement button."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from veilleur.accounts.models import StaffUser
from veilleur.incidents.ack import acknowledge
from veilleur.incidents.models import AckChannel, Incident
from veilleur.incidents.timeline import build_timeline, notification_entries
from veilleur.notifications.delivery_log import delivery_log
from veilleur.notifications.wording import describe_cause

LIST_LIMIT = 200


def _staff(request: HttpRequest) -> StaffUser:
    assert isinstance(request.user, StaffUser)
    return request.user


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    agency = _staff(request).agency
    incidents = (
        Incident.objects.filter(agency=agency)
        .select_related("monitor__site__client__plan")
        .order_by(F("resolved_at").desc(nulls_first=True), "-first_failed_at")[:LIST_LIMIT]
    )
    return render(
        request,
        "incidents/list.html",
        {"agency": agency, "incidents": incidents, "now": timezone.now(), "time_zone": agency.time_zone},
    )


@login_required
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    agency = _staff(request).agency
    incident = (
        Incident.objects.filter(agency=agency, pk=incident_id)
        .select_related("monitor__site__client__plan")
        .first()
    )
    if incident is None:
        raise Http404
    return render(
        request,
        "incidents/detail.html",
        {
            "agency": agency,
            "incident": incident,
            "timeline": build_timeline(incident, notification_entries(incident)),
            "deliveries": delivery_log(incident),
            "cause": describe_cause(
                incident.cause_error_class, incident.cause_status_code, incident.cause_message
            ),
            "now": timezone.now(),
            "time_zone": agency.time_zone,
        },
    )


@login_required
@require_POST
def incident_acknowledge(request: HttpRequest, incident_id: int) -> HttpResponse:
    user = _staff(request)
    try:
        outcome = acknowledge(incident_id, user.agency, AckChannel.STAFF_PAGE, user=user)
    except Incident.DoesNotExist as exc:
        raise Http404 from exc
    if outcome.acknowledged_now:
        messages.success(request, _("Incident acknowledged. The response time is recorded."))
    else:
        messages.info(
            request,
            _("This incident was already acknowledged by %(who)s.")
            % {"who": outcome.incident.acknowledged_by_label or _("someone")},
        )
    return redirect("incident-detail", incident_id=incident_id)
