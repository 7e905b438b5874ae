"""The reports page: the archive per client and period (drafts to review, drafts sent
automatically later, published reports), the review page of a report (preview, PDF, the agency's
text, hidden sections, publish), generate again, send again, and "generate every client's report
of a month".

Everything goes through the reports app (``generate_report``, ``save_editorial``,
``publish_report``, ``enqueue_report``): the page never builds a report or a mail of its own.
Sending only queues outbox rows, which the worker delivers; a send's rows carry the key of the
form that asked for it, so a double click (or a form sent twice) queues each mail once.
"""

from __future__ import annotations

import re
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from veilleur.accounts.models import Agency
from veilleur.clients.models import Client
from veilleur.dashboard.access import agency_object, manager_view, staff_agency, staff_user, staff_view
from veilleur.notifications.models import OutboxMessage
from veilleur.reports import formatting
from veilleur.reports.builders import ReportNotAvailable
from veilleur.reports.mail import attachment_name
from veilleur.reports.models import Report
from veilleur.reports.sending import (
    MAIL_KINDS,
    ReportPublished,
    enqueue_report,
    generate_report,
)

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
SEND_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# One "generate all" request stops starting new reports after this long (a PDF takes a moment);
# the page then asks for the next batch, so no request lasts minutes.
BATCH_BUDGET_SECONDS = 4.0
MONTHS_OFFERED = 12
# The newest reports shown at once; a client or a month narrows the list to what is wanted.
LIST_LIMIT = 200
# The stored report is a whole document of its own: shown as it is, it may draw and nothing else.
PREVIEW_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"


def parse_month(value: str | None) -> date | None:
    """ "2026-10" → 1 October 2026; anything else → None."""
    found = MONTH.match(value or "")
    return date(int(found[1]), int(found[2]), 1) if found else None


def recent_months(agency: Agency, now: datetime) -> list[date]:
    """The current month in the agency's zone and the eleven before it, newest first."""
    local = now.astimezone(ZoneInfo(agency.time_zone)).date()
    months, year, month = [], local.year, local.month
    for _step in range(MONTHS_OFFERED):
        months.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months


@dataclass(frozen=True)
class Delivery:
    recipient: str
    state: str
    state_label: str
    queued_at: datetime
    sent_at: datetime | None


def deliveries_by_report(reports: list[Report]) -> dict[int, list[Delivery]]:
    """What the outbox holds for each report: who it went to, and when (one query)."""
    found: dict[int, list[Delivery]] = defaultdict(list)
    rows = OutboxMessage.objects.filter(report__in=reports, kind__in=set(MAIL_KINDS.values())).order_by(
        "created_at", "id"
    )
    for row in rows:
        assert row.report_id is not None
        found[row.report_id].append(
            Delivery(row.recipient, row.state, _delivery_state(row.state), row.created_at, row.sent_at)
        )
    return found


def _delivery_state(state: str) -> str:
    labels: dict[str, str] = {
        OutboxMessage.State.PENDING: _("waiting to be sent"),
        OutboxMessage.State.SENDING: _("being sent"),
        OutboxMessage.State.SENT: _("sent"),
        OutboxMessage.State.FAILED: _("failed"),
    }
    return labels.get(state, state)


def reports_of(
    agency: Agency, client_id: str | None, month: date | None, state: str = ""
) -> QuerySet[Report]:
    reports = Report.objects.filter(agency=agency).select_related("client").defer("html", "pdf")
    if client_id:
        reports = reports.filter(client_id=int(client_id)) if client_id.isdigit() else reports.none()
    if month is not None:
        reports = reports.filter(period_start=month)
    if state in Report.State.values:
        reports = reports.filter(state=state)
    return reports.order_by("-period_start", "client__name", "kind", "id")


def state_label(report: Report, zone: ZoneInfo) -> str:
    """Where the report stands, in words: to review, sent automatically later, or published."""
    if not report.is_draft:
        return _("Published")
    if report.send_after is not None:
        return _("Draft, sent automatically on %(when)s") % {
            "when": formatting.local_datetime(report.send_after, zone)
        }
    return _("Draft, to review")


