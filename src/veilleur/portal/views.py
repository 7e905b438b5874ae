"""The client's pages: overview, a site, reports, the plan, notifications. Every view goes through
``portal_view`` and reads the signed-in user's client only; any other id answers 404."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.views.decorators.http import require_GET, require_http_methods

from veilleur.accounts.models import BusinessCalendar
from veilleur.certificates.summary import client_certificates
from veilleur.clients.models import Contact, Site
from veilleur.cms.facts import change_in_words, software_facts
from veilleur.domains.facts import domain_facts
from veilleur.portal import data
from veilleur.portal.access import client_object, portal_user, portal_view
from veilleur.portal.forms import NOTICE_FIELDS, NotificationsForm
from veilleur.portal.mail import branding
from veilleur.reports.mail import attachment_name
from veilleur.reports.models import Report


def _page(request: HttpRequest, template: str, context: dict[str, Any], section: str) -> TemplateResponse:
    user = portal_user(request)
    client = user.client
    base = {
        "portal_user": user,
        "client": client,
        "agency": user.agency,
        "brand": branding(user),
        "zone": ZoneInfo(client.time_zone),
        "section": section,
    }
    return TemplateResponse(request, f"portal/{template}", {**base, **context})


@require_GET
@portal_view
def overview(request: HttpRequest) -> HttpResponse:
    client = portal_user(request).client
    page, month = data.overview(client, timezone.now())
    return _page(request, "overview.html", {"page": page, "month": month}, "overview")


@require_GET
@portal_view
def site_detail(request: HttpRequest, site_id: int) -> HttpResponse:
    user = portal_user(request)
    site = client_object(Site.objects.select_related("client__plan"), user, pk=site_id)
    now = timezone.now()
    page = data.components_data(user.client, data.site_components(user.client, [site]), now)
    # Software and domain: the days and dates in the client's zone.
    with timezone.override(ZoneInfo(site.client.time_zone)):
        software = software_facts(site)
        software_changes = [change_in_words(change) for change in software.changes]
        domain_sentence = domain_facts(site, now).client_sentence()
    context = {
        "software": software,
        "software_changes": software_changes,
        "domain_sentence": domain_sentence,
        "site": site,
        "component": page.components[0],
        "incidents": data.incident_history(site, now),
        "tasks": data.work_done(site),
        "chart": data.response_time_chart(site, now),
        "page": page,
        "certificates": client_certificates(site, ZoneInfo(site.client.time_zone), now),
    }
    return _page(request, "site.html", context, "overview")


@require_GET
@portal_view
def report_list(request: HttpRequest) -> HttpResponse:
    user = portal_user(request)
    reports = Report.objects.filter(client=user.client).defer("html", "pdf").order_by("-period_start", "kind")
    return _page(request, "reports.html", {"reports": reports}, "reports")


@require_GET
@portal_view
def report_html(request: HttpRequest, report_id: int) -> HttpResponse:
    report = client_object(Report.objects.defer("pdf"), portal_user(request), pk=report_id)
    return HttpResponse(report.html, content_type="text/html; charset=utf-8")


@require_GET
@portal_view
def report_pdf(request: HttpRequest, report_id: int) -> HttpResponse:
    report = client_object(
        Report.objects.defer("html").select_related("client"), portal_user(request), pk=report_id
    )
    response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{attachment_name(report)}"'
    return response


@require_GET
@portal_view
def plan(request: HttpRequest) -> HttpResponse:
    user = portal_user(request)
    calendar = BusinessCalendar.objects.filter(agency_id=user.agency_id).first()
    staff_contact = user.agency.staff.filter(is_active=True, role="owner").order_by("id").first()
    context = {
        "plan": user.client.plan,
        "calendar": calendar,
        "opening_hours": opening_hours(calendar),
        "credit_steps": user.client.plan.credit_steps(),
        "contact_email": user.agency.sender_email or (staff_contact.email if staff_contact else ""),
    }
    return _page(request, "plan.html", context, "plan")


DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def opening_hours(calendar: BusinessCalendar | None) -> list[tuple[str, str]]:
    """The agency's week in the reader's words: ("Monday", "09:00–12:30, 14:00–18:00")."""
    if calendar is None:
        return []
    return [
        (str(WEEKDAYS[index]), ", ".join(ranges).replace("-", "–"))
        for index, key in enumerate(DAY_KEYS)
        if (ranges := calendar.weekly_hours.get(key))
    ]


@require_http_methods(["GET", "POST"])
@portal_view
def notifications(request: HttpRequest) -> HttpResponse:
    user = portal_user(request)
    contacts = list(Contact.objects.filter(client=user.client).order_by("email"))
    form = NotificationsForm(request.POST or None, contacts=contacts)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            for contact in contacts:
                for field in NOTICE_FIELDS:
                    setattr(contact, field, form.cleaned_data[f"{field}_{contact.pk}"])
                contact.save(update_fields=list(NOTICE_FIELDS))
        return redirect(f"{request.path}?saved=1")
    context = {"form": form, "saved": request.GET.get("saved") == "1"}
    return _page(request, "notifications.html", context, "notifications")
