"""What an outbox row says: subject, plain text and branded HTML, in the recipient's language.

Rendered when the row is delivered, not when it is enqueued: the checker's transaction stays
short, and the mail reflects the incident as it is when it leaves (the response due time, an
acknowledgement made meanwhile). Times are shown in the agency's time zone.

The agency's people get the technical detail (plan, checks, acknowledgement link); a client's
contacts get a plain notice about their site.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from veilleur.incidents.models import Incident
from veilleur.notifications.addresses import from_header
from veilleur.notifications.models import OutboxMessage
from veilleur.notifications.response_due import incident_response_due
from veilleur.notifications.tokens import ACK_TOKEN_MAX_AGE, ack_url
from veilleur.notifications.wording import (
    describe_cause,
    describe_error_class,
    format_duration,
    format_instant,
    format_time_of_day,
)

Kind = OutboxMessage.Kind
HTML_TEMPLATE = "notifications/email/message.html"


class CannotRender(Exception):
    """The row cannot become a message (its incident is gone, or its kind has no wording)."""


@dataclass(frozen=True)
class Action:
    label: str
    url: str
    note: str


@dataclass
class Body:
    heading: str
    intro: str
    facts: list[tuple[str, str]]
    footer: str
    action: Action | None = None
    checks_title: str = ""
    check_columns: list[str] = field(default_factory=list)
    checks: list[list[str]] = field(default_factory=list)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()


def render_message(row: OutboxMessage) -> RenderedMessage:
    if row.kind == Kind.MONTHLY_REPORT:
        # Imported here: the report's wording lives with the reports, which import this module.
        from veilleur.reports.mail import render_report_message

        return render_report_message(row)
    incident = row.incident
    if incident is None:
        raise CannotRender("the incident of this notice no longer exists")
    compose = COMPOSERS.get(row.kind)
    if compose is None:
        raise CannotRender(f"no wording for notices of kind {row.kind!r}")
    agency = row.agency
    with translation.override(row.language), timezone.override(ZoneInfo(agency.time_zone)):
        subject, body = compose(row, incident)
        html = render_html_body(agency, body, subject, row.language)
        return RenderedMessage(subject=subject, text=plain_text(body), html=html)


def render_html_body(branding: object, body: Body, subject: str, language: str) -> str:
    """The branded HTML of a message; ``branding`` has the agency's name, logo and colours."""
    return render_to_string(
        HTML_TEMPLATE, {"agency": branding, "body": body, "subject": subject, "language": language}
    )


def build_email(row: OutboxMessage, rendered: RenderedMessage) -> EmailMultiAlternatives:
    """The multipart message (text, then HTML, then any attachment) with the row's fixed
    Message-ID."""
    email = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=from_header(row.agency),
        to=[row.recipient],
        headers={
            "Message-ID": row.message_id,
            # RFC 3834: an automatic message; out-of-office replies should not answer it.
            "Auto-Submitted": "auto-generated",
        },
    )
    email.attach_alternative(rendered.html, "text/html")
    for attachment in rendered.attachments:
        email.attach(attachment.filename, attachment.content, attachment.mimetype)
    return email


# --- the notices -------------------------------------------------------------------------


def _incident_confirmed(row: OutboxMessage, incident: Incident) -> tuple[str, Body]:
    names = _names(incident)
    slow = incident.kind == Incident.Kind.DEGRADED
    heading = (_("%(site)s is slow") if slow else _("%(site)s is down")) % names
    since = (_("Down since"), format_instant(incident.first_failed_at))
    if row.audience == OutboxMessage.Audience.CLIENT:
        body = Body(
            heading=heading,
            intro=_("We detected a problem with your site. Our team has been alerted and is working on it."),
            facts=[_site_fact(incident), (_("Cause"), describe_error_class(incident.cause_error_class))],
            footer=_client_footer(incident),
        )
        body.facts.append(since)
        return heading, body
    slow_subject = _("[%(agency)s] Slow: %(site)s (%(client)s)")
    subject = (slow_subject if slow else _("[%(agency)s] Down: %(site)s (%(client)s)")) % names
    facts = [*_where(incident), _cause_fact(incident), since]
    facts.append((_("Confirmed at"), format_instant(incident.confirmed_at)))
    facts.extend(_response_due_fact(incident))
    body = Body(
        heading=heading,
        intro=_("An outage was confirmed by repeated checks. Acknowledge it to record your response time."),
        facts=facts,
        footer=_agency_footer(incident),
        action=_ack_action(row, incident),
        **_checks(_("Checks that confirmed the outage"), incident.proof),
    )
    return subject, body


def _incident_recovered(row: OutboxMessage, incident: Incident) -> tuple[str, Body]:
    names = _names(incident)
    recovered_at = incident.recovered_at or incident.confirmed_at
    downtime = format_duration((recovered_at - incident.first_failed_at).total_seconds())
    heading = _("%(site)s is back up") % names
    span = [
        (_("Down since"), format_instant(incident.first_failed_at)),
        (_("Back up at"), format_instant(recovered_at)),
        (_("Downtime"), downtime),
    ]
    if row.audience == OutboxMessage.Audience.CLIENT:
        body = Body(
            heading=heading,
            intro=_("Your site is available again."),
            facts=[_site_fact(incident), *span],
            footer=_client_footer(incident),
        )
        return heading, body
    subject = _("[%(agency)s] Back up: %(site)s (%(client)s) after %(downtime)s") % {
        **names,
        "downtime": downtime,
    }
    body = Body(
        heading=heading,
        intro=_("The outage is over: further checks confirmed the recovery."),
        facts=[*_where(incident), _cause_fact(incident), *span, _acknowledgement_fact(incident)],
        footer=_agency_footer(incident),
        **_checks(_("Checks that confirmed the recovery"), incident.recovery_proof),
    )
    return subject, body


