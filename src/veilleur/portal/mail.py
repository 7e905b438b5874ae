"""The portal's own e-mails: the invitation, the magic sign-in link and the password reset.

They carry a secret link, so they are written and sent at once over the install's SMTP
server rather than queued in the outbox: an outbox row is rendered later from what the
database keeps, and the database keeps only hashes of these links. A send that fails is
reported to whoever asked (the staff member sees it and can copy the invitation link instead).
"""

from __future__ import annotations

import logging
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from veilleur.domain.validators import one_line
from veilleur.notifications.addresses import from_header, new_message_id, sender_address
from veilleur.notifications.rendering import Action, Body, plain_text, render_html_body
from veilleur.notifications.smtp import send_over_smtp
from veilleur.notifications.smtp_url import parse_smtp_url
from veilleur.notifications.tokens import public_base_url
from veilleur.portal.models import ClientUser
from veilleur.reports.data import Branding

log = logging.getLogger("veilleur.portal")


class MailNotSent(Exception):
    """The SMTP server did not take the message; the text says why."""


def portal_base_url(user: ClientUser) -> str:
    """Where the user's portal answers: the agency's own portal domain, else its public address."""
    domain = getattr(getattr(user.agency, "portal_domain", None), "domain", "")
    return f"https://{domain}" if domain else public_base_url(user.agency)


def portal_link(user: ClientUser, name: str, *args: str) -> str:
    return f"{portal_base_url(user)}{reverse(name, args=args)}"


def branding(user: ClientUser) -> Branding:
    client, agency = user.client, user.agency
    return Branding(
        name=agency.name,
        logo_url=client.logo_url or agency.logo_url,
        primary_color=client.primary_color or agency.primary_color,
        accent_color=client.accent_color or agency.accent_color,
    )


def send_invitation(user: ClientUser, token: str) -> None:
    link = portal_link(user, "portal-invitation", token)
    with translation.override(user.client.language):
        names = {"agency": user.agency.name, "client": user.client.name}
        _send(
            user,
            subject=_("[%(agency)s] Your access to the %(client)s portal") % names,
            body=Body(
                heading=_("Your client portal") % names,
                intro=_(
                    "%(agency)s invites you to the portal of %(client)s: your sites' state, incidents, "
                    "reports and what your plan includes, at any time."
                )
                % names,
                facts=[(_("Client"), user.client.name), (_("Sign-in address"), user.email)],
                footer=_("This link works once and expires in 7 days. %(agency)s can send you a new one.")
                % names,
                action=Action(_("Choose my password"), link, ""),
            ),
        )


def send_magic_link(user: ClientUser, token: str) -> None:
    link = f"{portal_link(user, 'portal-magic-link')}?token={token}"
    with translation.override(user.client.language):
        names = {"agency": user.agency.name, "client": user.client.name}
        _send(
            user,
            subject=_("[%(agency)s] Your sign-in link to the %(client)s portal") % names,
            body=Body(
                heading=_("Sign in to your portal") % names,
                intro=_("Someone (you, we hope) asked for a sign-in link to the portal of %(client)s.")
                % names,
                facts=[(_("Client"), user.client.name), (_("Sign-in address"), user.email)],
                footer=_(
                    "This link works once and expires in 15 minutes. If you did not ask for it, ignore it."
                ),
                action=Action(_("Sign in"), link, ""),
            ),
        )


def send_password_reset(user: ClientUser, token: str) -> None:
    link = f"{portal_link(user, 'portal-password-reset-confirm')}?token={token}"
    with translation.override(user.client.language):
        names = {"agency": user.agency.name, "client": user.client.name}
        _send(
            user,
            subject=_("[%(agency)s] Choose a new portal password") % names,
            body=Body(
                heading=_("A new password for your portal") % names,
                intro=_("Someone (you, we hope) asked to change the password of your %(client)s portal.")
                % names,
                facts=[(_("Client"), user.client.name), (_("Sign-in address"), user.email)],
                footer=_(
                    "This link works once and expires in an hour. If you did not ask for it, ignore it."
                ),
                action=Action(_("Choose a new password"), link, ""),
            ),
        )


def _send(user: ClientUser, subject: str, body: Body) -> None:
    agency = user.agency
    html = render_html_body(branding(user), body, subject, user.client.language)
    email = EmailMultiAlternatives(
        subject=one_line(subject),
        body=plain_text(body),
        from_email=from_header(agency),
        to=[user.email],
        headers={
            "Message-ID": new_message_id(agency),
            "Date": format_datetime(timezone.localtime(timezone.now(), ZoneInfo(agency.time_zone))),
            "Auto-Submitted": "auto-generated",
        },
    )
    email.attach_alternative(html, "text/html")
    try:
        send_over_smtp(
            parse_smtp_url(settings.VEILLEUR_SMTP_URL),
            sender_address(agency),
            user.email,
            email.message().as_bytes(linesep="\r\n"),  # SMTP lines end in CRLF
        )
    except Exception as exc:  # any SMTP or network failure: the caller says it to the person asking
        log.warning("portal mail to %s not sent: %s", user.email, exc)
        raise MailNotSent(str(exc)) from exc
