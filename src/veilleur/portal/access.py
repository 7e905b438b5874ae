"""Who is signed in to the portal, kept apart from the staff application.

- A client user's sign-in is stored under its own session key (``SESSION_KEY``), never
  Django's ``_auth_user_id``: ``request.user`` stays anonymous for them, so every staff and
  admin page sends them to the staff sign-in, whatever they type.
- Portal pages read only that key (``portal_view``), and refuse a session that also holds a staff
  sign-in: a staff session gives no portal access. Signing in to the portal starts a fresh
  session, which ends any staff sign-in of the same browser.
- The key holds the user's id and a hash of their password hash, so that a new password, a
  revocation or a plan without the portal ends every session at its next request.
- On an agency's own portal domain (``request.portal_agency``, set by the Host routing), only
  that agency's users are known.

Objects are looked up through the signed-in user's client (``client_object``): anything else,
another client's or nonexistent, answers 404 alike.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.contrib.auth import HASH_SESSION_KEY
from django.contrib.auth import SESSION_KEY as STAFF_SESSION_KEY
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import rotate_token
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare

from veilleur.accounts.models import Agency
from veilleur.portal.models import ClientUser

SESSION_KEY = "portal_user"
REALM = "portal"

View = Callable[..., HttpResponse]
M = TypeVar("M", bound=Model)


def host_agency(request: HttpRequest) -> Agency | None:
    """The agency whose own portal domain the request came to; None on the install's hosts."""
    return getattr(request, "portal_agency", None)


def sign_in(request: HttpRequest, user: ClientUser) -> None:
    """A fresh session holding the portal sign-in only (any staff sign-in of the browser ends)."""
    request.session.flush()
    request.session[SESSION_KEY] = {"id": user.pk, "hash": user.get_session_auth_hash()}
    rotate_token(request)  # as Django's own sign-in does: a CSRF token seen before is no use after
    ClientUser.objects.filter(pk=user.pk).update(last_login=timezone.now())


def sign_out(request: HttpRequest) -> None:
    request.session.flush()


def signed_in_user(request: HttpRequest) -> ClientUser | None:
    """The request's client user, or None (no portal sign-in, a staff session, a revoked user…)."""
    stored = request.session.get(SESSION_KEY)
    if (
        not isinstance(stored, dict)
        or STAFF_SESSION_KEY in request.session
        or HASH_SESSION_KEY in request.session
    ):
        return None
    user = (
        ClientUser.signing_in(host_agency(request))
        .select_related("client", "client__plan", "agency")
        .filter(pk=int(stored.get("id") or 0))
        .first()
    )
    if user is None or not constant_time_compare(str(stored.get("hash", "")), user.get_session_auth_hash()):
        return None
    return user


def portal_user(request: HttpRequest) -> ClientUser:
    """The signed-in client user of a request that went through ``portal_view``."""
    user = getattr(request, "portal_user", None)
    if not isinstance(user, ClientUser):
        raise Http404
    return user


def sign_in_redirect(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect(f"{reverse('portal-sign-in')}?{urlencode({'next': request.get_full_path()})}")


def portal_view(view: View) -> View:
    """Signed-in client users only, in their client's language; anyone else goes to the portal's
    sign-in (which says nothing about whether the page exists)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = signed_in_user(request)
        if user is None:
            return sign_in_redirect(request)
        request.portal_user = user  # type: ignore[attr-defined]
        with translation.override(user.client.language):
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        response.headers["Content-Language"] = user.client.language
        # Pages of one person's data: never kept by a shared cache.
        response.headers.setdefault("Cache-Control", "private, no-store")
        return response

    return wrapped


def client_object(queryset: QuerySet[M], user: ClientUser, **lookup: Any) -> M:
    """The object of ``queryset`` matching ``lookup`` and belonging to ``user``'s client, else 404."""
    try:
        return queryset.get(agency_id=user.agency_id, client_id=user.client_id, **lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404 from None


class PortalBackend:
    """Password sign-in of client users, asked only with ``realm="portal"``.

    Django tries every backend; this one either returns the client user or raises
    ``PermissionDenied``, which stops the search (so the staff backend never sees portal
    credentials) and makes Django send ``user_login_failed``: django-axes counts the failure
    under ``portal:<email>`` (throttling/signin.py).
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        realm: str | None = None,
        agency: Agency | None = None,
        **_: Any,
    ) -> ClientUser | None:
        if realm != REALM:
            return None
        email = (username or "").strip().lower()
        candidates = list(ClientUser.signing_in(agency).filter(email=email, activated_at__isnull=False))
        if not candidates:
            ClientUser().set_password(password or "")  # the same time spent whether the address exists or not
        for user in candidates:
            if password and user.check_password(password):
                return user
        raise PermissionDenied

    # No get_user(): Django's session authentication never loads a client user, since portal
    # sign-ins are not kept under its session key.
