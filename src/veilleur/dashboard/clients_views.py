"""Clients and sites in the staff app: their pages, the forms that change them, the maintenance log.

Every object is found through ``agency_object``: another agency's id answers 404 on every
page and every POST, and nothing of it changes. Owners and admins change things
(``manager_view``); members read and keep the maintenance log. A change is saved all or nothing
(``transaction.atomic``); a refused value is shown at its field.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from veilleur.certificates.summary import site_certificates
from veilleur.checker.regions import decode
from veilleur.clients.models import Client, Contact, MaintenanceTask, MaintenanceWindow, Site
from veilleur.dashboard import clients_data as data
from veilleur.dashboard import site_performance
from veilleur.dashboard.access import agency_object, manager_view, staff_agency, staff_user, staff_view
from veilleur.dashboard.clients_forms import (
    ClientForm,
    ContactForm,
    MonitorForm,
    SiteForm,
    StatusPageForm,
    TaskForm,
    WindowForm,
)
from veilleur.dashboard.site_facts import site_facts_rows
from veilleur.monitoring.models import Monitor, MonitorRuntime
from veilleur.monitoring.regional import region_summaries
from veilleur.plans.models import Plan
from veilleur.portal.staff import client_users
from veilleur.reports.models import Report
from veilleur.statuspages.links import page_url
from veilleur.statuspages.models import StatusComponent, StatusPage

CLIENTS_PER_PAGE = 50


# --- pages ----------------------------------------------------------------------------------------


@staff_view
def client_list(request: HttpRequest) -> HttpResponse:
    agency = staff_agency(request)
    text = request.GET.get("q", "").strip()[:200]
    plans = list(Plan.objects.filter(agency=agency).order_by("check_interval_seconds", "pk"))
    plan = next((p for p in plans if str(p.pk) == request.GET.get("plan")), None)
    rows = data.client_rows(agency, text, plan.pk if plan else None)
    page = Paginator(rows, CLIENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboard/clients/list.html",
        {
            "agency": agency,
            "page": page,
            "text": text,
            "plans": plans,
            "plan": plan,
            "can_manage": _manages(request),
        },
    )


@staff_view
def client_detail(request: HttpRequest, client_id: int) -> HttpResponse:
    agency = staff_agency(request)
    client = agency_object(Client.objects.select_related("plan"), agency, pk=client_id)
    now = timezone.now()
    sites = list(Site.objects.filter(client=client).order_by("name", "pk"))
    monitors = Monitor.objects.filter(site__client=client)
    status_page = StatusPage.objects.filter(client=client).first()
    portal_users = client_users(client) if _manages(request) else []
    return render(
        request,
        "dashboard/clients/detail.html",
        {
            "agency": agency,
            "client": client,
            "plan": client.plan,
            "contacts": list(Contact.objects.filter(client=client).order_by("email")),
            "site_rows": data.site_rows(client, sites, now),
            "incidents": data.recent_incidents(monitors),
            "windows": data.windows_of(client),
            "tasks": data.recent_tasks(MaintenanceTask.objects.filter(client=client)),
            "facts_rows": site_facts_rows(client, sites, now, changes=1),
            "reports": list(
                Report.objects.filter(client=client)
                .only(
                    "pk",
                    "kind",
                    "period_start",
                    "language",
                    "uptime_percent",
                    "generated_at",
                    "sent_at",
                    "state",
                )
                .order_by("-period_start", "-pk")[:24]
            ),
            "status_page": status_page,
            "status_page_url": page_url(status_page) if status_page else "",
            "can_manage": _manages(request),
            # Who at the client signs in to the portal: invited, re-invited and revoked by managers,
            # shown where the plan includes the portal or someone was invited under an earlier plan.
            "portal_section": _manages(request) and (client.plan.client_portal or bool(portal_users)),
            "client_users": portal_users,
        },
    )


REGIONS_PERIOD = timedelta(hours=24)


def failing_regions(monitors: list[Monitor]) -> str:
    """The regions of the site's partial outages open now, for the per-region table."""
    runtimes = MonitorRuntime.objects.filter(pk__in=[m.pk for m in monitors])
    rows = runtimes.values_list("partial_regions", flat=True)
    return ", ".join(sorted({region for text in rows for region in decode(text)}))


