"""The staff overview (``/``): every client and site with its state, problems first.

The filters live in the address (a GET form), so a filtered view can be bookmarked and the
live refresh asks for the same rows: the page polls ``overview-rows`` with its own query string
(htmx), which answers the results region alone.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from veilleur.accounts.models import Agency
from veilleur.checker.outage_notices import open_outages
from veilleur.clients.models import Client
from veilleur.dashboard.access import staff_agency, staff_view
from veilleur.dashboard.overview import STATE_LABELS, SiteFilter, SiteRow, page_details, site_rows
from veilleur.domain.overview import PROBLEM_RANK, SiteState
from veilleur.monitoring.regional import several_regions_known
from veilleur.plans.models import Plan

PAGE_SIZE = 50
REFRESH_SECONDS = 15  # how often the page asks for fresh states

PROBLEMS = "problems"
SORTS = [
    ("problems", _("Problems first")),
    ("client", _("Client and site")),
    ("site", _("Site name")),
    ("plan", _("Plan")),
    ("last_check", _("Oldest check first")),
    ("certificate", _("Certificate expiring first")),
]


class OverviewFilters(forms.Form):
    """Every field optional; a value that is not one of the choices is an error on that field
    and the overview shows everything for it."""

    state = forms.ChoiceField(label=_("State"), required=False)
    plan = forms.TypedChoiceField(label=_("Plan"), required=False, coerce=int, empty_value=None)
    client = forms.TypedChoiceField(label=_("Client"), required=False, coerce=int, empty_value=None)
    q = forms.CharField(label=_("Search"), required=False, max_length=200, strip=True)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORTS)

    def __init__(self, data: Any, agency: Agency) -> None:
        super().__init__(data)
        everything = [("", _("All"))]
        states: list[tuple[str, Any]] = [(PROBLEMS, _("Any problem"))]
        # A partial outage needs checkers in several regions: offered only where there were some.
        shown = [
            (state, label)
            for state, label in STATE_LABELS.items()
            if state is not SiteState.PARTIAL or several_regions_known()
        ]
        cast(forms.ChoiceField, self.fields["state"]).choices = everything + states + shown
        plans = Plan.objects.filter(agency=agency).order_by("name").values_list("id", "name")
        cast(forms.ChoiceField, self.fields["plan"]).choices = everything + list(plans)
        clients = Client.objects.filter(agency=agency).order_by("name").values_list("id", "name")
        cast(forms.ChoiceField, self.fields["client"]).choices = everything + list(clients)

    def value(self, name: str) -> Any:
        """The field's clean value, or None when it was left out or is not valid."""
        if not self.is_valid() and name in self.errors:
            return None
        return self.cleaned_data.get(name) or None


def _sorted(rows: list[SiteRow], sort: str | None) -> list[SiteRow]:
    def names(row: SiteRow) -> tuple[str, str]:
        return (row.client_name.casefold(), row.site_name.casefold())

    if sort == "site":
        return sorted(rows, key=lambda row: (row.site_name.casefold(), row.client_name.casefold()))
    if sort == "client":
        return sorted(rows, key=names)
    if sort == "plan":
        return sorted(rows, key=lambda row: (row.plan_name.casefold(), *names(row)))
    if sort == "last_check":
        # Never checked first, then the oldest last check.
        return sorted(
            rows, key=lambda row: (row.last_checked_at is not None, row.last_checked_at or 0, *names(row))
        )
    if sort == "certificate":
        # Watched certificates by expiry, soonest first; then the others by name.
        def expiry(row: SiteRow) -> tuple[bool, float]:
            not_after = row.certificate.not_after if row.certificate else None
            return (not_after is None, not_after.timestamp() if not_after else 0.0)

        return sorted(rows, key=lambda row: (*expiry(row), *names(row)))
    return sorted(rows, key=lambda row: (PROBLEM_RANK[row.state], *names(row)))


def _kept(rows: list[SiteRow], state: str | None) -> list[SiteRow]:
    if state == PROBLEMS:
        return [
            row for row in rows if row.state not in (SiteState.UP, SiteState.PAUSED, SiteState.MAINTENANCE)
        ]
    if state:
        return [row for row in rows if row.state == state]
    return rows


def overview_context(request: HttpRequest) -> dict[str, Any]:
    agency = staff_agency(request)
    now = timezone.now()
    filters = OverviewFilters(request.GET, agency)
    chosen = SiteFilter(
        plan_id=filters.value("plan"), client_id=filters.value("client"), text=filters.value("q") or ""
    )
    every_row = site_rows(agency, now, chosen)
    counts = {state: 0 for state in SiteState}
    for row in every_row:
        counts[row.state] += 1
    rows = _sorted(_kept(every_row, filters.value("state")), filters.value("sort"))
    page: Page[SiteRow] = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    page_details(list(page.object_list), now)
    return {
        "agency": agency,
        "filters": filters,
        "page": page,
        "now": now,
        "time_zone": agency.time_zone,
        # A partial outage needs checkers in several regions: counted only when there is one.
        "state_counts": [
            (state, STATE_LABELS[state], counts[state])
            for state in SiteState
            if state is not SiteState.PARTIAL or counts[state]
        ],
        "state_labels": {state.value: label for state, label in STATE_LABELS.items()},
        "filtered": any(request.GET.get(name) for name in ("state", "plan", "client", "q")),
        "has_clients": bool(every_row) or Client.objects.filter(agency=agency).exists(),
        "query": _query_without_page(request),
        "refresh_seconds": REFRESH_SECONDS,
        # Our own checkers cut off from the Internet now: their sites show no data, not an outage.
        "cut_off_checkers": open_outages(),
    }


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@staff_view
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/overview.html", overview_context(request))


@staff_view
@require_GET
def overview_rows(request: HttpRequest) -> HttpResponse:
    """The results region alone, with the same query string as the page: what the page polls."""
    return render(request, "dashboard/overview_rows.html", overview_context(request))
