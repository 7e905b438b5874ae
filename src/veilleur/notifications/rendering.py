"""What an outbox row says: subject, plain text and branded HTML, in the recipient's language.

Rendered when the row is delivered, not when it is enqueued: the checker's transaction stays
short, and the mail reflects the incident as it is when it leaves (the response due time, an
acknowledgement made meanwhile). Times are shown in the agency's time zone.

The agency's people get the technical detail (plan, checks, acknowledgement link); a client's
contacts get a plain notice about their site; a status page's subscribers get what the page shows,
branded as the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import format_datetime, formataddr
from typing import Any
from zoneinfo import ZoneInfo

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from veilleur.domain.contrast import readable_text_colour, text_colour_on
from veilleur.domain.validators import one_line
from veilleur.incidents.causes import cause_in_words, error_class_in_words
from veilleur.incidents.models import Incident, IncidentUpdate
from veilleur.notifications.addresses import from_header, sender_address
from veilleur.notifications.models import OutboxMessage
from veilleur.notifications.response_due import incident_response_due
from veilleur.notifications.subscribers import SUBSCRIBER_KINDS
from veilleur.notifications.tokens import ACK_TOKEN_MAX_AGE, ack_url, public_base_url
from veilleur.notifications.wording import (
    format_instant,
    format_span,
    format_time_of_day,
)
from veilleur.statuspages.links import page_url
from veilleur.statuspages.models import StatusComponent, StatusPage, Subscription

Kind = OutboxMessage.Kind
# Certificate monitoring's notices (certificates/mail.py words them).
CERTIFICATE_KINDS = frozenset({Kind.CERTIFICATE_EXPIRY, Kind.CERTIFICATE_FINDING, Kind.CERTIFICATE_CHANGED})
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
    links: list[Action] = field(default_factory=list)  # further links, below the action
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
    headers: tuple[tuple[str, str], ...] = ()  # added to the standard ones (List-Unsubscribe…)
    sender_name: str = ""  # the From header's name; empty: the agency's


def render_message(row: OutboxMessage) -> RenderedMessage:
    if row.kind in (Kind.MONTHLY_REPORT, Kind.QUARTERLY_REVIEW):
        # Imported here: the report's wording lives with the reports, which import this module.
        from veilleur.reports.mail import render_report_message

        return render_report_message(row)
    if row.kind == Kind.REPORT_READY:
        from veilleur.reports.mail import render_ready_message

        return render_ready_message(row)
    if row.kind in SUBSCRIBER_KINDS:
        return render_subscriber_message(row)
    if row.kind == Kind.STAFF_INVITATION:
        from veilleur.dashboard.invitations import render_invitation

        return render_invitation(row)
    if row.kind in CERTIFICATE_KINDS:
        from veilleur.certificates.mail import render_certificate_message

        return render_certificate_message(row)
    if row.kind == Kind.DOMAIN_EXPIRY:
        from veilleur.domains.notices import render_domain_notice

        return render_domain_notice(row)
    if row.kind in (Kind.CHECKER_IMPAIRED, Kind.CHECKER_RECOVERED):
        from veilleur.checker.outage_notices import render_checker_notice

        return render_checker_notice(row)
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


@dataclass(frozen=True)
class MailColours:
    """The colours of a mail's text, from the brand's: its primary colour as text on the white
    card is darkened to WCAG AA (a pale yellow would not read); text drawn on the primary or the
    accent colour (the masthead, the button) is white or ink, whichever reads. The brand's own
    colours stay for what is not text (the masthead, the button, borders)."""

    brand_text: str
    on_primary: str
    on_accent: str


# What text of the brand colour sits on: the mail's white card.
MAIL_BACKGROUNDS = ("#ffffff",)


def mail_colours(primary: str, accent: str) -> MailColours:
    return MailColours(
        brand_text=readable_text_colour(primary, MAIL_BACKGROUNDS),
        on_primary=text_colour_on(primary),
        on_accent=text_colour_on(accent),
    )


def render_html_body(branding: Any, body: Body, subject: str, language: str) -> str:
    """The branded HTML of a message; ``branding`` has the agency's name, logo and colours."""
    colours = mail_colours(branding.primary_color, branding.accent_color)
    context = {"agency": branding, "colours": colours, "body": body, "subject": subject, "language": language}
    return render_to_string(HTML_TEMPLATE, context)


