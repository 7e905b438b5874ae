"""Staff pages: the incident queue (filters, the time left to respond, acknowledging several at
once) and one incident's page (timeline, acknowledgement, public updates, internal and
resolution notes). Every staff role may acknowledge, post updates and keep notes."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from veilleur.accounts.models import Agency
from veilleur.clients.models import Client
from veilleur.dashboard.access import staff_agency, staff_user, staff_view
from veilleur.domain.accounting import Period
from veilleur.domain.sla import SlaOutcome, sla_outcome
from veilleur.incidents.ack import acknowledge
from veilleur.incidents.causes import cause_in_words
from veilleur.incidents.models import AckChannel, Incident, IncidentNote, IncidentUpdate
from veilleur.incidents.notes import MAX_NOTE_LENGTH, add_note
from veilleur.incidents.sla import ResponseState, response_state
from veilleur.incidents.timeline import TimelineEntry, build_timeline, notification_entries
from veilleur.incidents.updates import MAX_MESSAGE_LENGTH, post_update
from veilleur.notifications.delivery_log import delivery_log
from veilleur.plans.models import Plan
from veilleur.statuspages.links import page_url
from veilleur.statuspages.models import StatusPage

PAGE_SIZE = 50
QUEUE_ORDER = (F("resolved_at").desc(nulls_first=True), "-first_failed_at", "-id")
OUTCOMES = {
    "met": {SlaOutcome.MET, SlaOutcome.MET_RECOVERED},
    "missed": {SlaOutcome.BREACHED},
    "pending": {SlaOutcome.PENDING},
}
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
ALL = ("", gettext_lazy("All"))


class QueueFilters(forms.Form):
    """The queue's filters, all optional and all in the address. A value that is not one of the
    choices is an error on its field, and that filter is left out."""

    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[ALL, ("open", gettext_lazy("Open")), ("resolved", gettext_lazy("Resolved"))],
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        required=False,
        choices=[
            ALL,
            (Incident.Kind.DOWN, gettext_lazy("Down")),
            (Incident.Kind.DEGRADED, gettext_lazy("Degraded performance")),
            (Incident.Kind.PARTIAL, gettext_lazy("Partial outage")),
        ],
    )
    client = forms.TypedChoiceField(
        label=gettext_lazy("Client"), required=False, coerce=int, empty_value=None
    )
    plan = forms.TypedChoiceField(label=gettext_lazy("Plan"), required=False, coerce=int, empty_value=None)
    month = forms.CharField(
        label=gettext_lazy("Month (YYYY-MM)"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"placeholder": "2026-11", "size": 8}),
    )
    outcome = forms.ChoiceField(
        label=gettext_lazy("Response"),
        required=False,
        choices=[
            ALL,
            ("met", gettext_lazy("met")),
            ("missed", gettext_lazy("missed")),
            ("pending", gettext_lazy("pending")),
        ],
    )

    def __init__(self, data: Any, agency: Agency) -> None:
        super().__init__(data)
        clients = Client.objects.filter(agency=agency).order_by("name").values_list("id", "name")
        cast(forms.ChoiceField, self.fields["client"]).choices = [ALL, *clients]
        plans = Plan.objects.filter(agency=agency).order_by("name").values_list("id", "name")
        cast(forms.ChoiceField, self.fields["plan"]).choices = [ALL, *plans]

    def clean_month(self) -> tuple[int, int] | None:
        month = self.cleaned_data["month"].strip()
        if not month:
            return None
        match = MONTH.match(month)
        if match is None:
            raise ValidationError(_("Write the month as YYYY-MM, for example 2026-11."))
        return int(match[1]), int(match[2])

    def value(self, name: str) -> Any:
        """The field's clean value, or None when it was left out or is not valid."""
        if not self.is_valid() and name in self.errors:
            return None
        return self.cleaned_data.get(name) or None