@staff_view
def site_detail(request: HttpRequest, site_id: int) -> HttpResponse:
    agency = staff_agency(request)
    site = agency_object(Site.objects.select_related("client__plan"), agency, pk=site_id)
    client = site.client
    range_key = request.GET.get("range", data.DEFAULT_RANGE)
    if range_key not in data.CHART_RANGES:
        range_key = data.DEFAULT_RANGE
    now = timezone.now()
    (row,) = data.site_rows(client, [site], now)
    monitors = [monitor_row.monitor for monitor_row in row.monitors]
    windows = [
        window for window in data.windows_of(client) if not window.sites.all() or site in window.sites.all()
    ]
    return render(
        request,
        "dashboard/clients/site.html",
        {
            "agency": agency,
            "client": client,
            "site": site,
            "row": row,
            "chart": data.latency_svg(site, monitors, now, range_key),
            "range_key": range_key,
            "ranges": list(data.CHART_RANGES),
            "incidents": data.recent_incidents(Monitor.objects.filter(site=site)),
            "windows": windows,
            "tasks": data.recent_tasks(MaintenanceTask.objects.filter(site=site)),
            "facts_rows": site_facts_rows(client, [site], now, changes=10),
            "can_manage": _manages(request),
            "certificates": site_certificates(site, now),
            # Checkers in several regions: what each saw over the last day (none: nothing shown).
            "regions": region_summaries([m.pk for m in monitors], now - REGIONS_PERIOD, now),
            "failing_regions": failing_regions(monitors),
            # Performance monitoring (docs/performance.md): phase timings and lab page metrics.
            **_performance_context(site, monitors, now, range_key),
        },
    )


def _performance_context(
    site: Site, monitors: list[Monitor], now: datetime, range_key: str
) -> dict[str, object]:
    if not site.client.plan.performance_monitoring:
        return {"performance": False}
    return {
        "performance": True,
        "phases": site_performance.phase_section(site, monitors, now, range_key),
        "lab_runs": site_performance.recent_lab_runs(site, now.date()),
    }


@staff_view
def maintenance_log(request: HttpRequest) -> HttpResponse:
    """The log of work done, and its form: one task for one site or several at once."""
    agency = staff_agency(request)
    form = TaskForm(request.POST or None, agency=agency)
    if request.method == "POST" and form.is_valid():
        tasks = form.tasks()
        if tasks:
            with transaction.atomic():
                MaintenanceTask.objects.bulk_create(tasks)
            logged = ngettext(
                "Logged for %(count)d site: %(description)s",
                "Logged for %(count)d sites: %(description)s",
                len(tasks),
            )
            messages.success(request, logged % {"count": len(tasks), "description": tasks[0].description})
            return redirect("maintenance-log")
    site_choices: dict[Client, list[Any]] = {}
    for choice in form["sites"]:
        site = choice.data["value"].instance
        site_choices.setdefault(site.client, []).append(choice)
    return render(
        request,
        "dashboard/clients/maintenance.html",
        {
            "agency": agency,
            "form": form,
            "site_choices": site_choices,
            "tasks": data.recent_tasks(
                MaintenanceTask.objects.filter(agency=agency).select_related("client")
            ),
            "can_manage": _manages(request),
        },
        status=400 if request.method == "POST" else 200,
    )


# --- changes: clients, contacts, sites, monitors, windows, status pages ----------------------------


@manager_view
def client_create(request: HttpRequest) -> HttpResponse:
    agency = staff_agency(request)
    client = Client(agency=agency, language=agency.language, time_zone=agency.time_zone)
    return _edit(request, ClientForm, client, _("New client"), reverse("client-list"), agency=agency)


