"""Who may see a password-protected page: visitors holding a signed cookie from the unlock form.

The cookie names the page and a fingerprint of its password hash, so changing the password
locks everyone out again; it is signed with the install's secret key and expires after 30 days.
"""

from __future__ import annotations

import hashlib

from django.core import signing
from django.http import HttpRequest, HttpResponse

from veilleur.statuspages.models import StatusPage

ACCESS_DAYS = 30
_SALT = "veilleur.statuspages.access"


def cookie_name(page: StatusPage) -> str:
    return f"veilleur_status_{page.pk}"


def _fingerprint(page: StatusPage) -> str:
    return hashlib.sha256(page.password_hash.encode()).hexdigest()[:32]


def has_access(request: HttpRequest, page: StatusPage) -> bool:
    if not page.is_protected:
        return True
    return holds_access(request, *access_gate(page))


def access_gate(page: StatusPage) -> tuple[str, dict[str, object]]:
    """The cookie a visitor of a protected page must hold, and what it must say: plain values,
    so the check can be made again without the database (statuspages/fallback.py)."""
    return cookie_name(page), {"page": page.pk, "password": _fingerprint(page)}


def holds_access(request: HttpRequest, cookie: str, expected: dict[str, object]) -> bool:
    value = request.COOKIES.get(cookie)
    if not value:
        return False
    try:
        granted = signing.loads(value, salt=_SALT, max_age=ACCESS_DAYS * 86400)
    except signing.BadSignature:
        return False
    return isinstance(granted, dict) and granted == expected


def grant_access(response: HttpResponse, page: StatusPage, root_path: str, *, secure: bool) -> None:
    response.set_cookie(
        cookie_name(page),
        signing.dumps({"page": page.pk, "password": _fingerprint(page)}, salt=_SALT),
        max_age=ACCESS_DAYS * 86400,
        path=root_path,
        secure=secure,
        httponly=True,
        samesite="Lax",
    )
