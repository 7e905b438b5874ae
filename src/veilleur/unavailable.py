"""What the web role answers while its database is away: a 503, never a 500 or a traceback.

A database that cannot be reached (stopped, crashed, restarting, network cut) raises Django's
``OperationalError`` or ``InterfaceError``; anything else is a bug and stays a 500. The API
answers its usual JSON error with ``Retry-After``; people get a short plain page. Status pages
are answered before this, by their routing, from their last rendering (statuspages/fallback.py).

``DatabaseUnavailable`` catches what views raise; ``server_error`` (the install's handler500)
catches what the middleware around the views raises, such as saving a session.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from html import escape

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

from veilleur.outage import Outage, database_answers, is_database_unavailable

log = logging.getLogger("veilleur.web")

# How long a client is asked to wait: a database restart or failover takes seconds to a minute.
RETRY_AFTER_SECONDS = 30
_API_PREFIX = "/api/"


# This process's view of the database: one log line when it is lost, one when it is back.
OUTAGE = Outage(log)
# While the database is away, whether it is back is asked at most this often, not per request.
RECHECK_SECONDS = 5.0


class DatabaseUnavailable:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._checked_at = 0.0

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if OUTAGE.active:
            self._notice_return()
        return self.get_response(request)

    def _notice_return(self) -> None:
        now = time.monotonic()
        if now - self._checked_at < RECHECK_SECONDS:
            return
        self._checked_at = now
        try:
            database_answers()
        except (OperationalError, InterfaceError):
            return
        OUTAGE.back()

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_unavailable(exception):
            return None
        return unavailable_response(request, exception)


def unavailable_response(request: HttpRequest, exception: BaseException) -> HttpResponse:
    """The 503 for ``request``: JSON for the API, a plain page for people."""
    OUTAGE.lost(exception)
    response: HttpResponse
    if request.path_info.startswith(_API_PREFIX):
        # The API's own error format (api/errors.py); its messages are English, like the rest of it.
        response = JsonResponse(
            {"error": "The database is unavailable; try again in a moment.", "fields": {}}, status=503
        )
    else:
        response = HttpResponse(plain_page(), status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def plain_page() -> str:
    """A page that needs nothing but the translation catalogue: no template that reads the database."""
    title = escape(_("Temporarily unavailable"))
    text = escape(_("The service cannot reach its database. Please try again in a moment."))
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><h1>{title}</h1><p>{text}</p></body></html>"
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database that went away is a 503 here too, whichever middleware met it."""
    exception = sys.exc_info()[1]
    if is_database_unavailable(exception):
        assert exception is not None
        return unavailable_response(request, exception)
    return defaults.server_error(request)