def _sla_warning(row: OutboxMessage, incident: Incident) -> tuple[str, Body]:
    return _response_reminder(
        row,
        incident,
        _("[%(agency)s] Response due soon: %(site)s (%(client)s)"),
        _("The outage of %(site)s is not acknowledged yet and most of the response time has passed."),
    )


def _sla_breach(row: OutboxMessage, incident: Incident) -> tuple[str, Body]:
    return _response_reminder(
        row,
        incident,
        _("[%(agency)s] Response overdue: %(site)s (%(client)s)"),
        _("The outage of %(site)s was not acknowledged within the plan's response time."),
    )


def _response_reminder(
    row: OutboxMessage, incident: Incident, subject_pattern: str, heading_pattern: str
) -> tuple[str, Body]:
    names = _names(incident)
    facts = [*_where(incident), _cause_fact(incident)]
    facts.append((_("Down since"), format_instant(incident.first_failed_at)))
    facts.extend(_response_due_fact(incident))
    body = Body(
        heading=heading_pattern % names,
        intro=_("Acknowledge the incident to record your response."),
        facts=facts,
        footer=_agency_footer(incident),
        action=_ack_action(row, incident),
    )
    return subject_pattern % names, body


COMPOSERS: dict[str, Callable[[OutboxMessage, Incident], tuple[str, Body]]] = {
    Kind.INCIDENT_CONFIRMED: _incident_confirmed,
    Kind.INCIDENT_RECOVERED: _incident_recovered,
    Kind.SLA_WARNING: _sla_warning,
    Kind.SLA_BREACH: _sla_breach,
}


# --- the parts ---------------------------------------------------------------------------


def _names(incident: Incident) -> dict[str, str]:
    site = incident.monitor.site
    return {"agency": incident.agency.name, "site": site.name, "client": site.client.name}


def _where(incident: Incident) -> list[tuple[str, str]]:
    client = incident.monitor.site.client
    return [(_("Client"), client.name), (_("Plan"), client.plan.name), _site_fact(incident)]


def _site_fact(incident: Incident) -> tuple[str, str]:
    return (_("Site"), f"{incident.monitor.site.name} — {incident.monitor.url}")


def _cause_fact(incident: Incident) -> tuple[str, str]:
    cause = describe_cause(incident.cause_error_class, incident.cause_status_code, incident.cause_message)
    return (_("Cause"), cause)


def _response_due_fact(incident: Incident) -> list[tuple[str, str]]:
    due = incident_response_due(incident)
    return [(_("Respond by"), format_instant(due))] if due is not None else []


def _acknowledgement_fact(incident: Incident) -> tuple[str, str]:
    if incident.acknowledged_at is None:
        return (_("Acknowledged"), _("not acknowledged"))
    who = incident.acknowledged_by_label or _("someone")
    when = format_instant(incident.acknowledged_at)
    return (_("Acknowledged"), _("%(when)s by %(who)s") % {"when": when, "who": who})


def _ack_action(row: OutboxMessage, incident: Incident) -> Action | None:
    if incident.acknowledged_at is not None:
        return None  # already answered: the link would only say so
    return Action(
        label=_("Acknowledge the incident"),
        url=ack_url(incident, row),
        note=_("The link opens a page with a button. It works once and expires after %(days)d days.")
        % {"days": ACK_TOKEN_MAX_AGE.days},
    )


def _checks(title: str, proof: list[dict[str, Any]]) -> dict[str, Any]:
    """The checks table's fields of a Body: one row per check of the proof."""
    rows = [_check_row(entry) for entry in proof]
    if not rows:
        return {}
    columns = [_("Time"), _("Result"), _("HTTP status"), _("Response time"), _("Details")]
    return {"checks_title": title, "check_columns": columns, "checks": rows}


def _check_row(entry: dict[str, Any]) -> list[str]:
    at = parse_datetime(str(entry.get("at", "")))
    status = entry.get("status_code")
    total_ms = entry.get("total_ms")
    ok = bool(entry.get("ok"))
    details = str(entry.get("message") or "")
    if not details and not ok:
        details = describe_error_class(str(entry.get("error_class")))
    return [
        format_time_of_day(at) if at else "—",
        _("OK") if ok else _("Failed"),
        str(status) if status is not None else "—",
        f"{total_ms} ms" if total_ms is not None else "—",
        details or "—",
    ]


def _agency_footer(incident: Incident) -> str:
    return _("Sent by Veilleur, the site monitoring of %(agency)s.") % {"agency": incident.agency.name}


def _client_footer(incident: Incident) -> str:
    return _("%(agency)s monitors this site for you.") % {"agency": incident.agency.name}


def plain_text(body: Body) -> str:
    lines = [body.heading, "=" * len(body.heading), "", body.intro, ""]
    lines.extend(_("%(label)s: %(value)s") % {"label": label, "value": value} for label, value in body.facts)
    if body.action:
        lines.extend(["", f"{body.action.label}:", body.action.url, body.action.note])
    if body.checks:
        lines.extend(["", body.checks_title, " | ".join(body.check_columns)])
        lines.extend(" | ".join(row) for row in body.checks)
    lines.extend(["", "-- ", body.footer, ""])
    return "\n".join(lines)
