"""The monthly report as an HTML document and as a PDF, in the client's language."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from veilleur.clients.logos import logo_data_uri
from veilleur.domain.accounting import IncidentKind
from veilleur.domain.sla import SlaOutcome
from veilleur.reports import charts, formatting
from veilleur.reports.data import IncidentRow, MonitorReport, MonthlyReport, SiteReport, TaskRow

TEMPLATE = "reports/monthly.html"


@dataclass(frozen=True)
class MonitorView:
    monitor: MonitorReport
    chart: SafeString


@dataclass(frozen=True)
class IncidentView:
    row: IncidentRow
    kind: str
    outcome: str
    outcome_class: str


@dataclass(frozen=True)
class TaskView:
    task: TaskRow
    category: str


@dataclass(frozen=True)
class SiteView:
    site: SiteReport
    strip: SafeString
    monitors: list[MonitorView]
    incidents: list[IncidentView]
    tasks: list[TaskView]
    meets_target: bool | None


def render_html(report: MonthlyReport, language: str | None = None) -> str:
    with translation.override(language or report.language):
        return render_to_string(TEMPLATE, _context(report))


def render_pdf(report: MonthlyReport, language: str | None = None) -> bytes:
    return pdf_from_html(render_html(report, language))


def pdf_from_html(html: str) -> bytes:
    """The PDF of a report already rendered as HTML."""
    import weasyprint

    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=stored_assets_only())
    pdf: bytes = document.write_pdf()
    return pdf


# The only scheme the PDF renderer may read: the report embeds its stored logo as a data: URI.
RENDERER_SCHEMES = ("data",)


def stored_assets_only() -> Any:
    """WeasyPrint's URL fetcher for reports: it serves the ``data:`` URIs the report was built
    with and refuses every other URL (http, https, file, ftp, …), so rendering a report never
    makes a request, whatever an agency typed; a refused resource is left out."""
    import weasyprint

    fetcher_class = getattr(weasyprint, "URLFetcher", None)
    if fetcher_class is not None:  # WeasyPrint 68 and later
        return fetcher_class(allowed_protocols=RENDERER_SCHEMES, allow_redirects=False)

    def fetch(url: str, *args: Any, **kwargs: Any) -> Any:
        if url.split(":", 1)[0].lower() not in RENDERER_SCHEMES:
            raise ValueError(f"the report renderer fetches nothing ({url[:80]})")
        return weasyprint.default_url_fetcher(url, *args, **kwargs)

    return fetch


def _context(report: MonthlyReport) -> dict[str, Any]:
    target = report.plan.uptime_target_percent
    return {
        "report": report,
        # The stored copy of the logo ("" when none could be loaded: the cover shows the name).
        "logo_src": logo_data_uri(report.agency.logo_url),
        "zone": report.zone,
        "language": translation.get_language(),
        "month_label": formatting.month_name(report.first_day),
        "sites": [_site_view(report, site) for site in report.sites],
        "tasks": [TaskView(task, _category(task.category)) for task in report.tasks],
        "general_tasks": [
            TaskView(task, _category(task.category)) for task in report.tasks if not task.site_name
        ],
        "has_guarantee": target is not None,
        "credit_steps": sorted(report.plan.credit_steps, key=lambda step: step.below_percent, reverse=True),
        "bands": [lowest for lowest, _colour in charts.COLOURS],
        "band_colours": [colour for _lowest, colour in charts.COLOURS],
        "no_data_colour": charts.NO_DATA,
        "hundred": Decimal(100),
        "latency_error": Decimal(6),
        "calendar_label": _("business hours") if report.plan.response_calendar == "business" else _("24/7"),
    }


def _site_view(report: MonthlyReport, site: SiteReport) -> SiteView:
    cells = [
        charts.StripCell(
            label=str(day.day.day),
            uptime_percent=day.uptime_percent,
            tooltip=_("%(day)s: %(uptime)s")
            % {
                "day": formatting.long_date(day.day),
                "uptime": formatting.percent(day.uptime_percent)
                if day.uptime_percent is not None
                else _("no data"),
            },
        )
        for day in site.days
    ]
    strip = charts.uptime_strip(cells, title=_("Daily uptime of %(site)s") % {"site": site.name})
    monitors = [
        MonitorView(
            monitor,
            mark_safe(  # the charts escape every text they draw
                charts.latency_chart(
                    [charts.LatencyPoint(str(d.day.day), d.p50_ms, d.p95_ms) for d in monitor.daily_latency],
                    title=_("Daily response time of %(url)s") % {"url": monitor.url},
                    y_label=_("milliseconds"),
                    p50_label=_("median"),
                    p95_label=_("95th percentile"),
                    no_data_label=_("No response time measured this month"),
                )
            ),
        )
        for monitor in site.monitors
    ]
    target = report.plan.uptime_target_percent
    uptime = site.combined.uptime_percent
    return SiteView(
        site=site,
        strip=mark_safe(strip),  # the charts escape every text they draw
        monitors=monitors,
        incidents=[_incident_view(row) for row in site.incidents],
        tasks=[TaskView(task, _category(task.category)) for task in site.tasks],
        meets_target=None if target is None or uptime is None else uptime >= target,
    )


def _incident_view(row: IncidentRow) -> IncidentView:
    kind = _("Down") if row.kind is IncidentKind.DOWN else _("Slow")
    labels = {
        SlaOutcome.NONE: (_("no commitment"), "muted"),
        SlaOutcome.PENDING: (_("pending"), "muted"),
        SlaOutcome.MET: (_("met"), "ok"),
        SlaOutcome.MET_RECOVERED: (_("met (recovered before the deadline)"), "ok"),
        SlaOutcome.BREACHED: (_("missed"), "bad"),
    }
    outcome, css = labels[row.sla_outcome]
    return IncidentView(row, kind, outcome, css)


def _category(value: str) -> str:
    return {
        "cms_core": _("CMS core update"),
        "plugin": _("Plugin update"),
        "backup": _("Backup"),
        "security": _("Security"),
        "performance": _("Performance"),
    }.get(value, _("Other"))