def _queue(agency: Agency, filters: QueueFilters, now: datetime) -> list[int]:
    """The ids of the incidents the filters keep, open first, then the latest first. The response
    outcome is decided by the one rule (``sla_outcome``) on the few columns it reads."""
    incidents = Incident.objects.filter(agency=agency)
    status = filters.value("status")
    if status == "open":
        incidents = incidents.filter(resolved_at__isnull=True)
    elif status == "resolved":
        incidents = incidents.filter(resolved_at__isnull=False)
    if filters.value("kind") is not None:
        incidents = incidents.filter(kind=filters.value("kind"))
    if filters.value("client") is not None:
        incidents = incidents.filter(monitor__site__client_id=filters.value("client"))
    if filters.value("plan") is not None:
        incidents = incidents.filter(monitor__site__client__plan_id=filters.value("plan"))
    if filters.value("month") is not None:
        year, month = filters.value("month")
        period = Period.month(year, month, ZoneInfo(agency.time_zone))
        incidents = incidents.filter(first_failed_at__gte=period.start, first_failed_at__lt=period.end)
    rows = incidents.order_by(*QUEUE_ORDER).values_list("id", "sla_due_at", "acknowledged_at", "recovered_at")
    wanted = OUTCOMES.get(filters.value("outcome") or "")
    if wanted is None:
        return [row[0] for row in rows]
    return [pk for pk, due, acked, recovered in rows if sla_outcome(due, acked, recovered, now) in wanted]


@staff_view
@require_GET
def incident_list(request: HttpRequest) -> HttpResponse:
    agency = staff_agency(request)
    now = timezone.now()
    filters = QueueFilters(request.GET, agency)
    page: Page[int] = Paginator(_queue(agency, filters, now), PAGE_SIZE).get_page(request.GET.get("page"))
    chosen = (
        Incident.objects.filter(pk__in=list(page.object_list))
        .select_related("monitor__site__client__plan")
        .order_by(*QUEUE_ORDER)
    )
    rows = list_rows(list(chosen), now)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "incidents/list.html",
        {
            "agency": agency,
            "filters": filters,
            "filtered": any(request.GET.get(name) for name in QueueFilters.base_fields),
            "page": page,
            "rows": rows,
            "pickable": any(incident.is_open and not incident.acknowledged_at for incident, _ in rows),
            "query": query.urlencode(),
            "back": [(name, request.GET.get(name, "")) for name in [*QueueFilters.base_fields, "page"]],
            "now": now,
            "time_zone": agency.time_zone,
        },
    )


def list_rows(incidents: list[Incident], now: datetime) -> list[tuple[Incident, ResponseState]]:
    """Each incident of the list with where its response stands at ``now``."""
    return [(incident, response_state(incident, now)) for incident in incidents]


@staff_view
@require_POST
def incident_bulk_acknowledge(request: HttpRequest) -> HttpResponse:
    """Acknowledge the incidents ticked in the queue, each through the one acknowledgement path
    (each keeps its own time, channel and who). Any id that is not one of the agency's incidents
    makes the whole request a 404, and nothing is acknowledged."""
    user = staff_user(request)
    back = reverse("incident-list") + _query_back(request)
    try:
        ids = sorted({int(value) for value in request.POST.getlist("incident")})
    except ValueError:
        raise Http404 from None
    if not ids:
        messages.info(request, _("Tick the incidents to acknowledge first."))
        return redirect(back)
    owned = set(Incident.objects.filter(agency=user.agency, pk__in=ids).values_list("pk", flat=True))
    if owned != set(ids):
        raise Http404
    with transaction.atomic():
        outcomes = [acknowledge(pk, user.agency, AckChannel.STAFF_PAGE, user=user) for pk in ids]
    done = sum(outcome.acknowledged_now for outcome in outcomes)
    if done:
        text = ngettext(
            "%(count)d incident acknowledged. Its response time is recorded.",
            "%(count)d incidents acknowledged. Each response time is recorded.",
            done,
        )
        messages.success(request, text % {"count": done})
    if len(outcomes) > done:
        text = ngettext(
            "%(count)d was already acknowledged: left as it was.",
            "%(count)d were already acknowledged: left as they were.",
            len(outcomes) - done,
        )
        messages.info(request, text % {"count": len(outcomes) - done})
    return redirect(back)


def _query_back(request: HttpRequest) -> str:
    """The address of the queue the form was sent from, rebuilt from its filter fields only."""
    kept = QueryDict(mutable=True)
    for name in [*QueueFilters.base_fields, "page"]:
        value = request.POST.get(f"back_{name}", "")
        if value:
            kept[name] = value
    return f"?{kept.urlencode()}" if kept else ""