@manager_view
def client_edit(request: HttpRequest, client_id: int) -> HttpResponse:
    agency = staff_agency(request)
    client = agency_object(Client.objects.all(), agency, pk=client_id)
    back = reverse("client-detail", args=[client.pk])
    return _edit(request, ClientForm, client, _("Edit %(name)s") % {"name": client.name}, back, agency=agency)


@manager_view
def contact_create(request: HttpRequest, client_id: int) -> HttpResponse:
    client = agency_object(Client.objects.all(), staff_agency(request), pk=client_id)
    contact = Contact(client=client, agency_id=client.agency_id)
    return _edit(request, ContactForm, contact, _("New contact"), _client_url(client))


@manager_view
def contact_edit(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = agency_object(Contact.objects.select_related("client"), staff_agency(request), pk=contact_id)
    return _edit(request, ContactForm, contact, _("Edit contact"), _client_url(contact.client))


@manager_view
def site_create(request: HttpRequest, client_id: int) -> HttpResponse:
    client = agency_object(Client.objects.all(), staff_agency(request), pk=client_id)
    site = Site(client=client, agency_id=client.agency_id)
    return _edit(request, SiteForm, site, _("New site"), _client_url(client), after_save=_first_monitor)


@manager_view
def site_edit(request: HttpRequest, site_id: int) -> HttpResponse:
    site = agency_object(Site.objects.select_related("client"), staff_agency(request), pk=site_id)
    return _edit(request, SiteForm, site, _("Edit %(name)s") % {"name": site.name}, _site_url(site))


@manager_view
def monitor_create(request: HttpRequest, site_id: int) -> HttpResponse:
    site = agency_object(Site.objects.select_related("client__plan"), staff_agency(request), pk=site_id)
    monitor = Monitor(site=site, agency_id=site.agency_id, url=site.url)
    return _edit(request, MonitorForm, monitor, _("New monitor"), _site_url(site))


@manager_view
def monitor_edit(request: HttpRequest, monitor_id: int) -> HttpResponse:
    monitor = agency_object(
        Monitor.objects.select_related("site__client__plan"), staff_agency(request), pk=monitor_id
    )
    title = _("Edit monitor %(key)s") % {"key": monitor.key}
    return _edit(request, MonitorForm, monitor, title, _site_url(monitor.site))


@manager_view
def window_create(request: HttpRequest, client_id: int) -> HttpResponse:
    client = agency_object(Client.objects.all(), staff_agency(request), pk=client_id)
    window = MaintenanceWindow(client=client, agency_id=client.agency_id)
    title = _("New maintenance window")
    return _edit(request, WindowForm, window, title, _client_url(client), client=client)


@manager_view
def window_edit(request: HttpRequest, window_id: int) -> HttpResponse:
    window = agency_object(
        MaintenanceWindow.objects.select_related("client"), staff_agency(request), pk=window_id
    )
    title = _("Edit maintenance window")
    return _edit(request, WindowForm, window, title, _client_url(window.client), client=window.client)


@manager_view
def status_page_edit(request: HttpRequest, client_id: int) -> HttpResponse:
    """The client's status page settings; the first save creates the page, showing every site."""
    client = agency_object(Client.objects.select_related("plan"), staff_agency(request), pk=client_id)
    page = StatusPage.objects.filter(client=client).first()
    if page is None:
        if not client.plan.status_page:
            return render(
                request,
                "dashboard/clients/no_status_page.html",
                {"agency": client.agency, "client": client},
                status=404,
            )
        page = StatusPage(
            client=client,
            agency_id=client.agency_id,
            slug=client.key,
            title=client.name,
            language=client.language,
        )
    return _edit(
        request,
        StatusPageForm,
        page,
        _("Status page of %(name)s") % {"name": client.name},
        _client_url(client),
        after_save=_show_every_site,
    )


# --- deletions: a confirmation page (GET), then a POST -----------------------------------------------


def _delete_view(
    queryset: Callable[[], Any], describe: Callable[[Any], str], back: Callable[[Any], str]
) -> Callable[..., HttpResponse]:
    @manager_view
    def view(request: HttpRequest, object_id: int) -> HttpResponse:
        row = agency_object(queryset(), staff_agency(request), pk=object_id)
        if request.method == "POST":
            after = back(row)
            with transaction.atomic():
                row.delete()
            messages.success(request, _("Deleted: %(what)s") % {"what": describe(row)})
            return redirect(after)
        return render(
            request,
            "dashboard/clients/confirm_delete.html",
            {"agency": row.agency, "what": describe(row), "cancel_url": _page_of(row, back(row))},
        )

    return view


client_delete = _delete_view(lambda: Client.objects.all(), lambda c: c.name, lambda c: reverse("client-list"))
contact_delete = _delete_view(
    lambda: Contact.objects.select_related("client"), lambda c: c.email, lambda c: _client_url(c.client)
)
site_delete = _delete_view(
    lambda: Site.objects.select_related("client"), lambda s: s.name, lambda s: _client_url(s.client)
)
monitor_delete = _delete_view(
    lambda: Monitor.objects.select_related("site"),
    lambda m: f"{m.site.name} — {m.key}",
    lambda m: _site_url(m.site),
)
window_delete = _delete_view(
    lambda: MaintenanceWindow.objects.select_related("client"),
    lambda w: w.title,
    lambda w: _client_url(w.client),
)
task_delete = _delete_view(
    lambda: MaintenanceTask.objects.all(), lambda t: t.description[:80], lambda t: reverse("maintenance-log")
)


# --- helpers ------------------------------------------------------------------------------------------


def _edit(
    request: HttpRequest,
    form_class: type[forms.ModelForm],
    instance: Model,
    title: str,
    back: str,
    *,
    after_save: Callable[[Any], None] | None = None,
    **form_kwargs: Any,
) -> HttpResponse:
    """Show the form; on POST validate through the model and save all or nothing."""
    is_new = instance.pk is None
    form = form_class(request.POST or None, instance=instance, **form_kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                saved = form.save()
                if is_new and after_save is not None:
                    after_save(saved)
        except IntegrityError:
            # A row saved by someone else between the check and the save.
            form.add_error(None, _("Someone saved a conflicting change at the same moment; try again."))
        else:
            messages.success(request, _("Saved."))
            return redirect(_page_of(saved, back))
    agency = staff_agency(request)
    return render(
        request,
        "dashboard/clients/form.html",
        {"agency": agency, "form": form, "title": title, "back": back},
        status=400 if request.method == "POST" else 200,
    )


def _page_of(row: Model, fallback: str) -> str:
    """A client's or a site's own page; for anything else, the page it is shown on."""
    if isinstance(row, Client):
        return _client_url(row)
    if isinstance(row, Site):
        return _site_url(row)
    return fallback


def _first_monitor(site: Site) -> None:
    """A new site is checked at once: its home page, at the plan's interval."""
    monitor = Monitor(site=site, agency_id=site.agency_id, key="home", url=site.url)
    monitor.full_clean()
    monitor.save()


def _show_every_site(page: StatusPage) -> None:
    sites = Site.objects.filter(client_id=page.client_id).order_by("name", "pk")
    StatusComponent.objects.bulk_create(
        StatusComponent(page=page, site=site, agency_id=page.agency_id, position=index)
        for index, site in enumerate(sites)
    )


def _client_url(client: Client) -> str:
    return reverse("client-detail", args=[client.pk])


def _site_url(site: Site) -> str:
    return reverse("site-detail", args=[site.pk])


def _manages(request: HttpRequest) -> bool:
    return staff_user(request).manages_agency
