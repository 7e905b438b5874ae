"""The API reference page (``/api/v1/docs``), with Swagger UI served from our own static files.

django-ninja renders it from its template only when ``ninja`` is an installed app, and from a
CDN otherwise (which the Content-Security-Policy forbids). Veilleur keeps ninja out of the
installed apps so that processes that never serve the API do not import it (settings.py), and
renders the same template here.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import Swagger

if TYPE_CHECKING:
    from ninja import NinjaAPI


class LocalSwagger(Swagger):
    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {
            "swagger_settings": json.dumps(self.settings, indent=1),
            "api": api,
            "add_csrf": False,  # bearer tokens only: no cookie, no CSRF token to send
        }
        return render(request, self.template, context)
