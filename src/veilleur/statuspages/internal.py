"""Endpoints for the machines in front of Veilleur, not for people.

``GET /internal/tls-allowed?domain=X`` is the question a TLS proxy with on-demand certificates
(Caddy's ``on_demand_tls { ask … }``) asks before getting a certificate for a name a visitor
sent: 200 only for a verified custom domain of a page this install serves, so that nobody can
make the proxy request certificates for names of their choosing. The answer says nothing that
the domain's own DNS and HTTPS do not already say, so it needs no authentication.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from veilleur.domain.validators import check_domain
from veilleur.statuspages.models import StatusPage

log = logging.getLogger("veilleur.statuspages")


def _plain(text: str, status: int) -> HttpResponse:
    return HttpResponse(f"{text}\n", status=status, content_type="text/plain; charset=utf-8")


# CSRF does not apply (nothing changes), and a POST must get its 405 rather than a 403.
@csrf_exempt
@require_GET
def tls_allowed(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("domain", "").strip()
    if not raw:
        return _plain("missing parameter: domain", 400)
    try:
        domain = check_domain(raw.removesuffix("."))
    except ValueError as exc:
        return _plain(f"domain: {exc}", 400)
    try:
        allowed = is_served_custom_domain(domain)
    except DatabaseError:
        # No certificate for now; the proxy asks again on the next handshake.
        log.exception("tls-allowed: database error while looking up %s", domain)
        return _plain("database unavailable", 503)
    if allowed:
        return _plain("ok", 200)
    refused = _plain(f"{domain} is not a verified custom domain", 404)
    # An expected answer, not an error: anyone can send a TLS handshake with any name, and each
    # one would otherwise add a "Not Found" warning to the log.
    refused._has_been_logged = True  # type: ignore[attr-defined]
    return refused


def is_served_custom_domain(domain: str) -> bool:
    """The same rule as the page routing: a verified domain of a page whose plan includes one, or
    an agency's own portal domain."""
    from veilleur.portal.domains import portal_on_domain

    return (
        StatusPage.objects.filter(
            custom_domain=domain, domain_verified_at__isnull=False, client__plan__status_page=True
        ).exists()
        or portal_on_domain(domain) is not None
    )
