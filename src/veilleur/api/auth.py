"""Bearer-token authentication: ``Authorization: Bearer vlr_…``."""

from __future__ import annotations

import re
from datetime import timedelta

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from veilleur.accounts.models import Agency, ApiToken

# last_used_at is for people deciding which token to revoke: minute precision is plenty, and
# not writing on every request keeps busy clients from turning each read into a write.
LAST_USED_PRECISION = timedelta(minutes=1)

# The shape ApiToken.issue() produces; anything else is refused before touching the database.
_TOKEN_SHAPE = re.compile(r"vlr_[0-9a-f]{1,12}_[A-Za-z0-9_-]{1,128}")


def record_use(token: ApiToken) -> None:
    """Set last_used_at when it is older than a minute, in one conditional UPDATE."""
    now = timezone.now()
    stale_before = now - LAST_USED_PRECISION
    if token.last_used_at is not None and token.last_used_at >= stale_before:
        return
    # The condition makes concurrent requests write once between them, not once each.
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale_before)
    ).update(last_used_at=now)
    token.last_used_at = now


class BearerToken(HttpBearer):
    def __call__(self, request: HttpRequest) -> ApiToken | None:
        header = request.headers.get(self.header, "")
        if not header:
            raise AuthenticationError(
                message="Authentication required: send 'Authorization: Bearer <token>'."
            )
        scheme, _, _ = header.partition(" ")
        if scheme.lower() != "bearer":
            raise AuthenticationError(message="Unsupported authorization scheme: use 'Bearer <token>'.")
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        token = token.strip()
        found = ApiToken.authenticate(token) if _TOKEN_SHAPE.fullmatch(token) else None
        if found is None:
            # One message for unknown and revoked tokens: the answer tells nothing about which.
            raise AuthenticationError(message="Invalid or revoked API token.")
        record_use(found)
        return found


def token_of(request: HttpRequest) -> ApiToken:
    token = getattr(request, "auth", None)
    if not isinstance(token, ApiToken):  # pragma: no cover - every route requires authentication
        raise AuthenticationError()
    return token


def agency_of(request: HttpRequest) -> Agency:
    """The agency every query of this request is scoped to."""
    return token_of(request).agency
