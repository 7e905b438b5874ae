"""Building a report's document, by kind: one small dispatch, so that each kind of report (the
monthly report, the quarterly review) plugs its own builder in and the mechanics around it
(drafts, review, publishing, sending) stay the same."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from veilleur.clients.models import Client
from veilleur.reports.data import monthly_report
from veilleur.reports.editorial import HIDEABLE_SECTIONS, EditorialText
from veilleur.reports.models import Report
from veilleur.reports.render import render_html


class ReportNotAvailable(Exception):
    """This kind of report cannot be built by this version."""


@dataclass(frozen=True)
class BuiltReport:
    html: str
    # The headline the e-mail quotes, kept so that sending never recomputes the report.
    uptime_percent: Decimal | None


# (client, first day of the period, now, language, the agency's text, draft?) → the document.
Builder = Callable[[Client, date, datetime, str, EditorialText, bool], BuiltReport]


def build_monthly(
    client: Client, first: date, now: datetime, language: str, editorial: EditorialText, draft: bool
) -> BuiltReport:
    report = monthly_report(client, first.year, first.month, now)
    html = render_html(report, language, editorial, draft=draft)
    return BuiltReport(html=html, uptime_percent=report.combined.uptime_percent)


def build_quarterly(
    client: Client, first: date, now: datetime, language: str, editorial: EditorialText, draft: bool
) -> BuiltReport:
    # Loaded when a review is built: its charts and rules are not needed by the monthly runs.
    from veilleur.reports.review_render import quarterly_document

    html, uptime_percent = quarterly_document(client, first, now, language, editorial, draft)
    return BuiltReport(html=html, uptime_percent=uptime_percent)


# The kinds this version builds.
BUILDERS: dict[str, Builder] = {
    Report.Kind.MONTHLY: build_monthly,
    Report.Kind.QUARTERLY: build_quarterly,
}

# Which plan flag makes each kind of report part of the client's plan.
PLAN_FLAGS: dict[str, str] = {
    Report.Kind.MONTHLY: "monthly_report",
    Report.Kind.QUARTERLY: "quarterly_review",
}


# The sections an agency may hide in each kind of report (the monthly has no trends,
# patterns or recommendations; the quarterly review has them all).
HIDEABLE_BY_KIND: dict[str, tuple[str, ...]] = {
    Report.Kind.MONTHLY: ("deliverables", "guarantee", "incidents", "maintenance", "performance"),
    Report.Kind.QUARTERLY: tuple(HIDEABLE_SECTIONS),
}


def builder_for(kind: str) -> Builder:
    builder = BUILDERS.get(kind)
    if builder is None:
        raise ReportNotAvailable(_("This kind of report is not available in this version of Veilleur."))
    return builder


def build_report(
    client: Client, kind: str, first: date, now: datetime, editorial: EditorialText, *, draft: bool
) -> BuiltReport:
    """The document of ``client``'s report of ``kind`` for the period starting ``first``, in the
    client's report language."""
    return builder_for(kind)(client, first, now, client.reports_language, editorial, draft)
