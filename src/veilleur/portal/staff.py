"""The agency's side of the portal: who at a client may sign in, inviting them, sending a new
invitation, revoking access. Managers only (owners and admins), their own agency's clients only."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from veilleur.clients.models import Client
from veilleur.dashboard.access import agency_object, manager_view, staff_agency
from veilleur.portal.forms import InviteForm
from veilleur.portal.mail import MailNotSent, portal_link, send_invitation
from veilleur.portal.models import ClientUser, Invitation

log = logging.getLogger("veilleur.portal")


def client_users(client: Client) -> list[ClientUser]:
    return list(ClientUser.objects.filter(client=client).prefetch_related("invitations").order_by("email"))


def invite(client: Client, email: str, name: str = "") -> tuple[ClientUser, str]:
    """Create the client's user and their first invitation; returns the user and the link's token."""
    with transaction.atomic():
        user = ClientUser(client=client, email=email, name=name)
        user.set_unusable_password()
        user.save()
        return user, Invitation.issue(user)


def invite_after_commit(user_id: int) -> None:
    """Send a user created by the config file their first invitation (after the file's commit)."""
    user = ClientUser.objects.select_related("client", "agency").filter(pk=user_id).first()
    if user is None:
        return
    token = Invitation.issue(user)
    try:
        send_invitation(user, token)
    except MailNotSent as exc:
        log.warning("invitation of %s not sent (%s); send a new one from the client page", user.email, exc)


def _deliver(request: HttpRequest, user: ClientUser, token: str) -> None:
    """Mail the invitation; when the mail server refuses, the manager gets the link to pass on."""
    try:
        send_invitation(user, token)
    except MailNotSent as exc:
        messages.warning(
            request,
            _(
                "The invitation mail to %(email)s could not be sent (%(error)s). "
                "Send them this link yourself: %(link)s"
            )
            % {"email": user.email, "error": exc, "link": portal_link(user, "portal-invitation", token)},
        )
    else:
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": user.email})


def _back(client: Client) -> HttpResponse:
    return redirect("portal-staff-client-users", client.pk)


@require_http_methods(["GET", "POST"])
@manager_view
def client_users_page(request: HttpRequest, client_id: int) -> HttpResponse:
    client = agency_object(Client.objects.select_related("plan"), staff_agency(request), pk=client_id)
    form = InviteForm(request.POST or None, client=client)
    if request.method == "POST":
        if not client.plan.client_portal:
            form.add_error(None, _("The plan of this client does not include the client portal."))
        elif form.is_valid():
            user, token = invite(client, form.cleaned_data["email"], form.cleaned_data["name"])
            _deliver(request, user, token)
            return _back(client)
    context = {
        "client": client,
        "client_users": client_users(client),
        "invite_form": form,
        "agency": client.agency,
    }
    return TemplateResponse(
        request, "portal/staff_client_users_page.html", context, status=400 if form.errors else 200
    )


def _user_of(request: HttpRequest, client_id: int, user_id: int) -> tuple[Client, ClientUser]:
    agency = staff_agency(request)
    client = agency_object(Client.objects.select_related("plan"), agency, pk=client_id)
    return client, agency_object(
        ClientUser.objects.select_related("client", "agency"), agency, pk=user_id, client=client
    )


@require_POST
@manager_view
def regenerate(request: HttpRequest, client_id: int, user_id: int) -> HttpResponse:
    client, user = _user_of(request, client_id, user_id)
    if user.revoked_at is not None:
        messages.error(
            request, _("%(email)s no longer has access; invite them again.") % {"email": user.email}
        )
        return _back(client)
    _deliver(request, user, Invitation.issue(user))
    return _back(client)


@require_POST
@manager_view
def revoke(request: HttpRequest, client_id: int, user_id: int) -> HttpResponse:
    client, user = _user_of(request, client_id, user_id)
    now = timezone.now()
    with transaction.atomic():
        ClientUser.objects.filter(pk=user.pk, revoked_at__isnull=True).update(revoked_at=now)
        Invitation.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    messages.success(request, _("%(email)s can no longer sign in to the portal.") % {"email": user.email})
    return _back(client)