def build_email(row: OutboxMessage, rendered: RenderedMessage) -> EmailMultiAlternatives:
    """The multipart message (text, then HTML, then any attachment) with the row's fixed
    Message-ID."""
    # Names reach the headers: a line break in one would make Django refuse the whole message
    # (BadHeaderError) and the alert would never leave, so every header text is folded to one
    # line here, whatever the database holds.
    sender = from_header(row.agency)
    if rendered.sender_name:
        sender = formataddr((one_line(rendered.sender_name), sender_address(row.agency)))
    email = EmailMultiAlternatives(
        subject=one_line(rendered.subject),
        body=rendered.text,
        from_email=sender,
        to=[row.recipient],
        headers={
            "Message-ID": row.message_id,
            # The agency's own offset ("+0100"), not "-0000", which says the zone is unknown.
            "Date": format_datetime(timezone.localtime(timezone.now(), ZoneInfo(row.agency.time_zone))),
            # RFC 3834: an automatic message; out-of-office replies should not answer it.
            "Auto-Submitted": "auto-generated",
            **{name: one_line(value) for name, value in rendered.headers},
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
            facts=[
                _site_fact(incident),
                (_("Cause"), cause_in_words(incident.cause_error_class, incident.cause_status_code)),
            ],
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
        links=[_incident_page_link(incident)],
        **_checks(_("Checks that confirmed the outage"), incident.proof),
    )
    return subject, body


def _incident_recovered(row: OutboxMessage, incident: Incident) -> tuple[str, Body]:
    names = _names(incident)
    recovered_at = incident.recovered_at or incident.confirmed_at
    downtime = format_span(incident.first_failed_at, recovered_at)
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
        links=[_incident_page_link(incident)],
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
        links=[_incident_page_link(incident)],
    )
    return subject_pattern % names, body


# Degraded performance: to the agency only. Slow is not down: no downtime, no response clock,
# nothing to acknowledge; the words say so, so nobody reads a slow site as an outage.


def _performance_degraded(row: OutboxMessage, incident: Incident) -> tuple[str, Body]:
    names = _names(incident)
    subject = _("[%(agency)s] Slow, not down: %(site)s (%(client)s)") % names
    body = Body(
        heading=_("%(site)s is slow") % names,
        intro=_(
            "The site answers, but slowly: several checks in a row were slower than the plan allows. "
            "This is not downtime and does not count against uptime or the response time."
        ),
        facts=[
            *_where(incident),
            (_("Why"), _slowness_in_words(incident)),
            (_("Slow since"), format_instant(incident.first_failed_at)),
            (_("Confirmed at"), format_instant(incident.confirmed_at)),
        ],
        footer=_agency_footer(incident),
        links=[_incident_page_link(incident)],
        **_checks(_("Slow checks"), incident.proof),
    )
    return subject, body


def _performance_restored(row: OutboxMessage, incident: Incident) -> tuple[str, Body]:
    names = _names(incident)
    recovered_at = incident.recovered_at or incident.confirmed_at
    subject = _("[%(agency)s] Speed back to normal: %(site)s (%(client)s)") % names
    body = Body(
        heading=_("%(site)s is fast again") % names,
        intro=_("Several checks in a row answered at the site's usual speed. The site was slow, never down."),
        facts=[
            *_where(incident),
            (_("Slow since"), format_instant(incident.first_failed_at)),
            (_("Normal again at"), format_instant(recovered_at)),
            (_("Slow for"), format_span(incident.first_failed_at, recovered_at)),
        ],
        footer=_agency_footer(incident),
        links=[_incident_page_link(incident)],
        **_checks(_("Checks back to normal"), incident.recovery_proof),
    )
    return subject, body


def _slowness_in_words(incident: Incident) -> str:
    detail = incident.cause_message.strip()
    sentence = _("The site answered slowly")
    return _("%(sentence)s (%(detail)s)") % {"sentence": sentence, "detail": detail} if detail else sentence


COMPOSERS: dict[str, Callable[[OutboxMessage, Incident], tuple[str, Body]]] = {
    Kind.INCIDENT_CONFIRMED: _incident_confirmed,
    Kind.INCIDENT_RECOVERED: _incident_recovered,
    Kind.SLA_WARNING: _sla_warning,
    Kind.SLA_BREACH: _sla_breach,
    Kind.PERFORMANCE_DEGRADED: _performance_degraded,
    Kind.PERFORMANCE_RESTORED: _performance_restored,
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
    cause = cause_in_words(
        incident.cause_error_class, incident.cause_status_code, incident.cause_message, detail=True
    )
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
        note=_(
            "The link opens a page with a button; it opens as often as needed until it expires after "
            "%(days)d days, and the first press acknowledges (later ones change nothing)."
        )
        % {"days": ACK_TOKEN_MAX_AGE.days},
    )