@require_GET
@staff_view
def report_list(request: HttpRequest) -> HttpResponse:
    agency = staff_agency(request)
    client_id = request.GET.get("client", "")
    month = parse_month(request.GET.get("month"))
    state = request.GET.get("state", "")
    reports = list(reports_of(agency, client_id, month, state)[: LIST_LIMIT + 1])
    truncated = len(reports) > LIST_LIMIT
    reports = reports[:LIST_LIMIT]
    deliveries = deliveries_by_report(reports)
    now = timezone.now()
    zone = ZoneInfo(agency.time_zone)
    context = {
        "agency": agency,
        "rows": [(report, state_label(report, zone), deliveries.get(report.pk, [])) for report in reports],
        "states": [(Report.State.DRAFT, _("Drafts")), (Report.State.PUBLISHED, _("Published"))],
        "chosen_state": state if state in Report.State.values else "",
        "clients": Client.objects.filter(agency=agency).order_by("name").only("id", "name"),
        "months": recent_months(agency, now),
        "chosen_client": client_id,
        "chosen_month": f"{month:%Y-%m}" if month else "",
        "manages": staff_user(request).manages_agency,
        "truncated": truncated,
        "list_limit": LIST_LIMIT,
        # A fresh key per page shown: the send buttons of this page queue each mail once.
        "send_key": secrets.token_urlsafe(12),
        "zone": zone,
    }
    return render(request, "dashboard/agency/reports.html", context)


@require_GET
@staff_view
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    """The report exactly as the client reads it (its archived HTML)."""
    report = agency_object(Report.objects.only("html", "agency_id"), staff_agency(request), pk=report_id)
    response = HttpResponse(report.html)
    response["Content-Security-Policy"] = PREVIEW_POLICY
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


@require_GET
@staff_view
def report_pdf(request: HttpRequest, report_id: int) -> HttpResponse:
    report = agency_object(Report.objects.select_related("client"), staff_agency(request), pk=report_id)
    response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
    with translation.override(report.language):
        filename = attachment_name(report)
    inline = request.GET.get("view") == "1"
    response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    return response


@require_POST
@manager_view
def report_regenerate(request: HttpRequest, report_id: int) -> HttpResponse:
    """Build a draft again from today's data, with the agency's text kept; a published report is
    what the client received and is not generated again."""
    report = agency_object(Report.objects.select_related("client"), staff_agency(request), pk=report_id)
    names = _names(report)
    before = report.uptime_percent
    try:
        again = generate_report(report.client, report.kind, report.period_start, timezone.now())
    except (ReportPublished, ReportNotAvailable) as refusal:
        messages.error(request, str(refusal))
        return _back(request, report)
    if again.uptime_percent != before:
        names["before"], names["after"] = formatting.percent(before), formatting.percent(again.uptime_percent)
        messages.success(
            request,
            _(
                "The report of %(client)s for %(period)s was generated again, your text kept. "
                "Uptime changed from %(before)s to %(after)s."
            )
            % names,
        )
    else:
        messages.success(
            request,
            _(
                "The report of %(client)s for %(period)s was generated again, your text kept; "
                "its uptime is unchanged."
            )
            % names,
        )
    return _back(request, report)


@require_POST
@manager_view
def report_send(request: HttpRequest, report_id: int) -> HttpResponse:
    report = agency_object(Report.objects.select_related("client"), staff_agency(request), pk=report_id)
    send_key = request.POST.get("send_key", "")
    if not SEND_KEY.match(send_key):
        raise Http404  # not a form of this page
    names = _names(report)
    if report.is_draft:
        messages.error(request, _("This report is a draft: publish it to send it."))
        return _back(request, report)
    queued = send_report(report, send_key, timezone.now())
    if queued:
        messages.success(
            request,
            ngettext(
                "The report of %(client)s for %(period)s is on its way to %(count)s contact.",
                "The report of %(client)s for %(period)s is on its way to %(count)s contacts.",
                queued,
            )
            % {**names, "count": queued},
        )
    elif not report.client.contacts.filter(receives_reports=True).exists() or report.client.demo:
        messages.error(request, _("No contact of %(client)s receives reports: nothing was sent.") % names)
    else:
        messages.info(request, _("This report was already queued by this page: it is sent once."))
    return _back(request, report)


