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

log = logging.getLogger("veilleur.web")

# How long a client is asked to wait: a database restart or failover takes seconds to a minute.
RETRY_AFTER_SECONDS = 30
# One warning per this many seconds at most, however many requests fail meanwhile.
LOG_EVERY_SECONDS = 60.0
_API_PREFIX = "/api/"


def is_database_unavailable(exc: BaseException | None) -> bool:
    """True when ``exc`` says the database cannot be reached now, not that a query is wrong."""
    return isinstance(exc, OperationalError | InterfaceError)


class DatabaseUnavailable:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_unavailable(exception):
            return None
        return unavailable_response(request, exception)


def unavailable_response(request: HttpRequest, exception: BaseException) -> HttpResponse:
    """The 503 for ``request``: JSON for the API, a plain page for people."""
    _note(exception)
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


_last_logged = -LOG_EVERY_SECONDS


def _note(exception: BaseException) -> None:
    """A line in the log, not one per request: a busy site would write thousands a minute."""
    global _last_logged
    now = time.monotonic()
    if now - _last_logged >= LOG_EVERY_SECONDS:
        _last_logged = now
        log.warning("database unavailable, answering 503: %s", first_line(exception))


def first_line(exception: BaseException) -> str:
    """The gist of a driver's error, which often runs over several lines."""
    text = str(exception).strip()
    return text.splitlines()[0] if text else type(exception).__name__
