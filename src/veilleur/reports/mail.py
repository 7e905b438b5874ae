"""The e-mails of the reports: the one that carries a published report (monthly or quarterly) to a
client's contact, a short note in the report's language with the agency's branding and the PDF
attached; and the one that tells the agency's managers a draft is ready to review."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from veilleur.notifications.models import OutboxMessage
from veilleur.notifications.rendering import (
    Action,
    Attachment,
    Body,
    CannotRender,
    RenderedMessage,
    plain_text,
    render_html_body,
)
from veilleur.notifications.tokens import public_base_url
from veilleur.reports import formatting
from veilleur.reports.data import Branding
from veilleur.reports.models import Report


def render_report_message(row: OutboxMessage) -> RenderedMessage:
    report = row.report
    if report is None:
        raise CannotRender("the report of this message no longer exists")
    client = report.client
    agency = row.agency
    branding = Branding(
        name=agency.name,
        logo_url=client.logo_url or agency.logo_url,
        primary_color=client.primary_color or agency.primary_color,
        accent_color=client.accent_color or agency.accent_color,
    )
    with translation.override(row.language):
        period = formatting.period_name(report.kind, report.period_start)
        names = {"agency": agency.name, "client": client.name, "month": period, "quarter": period}
        if report.kind == Report.Kind.QUARTERLY:
            subject = _("[%(agency)s] Quarterly review of %(client)s: %(quarter)s") % names
            heading = _("Your quarterly review: %(quarter)s") % names
            intro = _("Please find attached the review of your sites for %(quarter)s.") % names
            period_label = _("Quarter")
        else:
            subject = _("[%(agency)s] Monthly report of %(client)s: %(month)s") % names
            heading = _("Your monthly report: %(month)s") % names
            intro = _("Please find attached the monitoring report of your sites for %(month)s.") % names
            period_label = _("Month")
        body = Body(
            heading=heading,
            intro=intro,
            facts=[
                (_("Client"), client.name),
                (period_label, period),
                (_("Uptime"), formatting.percent(report.uptime_percent)),
            ],
            footer=_("%(agency)s monitors your sites for you.") % names,
        )
        html = render_html_body(branding, body, subject, row.language)
        attachment = Attachment(attachment_name(report), bytes(report.pdf), "application/pdf")
        return RenderedMessage(subject=subject, text=plain_text(body), html=html, attachments=(attachment,))


def render_ready_message(row: OutboxMessage) -> RenderedMessage:
    """To an agency manager: a draft report is ready to review, and when it leaves by itself."""
    report = row.report
    if report is None:
        raise CannotRender("the report of this message no longer exists")
    agency = row.agency
    client = report.client
    url = public_base_url(agency) + reverse("report-review", args=[report.pk])
    with translation.override(row.language):
        period = formatting.period_name(report.kind, report.period_start)
        names = {"agency": agency.name, "client": client.name, "period": period}
        subject = _("[%(agency)s] The report of %(client)s for %(period)s is ready to review") % names
        if report.send_after is not None:
            when = formatting.local_datetime(report.send_after, ZoneInfo(agency.time_zone))
            leaves = _(
                "Unless you publish it or keep it back before then, the client receives it on %(when)s."
            ) % {"when": when}
        else:
            leaves = _("It waits for you: the client receives it when you publish it.")
        body = Body(
            heading=_("A report is ready to review"),
            intro=_("The report of %(client)s for %(period)s is ready to review.") % names + " " + leaves,
            facts=[(_("Client"), client.name), (_("Period"), period)],
            footer=_("Read it, add your introduction, closing note and next steps, then publish it."),
            action=Action(_("Review the report"), url, ""),
        )
        html = render_html_body(agency, body, subject, row.language)
        return RenderedMessage(subject=subject, text=plain_text(body), html=html)


def attachment_name(report: Report) -> str:
    """ "rapport-2026-10-maison-rousseau.pdf", "report-2026-10-maison-rousseau.pdf" (in the active
    language)."""
    if report.kind == Report.Kind.QUARTERLY:
        return _("review-%(quarter)s-%(client)s.pdf") % {
            "quarter": f"{report.period_start.year}-q{(report.period_start.month - 1) // 3 + 1}",
            "client": report.client.key,
        }
    return _("report-%(month)s-%(client)s.pdf") % {
        "month": f"{report.period_start:%Y-%m}",
        "client": report.client.key,
    }
