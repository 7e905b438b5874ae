"""Inviting a staff member: a one-time link (the accounts app's ``SetupLink``) sent through the
outbox, in the agency's language.

The outbox row names the person only by address: the link itself is issued when the mail is
rendered for delivery, so no usable secret is ever stored in clear. A retried delivery issues a
fresh link, which makes the earlier one unusable: only the mail that left opens the page.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from veilleur.accounts.models import SetupLink, StaffUser
from veilleur.notifications.addresses import new_message_id
from veilleur.notifications.models import OutboxMessage
from veilleur.notifications.rendering import (
    Action,
    Body,
    CannotRender,
    RenderedMessage,
    plain_text,
    render_html_body,
)
from veilleur.notifications.tokens import public_base_url

Kind = OutboxMessage.Kind


def queue_invitation(user: StaffUser, invited_by: StaffUser) -> None:
    """One invitation mail to ``user``; every call (a new invitation, "send the link again")
    queues a mail of its own."""
    agency = user.agency
    OutboxMessage.objects.create(
        agency=agency,
        kind=Kind.STAFF_INVITATION,
        channel=OutboxMessage.Channel.EMAIL,
        audience=OutboxMessage.Audience.AGENCY,
        recipient=user.email,
        language=agency.language,
        idempotency_key=f"{Kind.STAFF_INVITATION}:{user.pk}:{timezone.now().isoformat()}:{invited_by.pk}",
        message_id=new_message_id(agency),
    )


def render_invitation(row: OutboxMessage) -> RenderedMessage:
    agency = row.agency
    user = StaffUser.objects.filter(agency=agency, email=row.recipient, is_active=True).first()
    if user is None:
        raise CannotRender("the invited person was removed from the team")
    hours = settings.VEILLEUR_SETUP_LINK_HOURS
    token = SetupLink.issue(user, timedelta(hours=hours))
    url = public_base_url(agency) + reverse("setup", args=[token])
    with translation.override(row.language):
        names = {"agency": agency.name, "role": role_label(user.role)}
        subject = _("[%(agency)s] You are invited to join the team on Veilleur") % names
        body = Body(
            heading=_("Join %(agency)s on Veilleur") % names,
            intro=_(
                "%(agency)s invites you to its monitoring dashboard as %(role)s. Choose your password "
                "to sign in."
            )
            % names,
            facts=[(_("Your sign-in address"), user.email), (_("Role"), role_label(user.role))],
            action=Action(
                label=_("Choose my password"),
                url=url,
                note=_("The link works once and expires after %(hours)s hours.") % {"hours": hours},
            ),
            footer=_("You receive this mail because someone at %(agency)s invited you.") % names,
        )
        html = render_html_body(agency, body, subject, row.language)
        return RenderedMessage(subject=subject, text=plain_text(body), html=html)


def role_label(role: str) -> str:
    labels: dict[str, str] = {
        StaffUser.Role.OWNER: _("owner"),
        StaffUser.Role.ADMIN: _("admin"),
        StaffUser.Role.MEMBER: _("member"),
    }
    return labels.get(role, role)
