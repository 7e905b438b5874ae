"""Signing in to the portal: by password, by an e-mailed magic link, through an invitation, and
resetting a forgotten password. Pages that take a link never act on GET (mail scanners follow
links): they show a button, and only its POST signs in.

Magic and reset links are django-sesame tokens: signed, expiring, bound to the user's password
hash and last sign-in, so any sign-in or new password makes them useless (single use) with
nothing stored. Invitations are rows (models.Invitation) because the agency must be able to
regenerate and revoke them.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from sesame.tokens import create_token, parse_token  # type: ignore[import-untyped]

from veilleur.accounts.models import Agency
from veilleur.portal.access import REALM, host_agency, sign_in, sign_out, signed_in_user
from veilleur.portal.forms import EmailForm, SetPasswordForm, SignInForm
from veilleur.portal.mail import MailNotSent, send_magic_link, send_password_reset
from veilleur.portal.models import ClientUser, Invitation
from veilleur.throttling.addresses import client_address
from veilleur.throttling.limits import Limit, Refused, reserve

MAGIC_SCOPE = "portal:magic-link"
RESET_SCOPE = "portal:password-reset"
MAGIC_LINK_AGE = timedelta(minutes=15)
RESET_LINK_AGE = timedelta(hours=1)
# Links by e-mail: a few per address an hour, so nobody can fill someone's mailbox through us.
LINKS_PER_EMAIL = Limit("portal-link-email", 5, timedelta(hours=1))
LINKS_PER_CLIENT_ADDRESS = Limit("portal-link-address", 30, timedelta(hours=1))


def page_agency(request: HttpRequest) -> Agency | None:
    """Whose brand the signed-out pages wear: the portal domain's agency, else the install's only
    agency; None when several agencies share the install (no agency is named to a stranger)."""
    agency = host_agency(request)
    if agency is not None:
        return agency
    agencies = list(Agency.objects.all()[:2])
    return agencies[0] if len(agencies) == 1 else None


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> TemplateResponse:
    return TemplateResponse(
        request, f"portal/{template}", {"agency": page_agency(request), **context}, status=status
    )


def _next_page(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    portal_root = reverse("portal-overview")
    if wanted.startswith(portal_root) and url_has_allowed_host_and_scheme(wanted, allowed_hosts=None):
        return wanted
    return portal_root


@require_http_methods(["GET", "POST"])
def sign_in_page(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and signed_in_user(request) is not None:
        return redirect("portal-overview")
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
            realm=REALM,
            agency=host_agency(request),
        )
        if isinstance(user, ClientUser):
            _mark_activated(user)
            sign_in(request, user)
            return HttpResponseRedirect(_next_page(request))
        form.add_error(None, _("This email and password do not match a portal account."))
    return _page(request, "sign_in.html", {"form": form, "next": _next_page(request)})


def locked_out_page(request: HttpRequest, message: str) -> HttpResponse:
    """django-axes's answer to a locked-out portal sign-in: the page again, saying why and for how long."""
    response = _page(
        request, "sign_in.html", {"form": SignInForm(), "locked_out": message, "next": ""}, status=429
    )
    response["Retry-After"] = str(math.ceil(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response.render()


@require_POST
def sign_out_view(request: HttpRequest) -> HttpResponse:
    sign_out(request)
    return redirect("portal-sign-in")


def _mark_activated(user: ClientUser) -> None:
    if user.activated_at is None:
        ClientUser.objects.filter(pk=user.pk, activated_at__isnull=True).update(activated_at=timezone.now())


# --- links by e-mail -------------------------------------------------------------------------


def _ask_for_link(request: HttpRequest, template: str, send: Any, scope: str) -> HttpResponse:
    """The "send me a link" form: the same answer whether or not the address has an account."""
    form = EmailForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        verdict = reserve([(LINKS_PER_EMAIL, email), (LINKS_PER_CLIENT_ADDRESS, client_address(request))])
        if isinstance(verdict, Refused):
            response = _page(request, template, {**context, "refused": verdict.message()}, status=429)
            response["Retry-After"] = str(verdict.retry_after_seconds)
            return response
        try:
            for user in (
                ClientUser.signing_in(host_agency(request))
                .filter(email=email)
                .select_related("client", "agency")
            ):
                send(user, create_token(user, scope))
        except MailNotSent:
            return _page(request, template, {**context, "failed": True}, status=503)
        context["sent_to"] = email
        context["form"] = EmailForm()
    return _page(request, template, context)


@require_http_methods(["GET", "POST"])
def magic_link_request(request: HttpRequest) -> HttpResponse:
    return _ask_for_link(request, "magic_link_request.html", send_magic_link, MAGIC_SCOPE)


@require_http_methods(["GET", "POST"])
def password_reset_request(request: HttpRequest) -> HttpResponse:
    return _ask_for_link(request, "password_reset_request.html", send_password_reset, RESET_SCOPE)


def _token_user(request: HttpRequest, scope: str, max_age: timedelta) -> ClientUser | None:
    token = request.POST.get("token") or request.GET.get("token") or ""
    agency = host_agency(request)

    def get_user(pk: Any) -> ClientUser | None:
        return ClientUser.signing_in(agency).select_related("client", "agency").filter(pk=pk).first()

    user = parse_token(token, get_user, scope=scope, max_age=max_age)
    return user if isinstance(user, ClientUser) else None


@require_http_methods(["GET", "POST"])
def magic_link(request: HttpRequest) -> HttpResponse:
    with transaction.atomic():
        user = _token_user(request, MAGIC_SCOPE, MAGIC_LINK_AGE)
        if user is None:
            return _page(request, "link_invalid.html", {}, status=404)
        if request.method == "POST":
            # The link is signed with the user's last sign-in: moving it (compare-and-set, so two
            # clicks at once cannot both pass) ends this link and any other.
            unchanged = ClientUser.objects.filter(pk=user.pk, last_login=user.last_login)
            if user.last_login is None:
                unchanged = ClientUser.objects.filter(pk=user.pk, last_login__isnull=True)
            if unchanged.update(last_login=timezone.now()) != 1:
                return _page(request, "link_invalid.html", {}, status=404)
            _mark_activated(user)
            sign_in(request, user)
            return redirect("portal-overview")
    return _page(request, "magic_link.html", {"token": request.GET.get("token", ""), "portal_user": user})


@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest) -> HttpResponse:
    user = _token_user(request, RESET_SCOPE, RESET_LINK_AGE)
    if user is None:
        return _page(request, "link_invalid.html", {}, status=404)
    return _choose_password(
        request,
        user,
        "password_reset_confirm.html",
        {"token": request.POST.get("token") or request.GET.get("token", "")},
    )


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    invite = Invitation.find_valid(token, host_agency(request))
    if invite is None:
        return _page(request, "link_invalid.html", {"invitation": True}, status=404)
    return _choose_password(request, invite.user, "invitation.html", {}, invite=invite)


def _choose_password(
    request: HttpRequest,
    user: ClientUser,
    template: str,
    context: dict[str, Any],
    invite: Invitation | None = None,
) -> HttpResponse:
    form = SetPasswordForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            if invite is not None and not invite.consume():
                return _page(request, "link_invalid.html", {"invitation": True}, status=404)
            user.set_password(form.cleaned_data["password1"])
            user.activated_at = user.activated_at or timezone.now()
            user.save(update_fields=["password", "activated_at"])
        sign_in(request, user)
        return redirect("portal-overview")
    return _page(request, template, {**context, "form": form, "portal_user": user})
