"""What each kind of response lets a browser do: its Content-Security-Policy, and HSTS.

Django's ``SecurityMiddleware`` already sends ``X-Content-Type-Options: nosniff`` and
``Referrer-Policy`` on every response, status pages included (it runs before the status page
routing); ``XFrameOptionsMiddleware`` covers the agency application and the status page routing
sets ``X-Frame-Options`` itself. This module adds the rest. The policies are fixed strings, not
per-request nonces: status pages are rendered once and served from a cache to every visitor, so
a rendering cannot carry a nonce of its own request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from veilleur.domain.validators import check_embed_origin

CSP = "Content-Security-Policy"

# The agency application: dashboard, admin, API and its reference page, client portal. Scripts
# only from its own files (no inline script, no eval). Inline styles are allowed because the
# pages set the agency's colour in a <style> element and the admin and the API reference page
# set style attributes; styles cannot run code. Images may be the logos the agency typed (any
# http(s) address) or data: icons of the API reference page.
APPLICATION_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: https: http:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# A status page and its history, password form, subscription pages: the page's own script and
# style sheet, inline style for the brand colours (the rendering is shared by every visitor, see
# above), the client's logo and favicon from wherever they are hosted, requests by script only to
# the page's own host (its JSON summary), forms posting only to the page itself, and never
# inside another site's frame unless the agency named that site on the page.
STATUS_PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: https: http:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


def status_page_policy(embed_origins: Sequence[str]) -> str:
    """The status page policy, with ``frame-ancestors`` naming the sites the agency allowed to
    show the page in a frame (checked https origins, see ``check_embed_origins``), if any."""
    # Checked again on the way out: a value that is not a plain origin never reaches the header.
    origins = [origin for origin in embed_origins if _is_plain_origin(origin)]
    if not origins:
        return STATUS_PAGE_POLICY
    return STATUS_PAGE_POLICY.replace("frame-ancestors 'none'", "frame-ancestors " + " ".join(origins))


def _is_plain_origin(value: object) -> bool:
    try:
        return isinstance(value, str) and check_embed_origin(value) == value
    except ValueError:
        return False


# An SVG badge: opened on its own, it may draw and nothing else (no script, no fetch).
BADGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'"

# Feeds and the JSON summary are data: opened in a browser tab, nothing in them runs or loads.
MACHINE_READ_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"


def add_hsts(response: HttpResponse) -> None:
    """Strict-Transport-Security when the install says it is served over HTTPS
    (``VEILLEUR_HSTS_SECONDS``, by default one year when ``VEILLEUR_BASE_URL`` is https). Browsers
    ignore the header on plain-HTTP responses, so loopback access by IP is not affected."""
    seconds = settings.VEILLEUR_HSTS_SECONDS
    if seconds > 0:
        response.headers.setdefault("Strict-Transport-Security", f"max-age={seconds}")


class SecurityHeaders:
    """Outermost after Django's SecurityMiddleware: every response gets HSTS (when enabled) and a
    Content-Security-Policy, the agency application's unless the response set its own (status
    pages, badges, feeds do)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault(CSP, APPLICATION_POLICY)
        add_hsts(response)
        return response
