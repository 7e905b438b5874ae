"""The e-mail that carries a monthly report to a client's contact: a short note in the contact's
language, with the agency's branding, and the archived PDF attached."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from veilleur.notifications.models import OutboxMessage
from veilleur.notifications.rendering import (
    Attachment,
    Body,
    CannotRender,
    RenderedMessage,
    plain_text,
    render_html_body,
)
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
        month = formatting.month_name(report.period_start)
        names = {"agency": agency.name, "client": client.name, "month": month}
        subject = _("[%(agency)s] Monthly report of %(client)s: %(month)s") % names
        body = Body(
            heading=_("Your monthly report: %(month)s") % names,
            intro=_("Please find attached the monitoring report of your sites for %(month)s.") % names,
            facts=[
                (_("Client"), client.name),
                (_("Month"), month),
                (_("Uptime"), formatting.percent(report.uptime_percent)),
            ],
            footer=_("%(agency)s monitors your sites for you.") % names,
        )
        html = render_html_body(branding, body, subject, row.language)
        attachment = Attachment(attachment_name(report), bytes(report.pdf), "application/pdf")
        return RenderedMessage(subject=subject, text=plain_text(body), html=html, attachments=(attachment,))


def attachment_name(report: Report) -> str:
    """ "rapport-2026-10-maison-rousseau.pdf", "report-2026-10-maison-rousseau.pdf" (in the active
    language)."""
    return _("report-%(month)s-%(client)s.pdf") % {
        "month": f"{report.period_start:%Y-%m}",
        "client": report.client.key,
    }