def _incident_page_link(incident: Incident) -> Action:
    """The staff incident page: the timeline, the notifications, the public update form."""
    url = public_base_url(incident.agency) + reverse("incident-detail", args=[incident.pk])
    return Action(label=_("Open the incident page"), url=url, note=_("Sign-in required."))


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
        details = error_class_in_words(str(entry.get("error_class")))
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
    for link in body.links:
        lines.extend(["", f"{link.label}:", link.url, link.note])
    if body.checks:
        lines.extend(["", body.checks_title, " | ".join(body.check_columns)])
        lines.extend(" | ".join(row) for row in body.checks)
    lines.extend(["", "-- ", body.footer, ""])
    return "\n".join(lines)


# --- a status page's subscribers ---------------------------------------------------------
#
# Members of the public who asked for a page's notices. They read what the page shows, in its
# language and colours, times in the client's zone: the component's public name, the status in
# words, the agency's public update. Never the cause the probe saw, the plan or an ack link.

SUBSCRIBER_HTML_TEMPLATE = "notifications/email/subscriber.html"


@dataclass(frozen=True)
class PageBranding:
    """What a page's mails look like, as the page itself: its title, its logo or the client's, its
    colours, else the client's, else the agency's."""

    name: str
    logo_url: str
    primary_color: str
    accent_color: str


@dataclass
class SubscriberMail:
    heading: str
    intro: str
    facts: list[tuple[str, str]]
    action: Action
    footer: str
    message: str = ""  # the agency's public update, word for word
    unsubscribe_url: str = ""


def page_branding(page: StatusPage) -> PageBranding:
    client, agency = page.client, page.agency
    return PageBranding(
        name=page.title,
        logo_url=page.logo_url or client.logo_url,
        primary_color=page.primary_color or client.primary_color or agency.primary_color,
        accent_color=page.accent_color or client.accent_color or agency.accent_color,
    )


def confirm_url(subscription: Subscription) -> str:
    return page_url(subscription.page, f"subscriptions/confirm/{subscription.token}/")


def unsubscribe_url(subscription: Subscription) -> str:
    return page_url(subscription.page, f"subscriptions/unsubscribe/{subscription.token}/")