def send_report(report: Report, send_key: str, now: datetime) -> int:
    """Queue a published report again for the client's report contacts; the number of mails
    queued. The same ``send_key`` queues nothing more."""
    with transaction.atomic():
        Report.objects.filter(pk=report.pk, sent_at__isnull=True).update(sent_at=now)
        return enqueue_report(report, report.client, suffix=f":dashboard:{send_key}")


def _names(report: Report) -> dict[str, object]:
    return {"client": report.client.name, "period": formatting.period_name(report.kind, report.period_start)}


def _back(request: HttpRequest, report: Report) -> HttpResponse:
    """Back to the review page when the form came from it, else to the list."""
    if request.POST.get("from") == "review":
        return redirect("report-review", report.pk)
    return _back_to_list(request)


def _back_to_list(request: HttpRequest) -> HttpResponse:
    target = reverse("report-list")
    query = {name: request.POST.get(name, "") for name in ("client", "month")}
    filters = "&".join(f"{name}={value}" for name, value in query.items() if value and _safe(name, value))
    return redirect(f"{target}?{filters}" if filters else target)


def _safe(name: str, value: str) -> bool:
    return value.isdigit() if name == "client" else parse_month(value) is not None


# Generate every client's report of a month, a small batch per request --------------------------


def clients_due(agency: Agency, month: date, since: datetime) -> QuerySet[Client]:
    """The clients whose plan includes the monthly report, who existed during ``month``, and
    whose report of that month was not generated since ``since`` (the click on "generate")."""
    after = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    fresh = Report.objects.filter(kind=Report.Kind.MONTHLY, period_start=month).filter(
        Q(generated_at__gte=since) | Q(state=Report.State.PUBLISHED)  # a published report stays as sent
    )
    return (
        Client.objects.filter(agency=agency, plan__monthly_report=True, created_at__date__lt=after)
        .exclude(pk__in=fresh.values("client_id"))
        .select_related("agency", "plan")
        .order_by("name", "id")
    )


@require_POST
@manager_view
def report_generate(request: HttpRequest) -> HttpResponse:
    agency = staff_agency(request)
    now = timezone.now()
    month = parse_month(request.POST.get("month"))
    if month is None or month not in recent_months(agency, now):
        messages.error(request, _("Choose a month among those offered."))
        return redirect("report-list")
    since = _parse_since(request.POST.get("since"), now)
    done = int(request.POST["done"]) if request.POST.get("done", "").isdigit() else 0
    started = time.monotonic()
    for client in clients_due(agency, month, since):
        try:
            generate_report(client, Report.Kind.MONTHLY, month, now)
        except ReportPublished:
            continue  # published by someone else meanwhile: it stays as it was sent
        done += 1
        if time.monotonic() - started > BATCH_BUDGET_SECONDS:
            break
    remaining = clients_due(agency, month, since).count()
    context = {
        "agency": agency,
        "month": month,
        "since": since.isoformat(),
        "done": done,
        "remaining": remaining,
        "list_url": f"{reverse('report-list')}?month={month:%Y-%m}",
    }
    template = (
        "dashboard/agency/generate_progress.html"
        if getattr(request, "htmx", False)
        else "dashboard/agency/generate.html"
    )
    return render(request, template, context)


def _parse_since(value: str | None, now: datetime) -> datetime:
    try:
        since = datetime.fromisoformat(value or "")
    except ValueError:
        return now
    if since.tzinfo is None or since > now:
        return now
    return since
