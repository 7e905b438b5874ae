"""Subscribing to a status page's incident notices by email: double opt-in, one-click out.

- ``subscribe``: the page's form posts an address; the answer is always the same "check your
  inbox", whether the address was new, pending or already subscribed, so the form tells nobody
  who is subscribed. A new (or previously unsubscribed) address gets a confirmation mail; a
  pending one gets it again only once the last one is ``RESEND_AFTER`` old; an active one gets
  nothing.
- ``subscription_confirm`` and ``unsubscribe``: the links in the mails. A GET shows a page with a
  button and changes nothing (mail scanners open links); the POST acts, once, by compare-and-set.
  The unsubscribe POST is also the RFC 8058 one-click request mail clients send on their own,
  with no cookie and no CSRF token.

The token in a link is the only proof these two need: a visitor of a password-protected page
who opens a link from their mail may not have unlocked it in that browser. A token is looked up
within the page the link was opened on, so another page's token is just "not valid".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from veilleur.notifications.subscribers import enqueue_confirmation, last_confirmation_at
from veilleur.statuspages.access import has_access
from veilleur.statuspages.models import StatusPage, Subscription, new_domain_token
from veilleur.statuspages.throttles import subscribe_attempt
from veilleur.statuspages.views import branding, root_of, unlock_form
from veilleur.throttling.limits import Refused

# A pending address asked again gets its confirmation mail again, but not more often than this:
# the form cannot be used to flood someone's inbox.
RESEND_AFTER = timedelta(minutes=10)
EMAIL_MAX_LENGTH = 254  # RFC 5321's limit on a forward path, as Django's EmailField
HTML = "text/html; charset=utf-8"

# These views take POSTs without a CSRF token: the page may be served on the client's own
# domain, outside the agency application's session and CSRF cookie; a forged subscribe only
# sends a confirmation mail (double opt-in makes it harmless), and the confirm and unsubscribe
# POSTs need the secret token of the link. Mail clients' one-click unsubscribe carries no token
# of any other kind anyway.


@csrf_exempt
@require_POST
def subscribe(request: HttpRequest, page: StatusPage) -> HttpResponse:
    if not has_access(request, page):
        return unlock_form(request, page, status=403)
    raw = request.POST.get("email", "")
    attempt = subscribe_attempt(request, page)
    if isinstance(attempt, Refused):
        with translation.override(page.language):
            context = {"error": attempt.message(), "email": raw.strip()[:EMAIL_MAX_LENGTH]}
        response = _page(request, page, "statuspages/subscription_subscribe.html", context, status=429)
        response["Retry-After"] = str(attempt.retry_after_seconds)
        return response
    email, error = clean_email(raw)
    if error:
        context = {"error": error, "email": raw.strip()[:EMAIL_MAX_LENGTH]}
        return _page(request, page, "statuspages/subscription_subscribe.html", context, status=400)
    with transaction.atomic():
        request_subscription(page, email, timezone.now())
    return _page(request, page, "statuspages/subscription_subscribe.html", {"email": email})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def subscription_confirm(request: HttpRequest, page: StatusPage, token: str) -> HttpResponse:
    subscription = _subscription(page, token)
    if subscription is None:
        return _invalid_link(request, page)
    if request.method == "POST":
        Subscription.objects.filter(
            pk=subscription.pk, token=token, confirmed_at__isnull=True, unsubscribed_at__isnull=True
        ).update(confirmed_at=timezone.now())
        subscription.refresh_from_db()
    context = {"subscription": subscription}
    if subscription.unsubscribed_at is not None:
        # An old confirmation link does not undo an unsubscription: subscribing again does.
        return _page(request, page, "statuspages/subscription_unsubscribed.html", context)
    if subscription.confirmed_at is not None:
        return _page(request, page, "statuspages/subscription_confirmed.html", context)
    return _page(request, page, "statuspages/subscription_confirm.html", context)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, page: StatusPage, token: str) -> HttpResponse:
    subscription = _subscription(page, token)
    if subscription is None:
        return _invalid_link(request, page)
    if request.method == "POST":  # the button, or a mail client's "List-Unsubscribe=One-Click"
        Subscription.objects.filter(pk=subscription.pk, token=token, unsubscribed_at__isnull=True).update(
            unsubscribed_at=timezone.now()
        )
        subscription.refresh_from_db()
    context = {"subscription": subscription}
    if subscription.unsubscribed_at is not None:
        return _page(request, page, "statuspages/subscription_unsubscribed.html", context)
    return _page(request, page, "statuspages/subscription_unsubscribe.html", context)


# --- what a subscribe request does ---------------------------------------------------------


def clean_email(raw: str) -> tuple[str, str]:
    """The address as stored (trimmed, lower-case) and "", or "" and what is wrong with it."""
    email = raw.strip().lower()
    if not email:
        return "", _("Enter your email address.")
    if len(email) > EMAIL_MAX_LENGTH:
        return "", _("This email address is too long (%(limit)d characters at most).") % {
            "limit": EMAIL_MAX_LENGTH
        }
    try:
        validate_email(email)
    except ValidationError:
        return "", _("This is not a valid email address: use the form name@example.com.")
    return email, ""


def request_subscription(page: StatusPage, email: str, now: datetime) -> None:
    """Start, restart or remind the double opt-in of ``email``; call inside a transaction."""
    subscription, created = Subscription.objects.get_or_create(page=page, email=email)
    if created:
        enqueue_confirmation(subscription)
    elif subscription.unsubscribed_at is not None:
        _restart(subscription)
    elif subscription.confirmed_at is None:
        last_sent = last_confirmation_at(subscription) or subscription.created_at
        if now - last_sent >= RESEND_AFTER:
            enqueue_confirmation(subscription)
    # An active subscription gets nothing: the answer on the page is the same all the same.


def _restart(subscription: Subscription) -> None:
    """An unsubscribed address asks again: a new opt-in, under a new token, so that links from
    the earlier mails can neither confirm it nor act on it."""
    token = new_domain_token()
    restarted = Subscription.objects.filter(
        pk=subscription.pk, token=subscription.token, unsubscribed_at__isnull=False
    ).update(token=token, confirmed_at=None, unsubscribed_at=None)
    if restarted:
        subscription.token, subscription.confirmed_at, subscription.unsubscribed_at = token, None, None
        enqueue_confirmation(subscription)


# --- the pages -----------------------------------------------------------------------------


def _subscription(page: StatusPage, token: str) -> Subscription | None:
    return Subscription.objects.filter(page=page, token=token).first()


def _invalid_link(request: HttpRequest, page: StatusPage) -> HttpResponse:
    return _page(request, page, "statuspages/subscription_invalid.html", {}, status=404)


def _page(
    request: HttpRequest, page: StatusPage, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """One of the subscription pages, in the page's language and branding. Never cached: they
    show the visitor's own address."""
    with translation.override(page.language):
        body = render_to_string(
            template, {"page": page, "brand": branding(page), "root": root_of(request), **context}
        )
    response = HttpResponse(body, content_type=HTML, status=status)
    response["Cache-Control"] = "private, no-store"
    return response
