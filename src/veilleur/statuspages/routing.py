"""Which status page a request is for, decided from its Host header and path, before anything else.

- A host in ``ALLOWED_HOSTS`` is the agency's own: ``/s/<slug>/…`` is a status page, everything
  else goes on to the rest of the application.
- Any other host is served only when it is a verified custom domain, and then only its own
  page, at ``/``. An unknown host gets a bare 400: never another tenant's page, and never a link
  built from a name nobody vouched for.

Status pages are answered here, without the agency application's sessions, CSRF machinery or
authentication: they are public (or behind their own password cookie), they are the hot path
under load, and on a custom domain the agency's cookies do not exist anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.request import split_domain_port, validate_host
from django.urls import Resolver404, resolve
from django.utils import translation

from veilleur.statuspages.models import StatusPage

PAGE_URLCONF = "veilleur.statuspages.urls"
_PREFIX = "/s/"


class StatusPageRouting:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        host = _host_of(request)
        if host is None:
            return HttpResponseBadRequest("Bad Host header", content_type="text/plain")
        if not validate_host(host, settings.ALLOWED_HOSTS):
            page = _page_on_domain(host)
            if page is None:
                return HttpResponseBadRequest(f"Unknown host {host!r}", content_type="text/plain")
            return _dispatch(request, page, request.path_info, root="/")
        path = request.path_info
        if not path.startswith(_PREFIX):
            return self.get_response(request)
        slug, _, rest = path[len(_PREFIX) :].partition("/")
        root = f"{_PREFIX}{slug}/"
        page = _page_by_slug(slug)
        if page is None:
            return _not_found(request, None, root)
        if not path.startswith(root):  # "/s/<slug>" without its slash
            return _redirect(root)
        return _dispatch(request, page, "/" + rest, root=root)


def _host_of(request: HttpRequest) -> str | None:
    """The Host header's name, lower-case, without port; None when it is not a plausible name.
    Proxies' X-Forwarded-Host is not trusted: the proxy in front must pass Host through."""
    raw = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "")
    domain, _port = split_domain_port(raw)
    return domain or None


def _serving_pages() -> Any:
    # Only clients whose plan includes a page have one on show.
    return StatusPage.objects.select_related("client", "client__plan").filter(client__plan__status_page=True)


def _page_on_domain(host: str) -> StatusPage | None:
    return _serving_pages().filter(custom_domain=host, domain_verified_at__isnull=False).first()


def _page_by_slug(slug: str) -> StatusPage | None:
    if not slug:
        return None
    return _serving_pages().filter(slug=slug).first()


def _dispatch(request: HttpRequest, page: StatusPage, path: str, *, root: str) -> HttpResponse:
    request.status_page_root = root  # type: ignore[attr-defined]
    with translation.override(page.language):
        try:
            match = resolve(path, urlconf=PAGE_URLCONF)
        except Resolver404:
            return _not_found(request, page, root)
        try:
            response: HttpResponse = match.func(request, page=page, **match.kwargs)
        except Http404:
            return _not_found(request, page, root)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _not_found(request: HttpRequest, page: StatusPage | None, root: str) -> HttpResponse:
    from veilleur.statuspages.views import not_found

    with translation.override(page.language if page else None):
        return not_found(request, page, root)


def _redirect(location: str) -> HttpResponse:
    response = HttpResponse(status=301)
    response["Location"] = location
    return response
