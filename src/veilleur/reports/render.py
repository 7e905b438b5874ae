"""The monthly report as an HTML document and as a PDF, in the client's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from veilleur.clients.logos import logo_data_uri
from veilleur.cms.facts import change_in_words
from veilleur.domain.accounting import IncidentKind
from veilleur.domain.contrast import WHITE, readable_text_colour
from veilleur.domain.deliverables import Deliverable, DeliverableLine
from veilleur.domain.sla import SlaOutcome
from veilleur.incidents.causes import cause_in_words
from veilleur.reports import charts, formatting
from veilleur.reports.data import IncidentRow, MonitorReport, MonthlyReport, SiteReport, TaskRow
from veilleur.reports.pdf import pdf_from_html

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
    cause: str


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
    software: list[tuple[date, str]] = field(default_factory=list)  # each change: its day, in words


def render_html(report: MonthlyReport, language: str | None = None) -> str:
    with translation.override(language or report.language):
        return render_to_string(TEMPLATE, _context(report))


def render_pdf(report: MonthlyReport, language: str | None = None) -> bytes:
    return pdf_from_html(render_html(report, language))


def _context(report: MonthlyReport) -> dict[str, Any]:
    target = report.plan.uptime_target_percent
    return {
        "report": report,
        # The stored copy of the logo ("" when none could be loaded: the cover shows the name).
        "logo_src": logo_data_uri(report.agency.logo_url),
        "zone": report.zone,
        # h2 headings and tile figures are text on the white page: the brand's hue, readable.
        "brand_text_colour": readable_text_colour(report.agency.primary_color, (WHITE,)),
        "language": translation.get_language(),
        "month_label": formatting.month_name(report.first_day),
        "period_label": period_label(report),
        "deliverables": [deliverable_sentence(line, report) for line in report.deliverables],
        "response_target": formatting.duration(timedelta(minutes=report.plan.response_target_minutes)),
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
                    p50_label=_("typical response"),
                    p95_label=_("19 in 20 under"),
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
        software=[
            (change.detected_at.astimezone(report.zone).date(), change_in_words(change, with_day=False))
            for change in site.software_changes
        ],
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
    return IncidentView(row, kind, outcome, css, cause_in_words(row.cause_error_class, row.cause_status_code))


def period_label(report: MonthlyReport) -> str:
    """ "October 2026"; while the month runs, "1–4 December 2026, report in progress"."""
    if not report.in_progress:
        return formatting.month_name(report.first_day)
    if report.last_day == report.first_day:
        return _("%(day)s, report in progress") % {"day": formatting.long_date(report.first_day)}
    return _("%(first)s–%(last)s, report in progress") % {
        "first": formatting.day_of_month(report.first_day),
        "last": formatting.long_date(report.last_day),
    }


def deliverable_sentence(line: DeliverableLine, report: MonthlyReport) -> str:
    """One line of "what your plan did", stating the fact that backs it."""
    count = formatting.number(line.count)
    if line.kind is Deliverable.CHECKS:
        return ngettext(
            "%(count)s check run on your sites.", "%(count)s checks run on your sites.", line.count
        ) % {"count": count}
    if line.kind is Deliverable.INCIDENTS:
        detected = ngettext("%(count)s incident detected", "%(count)s incidents detected", line.count) % {
            "count": count
        }
        recovered = ngettext("%(count)s resolved", "%(count)s resolved", line.other_count) % {
            "count": formatting.number(line.other_count)
        }
        return _("%(detected)s, %(recovered)s.") % {"detected": detected, "recovered": recovered}
    if line.kind is Deliverable.MAINTENANCE_TASKS:
        if line.count == 0:
            return _("No maintenance task was logged this month.")
        return ngettext(
            "%(count)s maintenance task logged.", "%(count)s maintenance tasks logged.", line.count
        ) % {"count": count}
    if line.kind is Deliverable.STATUS_PAGE:
        return _status_page_sentence(line, report)
    return ngettext(
        "%(count)s person of yours could see these figures in the client portal at any time.",
        "%(count)s people of yours could see these figures in the client portal at any time.",
        line.count,
    ) % {"count": count}


def _status_page_sentence(line: DeliverableLine, report: MonthlyReport) -> str:
    if line.since is None:
        if line.public:
            return _("Your public status page showed the state of your sites all month.")
        return _("Your status page, protected by a password, showed the state of your sites all month.")
    since = formatting.long_date(line.since.astimezone(report.zone).date())
    if line.public:
        return _("Your public status page has shown the state of your sites since %(date)s.") % {
            "date": since
        }
    return _(
        "Your status page, protected by a password, has shown the state of your sites since %(date)s."
    ) % {"date": since}


def _category(value: str) -> str:
    return {
        "cms_core": _("CMS core update"),
        "plugin": _("Plugin update"),
        "backup": _("Backup"),
        "security": _("Security"),
        "performance": _("Performance"),
    }.get(value, _("Other"))
