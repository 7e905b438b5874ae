"""What django-axes is told about password sign-ins (settings.py points at these).

Every sign-in that goes through ``django.contrib.auth.authenticate(request, username=…,
password=…)`` is counted — the staff sign-in page, the admin's, and any later one such as the
client portal's, which passes ``realm="portal"`` so that its accounts are counted apart from
staff accounts with the same address. Failures are counted per account and per client address;
the answer to a locked-out attempt is the same whether the account exists or not.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import ngettext

STAFF_REALM = "staff"


def signin_subject(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """The account an attempt is counted against: the address as typed, trimmed and in lower
    case (``Owner@X`` and ``owner@x`` are one account), prefixed with the realm unless staff."""
    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        raw = request.POST.get("username")
    if raw is None:
        return None
    realm = str((credentials or {}).get("realm") or STAFF_REALM)
    subject = str(raw).strip().lower()
    return subject if realm == STAFF_REALM else f"{realm}:{subject}"


def locked_out_message() -> str:
    minutes = max(1, math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return ngettext(
        "Too many failed sign-ins for this account or from your address. Try again in %(minutes)d minute.",
        "Too many failed sign-ins for this account or from your address. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The sign-in page again, with the reason and no form errors that would tell more."""
    from veilleur.accounts.forms import EmailLoginForm

    if isinstance(credentials, dict) and credentials.get("realm") == "portal":
        from veilleur.portal.signin import locked_out_page

        return locked_out_page(request, locked_out_message())

    response = TemplateResponse(
        request,
        "accounts/login.html",
        {"form": EmailLoginForm(request), "locked_out": locked_out_message(), "next": ""},
        status=429,
    )
    response["Retry-After"] = str(math.ceil(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response.render()