# The public words for each status, as the client's page shows them.
UPDATE_STATUSES = [
    (IncidentUpdate.Status.INVESTIGATING, gettext_lazy("Investigating")),
    (IncidentUpdate.Status.IDENTIFIED, gettext_lazy("Identified")),
    (IncidentUpdate.Status.MONITORING, gettext_lazy("Monitoring")),
    (IncidentUpdate.Status.RESOLVED, gettext_lazy("Resolved")),
]
NOTE_KINDS = [
    (IncidentNote.Kind.INTERNAL, gettext_lazy("Internal note")),
    (IncidentNote.Kind.RESOLUTION, gettext_lazy("Resolution note (what fixed it)")),
]


class PublicUpdateForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=UPDATE_STATUSES)
    message = forms.CharField(
        label=gettext_lazy("Message"),
        max_length=MAX_MESSAGE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class NoteForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=NOTE_KINDS)
    text = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _incident_of(request: HttpRequest, incident_id: int) -> Incident:
    """One of the signed-in agency's incidents; another agency's is a 404, like a missing one."""
    incident = (
        Incident.objects.filter(agency=staff_agency(request), pk=incident_id)
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


def _note_entries(notes: list[IncidentNote]) -> list[TimelineEntry]:
    words = {
        IncidentNote.Kind.INTERNAL: _("Internal note by %(who)s: %(text)s"),
        IncidentNote.Kind.RESOLUTION: _("Resolution note by %(who)s: %(text)s"),
    }
    return [
        TimelineEntry(
            note.written_at,
            f"note_{note.kind}",
            words[IncidentNote.Kind(note.kind)]
            % {"who": note.written_by_label or _("someone"), "text": note.text},
        )
        for note in notes
    ]


def _render_detail(
    request: HttpRequest,
    incident: Incident,
    *,
    update_form: PublicUpdateForm | None = None,
    note_form: NoteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    agency = staff_agency(request)
    now = timezone.now()
    updates = list(IncidentUpdate.objects.filter(incident=incident))
    notes = list(IncidentNote.objects.filter(incident=incident))
    page = StatusPage.objects.filter(client_id=incident.monitor.site.client_id).first()
    timeline = build_timeline(
        incident, [*notification_entries(incident), *_update_entries(updates), *_note_entries(notes)]
    )
    resolutions = [note for note in notes if note.kind == IncidentNote.Kind.RESOLUTION]
    context: dict[str, Any] = {
        "agency": agency,
        "incident": incident,
        "timeline": timeline,
        "deliveries": delivery_log(incident),
        "cause": cause_in_words(
            incident.cause_error_class, incident.cause_status_code, incident.cause_message, detail=True
        ),
        "update_form": update_form
        or PublicUpdateForm(initial={"status": _suggested_status(incident, updates)}),
        "note_form": note_form
        or NoteForm(initial={"kind": IncidentNote.Kind.RESOLUTION if incident.recovered_at else ""}),
        "resolution": resolutions[-1] if resolutions else None,
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


@staff_view
@require_GET
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    return _render_detail(request, _incident_of(request, incident_id))


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@staff_view
@require_POST
def incident_post_update(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Every staff role may post: telling the client is part of handling an incident."""
    user = staff_user(request)
    incident = _incident_of(request, incident_id)
    form = PublicUpdateForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, incident, update_form=form, status=400)
    try:
        post_update(incident, form.cleaned_data["status"], form.cleaned_data["message"], by_label=user.email)
    except ValidationError as exc:
        _add_errors(form, exc)
        return _render_detail(request, incident, update_form=form, status=400)
    messages.success(request, _("Public update posted."))
    return redirect("incident-detail", incident_id=incident.pk)


@staff_view
@require_POST
def incident_post_note(request: HttpRequest, incident_id: int) -> HttpResponse:
    """An internal or resolution note: kept for the agency, shown on staff pages only."""
    user = staff_user(request)
    incident = _incident_of(request, incident_id)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, incident, note_form=form, status=400)
    try:
        add_note(incident, form.cleaned_data["kind"], form.cleaned_data["text"], by=user)
    except ValidationError as exc:
        _add_errors(form, exc)
        return _render_detail(request, incident, note_form=form, status=400)
    messages.success(request, _("Note kept. Only your agency's staff can read it."))
    return redirect(reverse("incident-detail", kwargs={"incident_id": incident.pk}) + "#notes")


@staff_view
@require_POST
def incident_acknowledge(request: HttpRequest, incident_id: int) -> HttpResponse:
    user = staff_user(request)
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
