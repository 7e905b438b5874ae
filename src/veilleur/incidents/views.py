"""Staff pages: the incident list (open first, with the time left to respond) and one incident's
timeline with its acknowledgement button and the form that posts public updates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from veilleur.accounts.models import StaffUser
from veilleur.incidents.ack import acknowledge
from veilleur.incidents.causes import cause_in_words
from veilleur.incidents.models import AckChannel, Incident, IncidentUpdate
from veilleur.incidents.sla import ResponseState, response_state
from veilleur.incidents.timeline import TimelineEntry, build_timeline, notification_entries
from veilleur.incidents.updates import MAX_MESSAGE_LENGTH, post_update
from veilleur.notifications.delivery_log import delivery_log
from veilleur.statuspages.links import page_url
from veilleur.statuspages.models import StatusPage

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
    now = timezone.now()
    return render(
        request,
        "incidents/list.html",
        {
            "agency": agency,
            "rows": list_rows(list(incidents), now),
            "now": now,
            "time_zone": agency.time_zone,
        },
    )


def list_rows(incidents: list[Incident], now: datetime) -> list[tuple[Incident, ResponseState]]:
    """Each incident of the list with where its response stands at ``now``."""
    return [(incident, response_state(incident, now)) for incident in incidents]


# The public words for each status, as the client's page shows them.
UPDATE_STATUSES = [
    (IncidentUpdate.Status.INVESTIGATING, gettext_lazy("Investigating")),
    (IncidentUpdate.Status.IDENTIFIED, gettext_lazy("Identified")),
    (IncidentUpdate.Status.MONITORING, gettext_lazy("Monitoring")),
    (IncidentUpdate.Status.RESOLVED, gettext_lazy("Resolved")),
]


class PublicUpdateForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=UPDATE_STATUSES)
    message = forms.CharField(
        label=gettext_lazy("Message"),
        max_length=MAX_MESSAGE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


def _incident_of(request: HttpRequest, incident_id: int) -> Incident:
    """One of the signed-in agency's incidents; another agency's is a 404, like a missing one."""
    incident = (
        Incident.objects.filter(agency=_staff(request).agency, pk=incident_id)
        .select_related("monitor__site__client__plan")
        .first()
    )
    if incident is None:
        raise Http404
    return incident


def _update_entries(updates: list[IncidentUpdate]) -> list[TimelineEntry]:
    labels = {str(value): str(label) for value, label in UPDATE_STATUSES}
    return [
        TimelineEntry(
            update.posted_at,
            "public_update",
            _("Public update (%(status)s) by %(who)s: %(message)s")
            % {
                "status": labels.get(update.status, update.status),
                "who": update.posted_by_label or _("someone"),
                "message": update.message,
            },
        )
        for update in updates
    ]


def _render_detail(
    request: HttpRequest, incident: Incident, form: PublicUpdateForm | None = None, status: int = 200
) -> HttpResponse:
    agency = _staff(request).agency
    now = timezone.now()
    updates = list(IncidentUpdate.objects.filter(incident=incident))
    page = StatusPage.objects.filter(client_id=incident.monitor.site.client_id).first()
    context: dict[str, Any] = {
        "agency": agency,
        "incident": incident,
        "timeline": build_timeline(incident, [*notification_entries(incident), *_update_entries(updates)]),
        "deliveries": delivery_log(incident),
        "cause": cause_in_words(
            incident.cause_error_class, incident.cause_status_code, incident.cause_message, detail=True
        ),
        "update_form": form or PublicUpdateForm(initial={"status": _suggested_status(incident, updates)}),
        "status_page_url": page_url(page) if page is not None else None,
        "response": response_state(incident, now),
        "now": now,
        "time_zone": agency.time_zone,
    }
    return render(request, "incidents/detail.html", context, status=status)


def _suggested_status(incident: Incident, updates: list[IncidentUpdate]) -> str:
    """What the next update most likely says: resolved once the site is back, else the last status."""
    if incident.recovered_at is not None:
        return IncidentUpdate.Status.RESOLVED
    return updates[-1].status if updates else IncidentUpdate.Status.INVESTIGATING


@login_required
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    return _render_detail(request, _incident_of(request, incident_id))


@login_required
@require_POST
def incident_post_update(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Every staff role may post: telling the client is part of handling an incident."""
    user = _staff(request)
    incident = _incident_of(request, incident_id)
    form = PublicUpdateForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, incident, form, status=400)
    try:
        post_update(incident, form.cleaned_data["status"], form.cleaned_data["message"], by_label=user.email)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _render_detail(request, incident, form, status=400)
    messages.success(request, _("Public update posted."))
    return redirect("incident-detail", incident_id=incident.pk)


@login_required
@require_POST
def incident_acknowledge(request: HttpRequest, incident_id: int) -> HttpResponse:
    user = _staff(request)
    try:
        outcome = acknowledge(incident_id, user.agency, AckChannel.STAFF_PAGE, user=user)
    except Incident.DoesNotExist as exc:
        raise Http404 from exc
    if outcome.acknowledged_now and response_state(outcome.incident, timezone.now()).stopped_by_recovery:
        messages.success(request, _("Recorded that you looked at it. The response outcome stays as it was."))
    elif outcome.acknowledged_now:
        messages.success(request, _("Incident acknowledged. The response time is recorded."))
    else:
        messages.info(
            request,
            _("This incident was already acknowledged by %(who)s.")
            % {"who": outcome.incident.acknowledged_by_label or _("someone")},
        )
    return redirect("incident-detail", incident_id=incident_id)