def render_subscriber_message(row: OutboxMessage) -> RenderedMessage:
    subscription = row.subscription
    if subscription is None:
        raise CannotRender("the subscription of this mail no longer exists")
    page = subscription.page
    compose = SUBSCRIBER_COMPOSERS.get(row.kind)
    if compose is None:
        raise CannotRender(f"no wording for subscriber mails of kind {row.kind!r}")
    with translation.override(row.language), timezone.override(ZoneInfo(page.client.time_zone)):
        subject, mail = compose(row, page, subscription)
        branding = page_branding(page)
        html = render_to_string(
            SUBSCRIBER_HTML_TEMPLATE,
            {
                "branding": branding,
                "colours": mail_colours(branding.primary_color, branding.accent_color),
                "mail": mail,
                "subject": subject,
                "language": row.language,
            },
        )
        text = subscriber_plain_text(mail)
    headers: tuple[tuple[str, str], ...] = ()
    if mail.unsubscribe_url:
        # RFC 2369 and RFC 8058: mail clients show an "unsubscribe" button that POSTs to the link.
        headers = (
            ("List-Unsubscribe", f"<{mail.unsubscribe_url}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        )
    return RenderedMessage(subject=subject, text=text, html=html, headers=headers, sender_name=page.title)


def _subscription_confirm(
    row: OutboxMessage, page: StatusPage, subscription: Subscription
) -> tuple[str, SubscriberMail]:
    names = {"page": page.title}
    mail = SubscriberMail(
        heading=_("Confirm your subscription"),
        intro=_(
            "Someone, probably you, asked to receive an email whenever %(page)s reports an incident. "
            "Confirm to start receiving them. If it was not you, ignore this mail: nothing more will be sent."
        )
        % names,
        facts=[(_("Status page"), page_url(page)), (_("Email address"), subscription.email)],
        action=Action(
            label=_("Confirm my subscription"),
            url=confirm_url(subscription),
            note=_("The link opens a page with a button: nothing is confirmed until you press it."),
        ),
        footer=_("You receive this mail because this address was entered on %(page)s.") % names,
    )
    return _("Confirm your subscription to %(page)s") % names, mail


def _status_incident_opened(
    row: OutboxMessage, page: StatusPage, subscription: Subscription
) -> tuple[str, SubscriberMail]:
    incident = _incident_of(row)
    component = _component_name(page, incident)
    status = _("Degraded performance") if incident.kind == Incident.Kind.DEGRADED else _("Outage")
    intro = _("We are aware of a problem affecting %(component)s and are working on it.")
    facts = [
        (_("Component"), component),
        (_("Status"), status),
        (_("Since"), format_instant(incident.first_failed_at)),
    ]
    return _notice(page, subscription, component, status, intro % {"component": component}, facts)


def _status_incident_updated(
    row: OutboxMessage, page: StatusPage, subscription: Subscription
) -> tuple[str, SubscriberMail]:
    update = row.incident_update
    if update is None:
        raise CannotRender("the update of this notice no longer exists")
    component = _component_name(page, _incident_of(row))
    status = str(UPDATE_STATUS_WORDS.get(update.status, update.status))
    intro = _("An update was posted about the incident affecting %(component)s.")
    facts = [
        (_("Component"), component),
        (_("Status"), status),
        (_("Posted at"), format_instant(update.posted_at)),
    ]
    subject, mail = _notice(page, subscription, component, status, intro % {"component": component}, facts)
    mail.message = update.message
    return subject, mail


def _status_incident_resolved(
    row: OutboxMessage, page: StatusPage, subscription: Subscription
) -> tuple[str, SubscriberMail]:
    incident = _incident_of(row)
    component = _component_name(page, incident)
    back_at = incident.recovered_at or incident.resolved_at or incident.confirmed_at
    status = _("Resolved")
    intro = _("The incident affecting %(component)s is resolved: it works normally again.")
    facts = [
        (_("Component"), component),
        (_("Status"), status),
        (_("Started"), format_instant(incident.first_failed_at)),
        (_("Resolved at"), format_instant(back_at)),
        (_("Duration"), format_span(incident.first_failed_at, back_at)),
    ]
    return _notice(page, subscription, component, status, intro % {"component": component}, facts)


def _notice(
    page: StatusPage,
    subscription: Subscription,
    component: str,
    status: str,
    intro: str,
    facts: list[tuple[str, str]],
) -> tuple[str, SubscriberMail]:
    """An incident notice's subject and body: the parts every notice shares."""
    names = {"page": page.title, "component": component, "status": status}
    mail = SubscriberMail(
        heading=_("%(component)s: %(status)s") % names,
        intro=intro,
        facts=facts,
        action=Action(label=_("View the status page"), url=page_url(page), note=""),
        footer=_("You receive this mail because you subscribed to the notices of %(page)s.") % names,
        unsubscribe_url=unsubscribe_url(subscription),
    )
    return _("[%(page)s] %(component)s: %(status)s") % names, mail


# The words of an update's status, as the page shows them.
UPDATE_STATUS_WORDS: dict[str, object] = {
    IncidentUpdate.Status.INVESTIGATING: gettext_lazy("Investigating"),
    IncidentUpdate.Status.IDENTIFIED: gettext_lazy("Identified"),
    IncidentUpdate.Status.MONITORING: gettext_lazy("Monitoring"),
    IncidentUpdate.Status.RESOLVED: gettext_lazy("Resolved"),
}

SUBSCRIBER_COMPOSERS: dict[
    str, Callable[[OutboxMessage, StatusPage, Subscription], tuple[str, SubscriberMail]]
] = {
    Kind.SUBSCRIPTION_CONFIRM: _subscription_confirm,
    Kind.STATUS_INCIDENT_OPENED: _status_incident_opened,
    Kind.STATUS_INCIDENT_UPDATED: _status_incident_updated,
    Kind.STATUS_INCIDENT_RESOLVED: _status_incident_resolved,
}


def _incident_of(row: OutboxMessage) -> Incident:
    if row.incident is None:
        raise CannotRender("the incident of this notice no longer exists")
    return row.incident


def _component_name(page: StatusPage, incident: Incident) -> str:
    """The name the page shows for the incident's site; a site taken off the page since the
    notice was queued gets no notice (its name may be an internal one)."""
    component = StatusComponent.objects.filter(page=page, site_id=incident.monitor.site_id).first()
    if component is None:
        raise CannotRender("the incident's site is no longer shown on the status page")
    return component.display_name


def subscriber_plain_text(mail: SubscriberMail) -> str:
    lines = [mail.heading, "=" * len(mail.heading), "", mail.intro, ""]
    lines.extend(_("%(label)s: %(value)s") % {"label": label, "value": value} for label, value in mail.facts)
    if mail.message:
        lines.extend(["", mail.message])
    lines.extend(["", f"{mail.action.label}:", mail.action.url])
    if mail.action.note:
        lines.append(mail.action.note)
    lines.extend(["", "-- ", mail.footer])
    if mail.unsubscribe_url:
        lines.append(_("Unsubscribe: %(url)s") % {"url": mail.unsubscribe_url})
    lines.append("")
    return "\n".join(lines)
