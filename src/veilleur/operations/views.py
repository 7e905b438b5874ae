"""``/metrics`` on the web role, for a Prometheus server that sends the install's token."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """The process's metrics and the database's gauges. Without VEILLEUR_METRICS_TOKEN the page
    does not exist (404); a request without the token gets 401, a wrong token 403."""
    token = settings.VEILLEUR_METRICS_TOKEN
    if not token:
        raise Http404
    scheme, _space, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        response = HttpResponse(
            _("This page needs the metrics token as a bearer token.") + "\n",
            status=401,
            content_type="text/plain; charset=utf-8",
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    # Constant time: how much of a guess matched must not show in how long the answer takes.
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        return HttpResponse(
            _("This is not the metrics token.") + "\n", status=403, content_type="text/plain; charset=utf-8"
        )
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

    from veilleur.operations.metrics import database_registry

    body = generate_latest(REGISTRY) + generate_latest(database_registry())
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
