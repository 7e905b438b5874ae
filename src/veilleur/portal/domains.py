"""An agency's own portal domain: the Host routing (statuspages/routing.py) hands requests for it
here, and the on-demand TLS question (statuspages/internal.py) says yes to it.

On that host only the portal answers (``/`` leads to it); the staff application, the admin and
the API do not exist there. The host is vouched for by the agency's own setting, so Django is
told to accept it for this request (``ALLOWED_HOSTS`` lists the install's own names only).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseRedirect

from veilleur.accounts.models import Agency
from veilleur.portal.models import PortalDomain

PORTAL_PREFIX = "/portal/"


def portal_on_domain(host: str) -> Agency | None:
    row = PortalDomain.objects.select_related("agency").filter(domain=host.lower()).first()
    return None if row is None else row.agency


def serve_portal_domain(
    request: HttpRequest, agency: Agency, get_response: Callable[[HttpRequest], HttpResponse]
) -> HttpResponse:
    path = request.path_info
    if path == "/":
        return HttpResponseRedirect(PORTAL_PREFIX)
    if not path.startswith(PORTAL_PREFIX):
        return HttpResponseNotFound("Not found", content_type="text/plain")
    raw_host = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "")
    request.get_host = lambda: raw_host  # type: ignore[method-assign]
    request.portal_agency = agency  # type: ignore[attr-defined]
    return get_response(request)
