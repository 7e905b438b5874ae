"""Which status page a request is for, decided from its Host header and path, before anything else.

- A host in ``ALLOWED_HOSTS`` is the agency's own: ``/s/<slug>/…`` is a status page, everything
  else goes on to the rest of the application.
- Any other host is served only when it is a verified custom domain, and then only its own
  page, at ``/``; or when it is an agency's own portal domain, and then only the client portal
  (portal/domains.py). An unknown host gets a bare 400: never another tenant's page, and never a link
  built from a name nobody vouched for.

Status pages are answered here, without the agency application's sessions, CSRF machinery or
authentication: they are public (or behind their own password cookie), they are the hot path
under load, and on a custom domain the agency's cookies do not exist anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.request import split_domain_port, validate_host
from django.urls import Resolver404, resolve
from django.utils import translation

from veilleur.portal.domains import portal_on_domain, serve_portal_domain
from veilleur.security_headers import STATUS_PAGE_POLICY, status_page_policy
from veilleur.statuspages import fallback
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
        try:
            return self._route(request, host)
        except (OperationalError, InterfaceError) as exc:
            # The database is away: the page as last rendered, never a 500 (fallback.py).
            return fallback.answer_without_database(request, host, exc)

    def _route(self, request: HttpRequest, host: str) -> HttpResponse:
        if not validate_host(host, settings.ALLOWED_HOSTS):
            page = _page_on_domain(host)
            if page is None:
                portal = portal_on_domain(host)
                if portal is not None:
                    return serve_portal_domain(request, portal, self.get_response)
                return HttpResponseBadRequest(f"Unknown host {host!r}", content_type="text/plain")
            return _dispatch(request, host, page, request.path_info, root="/")
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
        return _dispatch(request, host, page, "/" + rest, root=root)


def _host_of(request: HttpRequest) -> str | None:
    """The Host header's name, lower-case, without port; None when it is not a plausible name.
    Proxies' X-Forwarded-Host is not trusted: the proxy in front must pass Host through."""
    raw = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "")
    domain, _port = split_domain_port(raw)
    return domain or None


def _serving_pages() -> Any:
    # Only clients whose plan includes a page have one on show.
    return StatusPage.objects.filter(client__plan__status_page=True)


# Stands for the request's value in a compiled page query.
_LOOKED_UP = "\x00looked up\x00"


class _PageLookup:
    """The page query every status page request makes, by one field.

    Building it with the ORM cost about 1 ms of CPU per request: most of what a cached page
    costs in the application (bench/statuspage). The SQL is the same every time but for the
    value looked up, so the ORM compiles it once per process, from the same filters, and each
    request runs it as raw SQL with its own value (about 0.15 ms). The page comes alone: its
    client is read only when a rendering needs it, which a cache hit does not.
    """

    def __init__(self, **filters: Any) -> None:
        self.filters = filters
        self.compiled: tuple[str, tuple[Any, ...]] | None = None

    def first(self, value: str) -> StatusPage | None:
        if self.compiled is None:
            # Unique fields: ordering cannot choose between rows, so none is asked for.
            self.compiled = _serving_pages().filter(**self.filters).order_by()[:1].query.sql_with_params()
        sql, params = self.compiled
        rows = StatusPage.objects.raw(sql, [value if param == _LOOKED_UP else param for param in params])
        return next(iter(rows), None)


_BY_DOMAIN = _PageLookup(custom_domain=_LOOKED_UP, domain_verified_at__isnull=False)
_BY_SLUG = _PageLookup(slug=_LOOKED_UP)


def _page_on_domain(host: str) -> StatusPage | None:
    return _BY_DOMAIN.first(host)


def _page_by_slug(slug: str) -> StatusPage | None:
    if not slug:
        return None
    return _BY_SLUG.first(slug)


def _dispatch(request: HttpRequest, host: str, page: StatusPage, path: str, *, root: str) -> HttpResponse:
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
    response = _with_page_headers(response, page)
    fallback.remember(request, host, page, response)
    return response


def _with_page_headers(response: HttpResponse, page: StatusPage | None = None) -> HttpResponse:
    """The headers of every answer for a status page. The views of badges, feeds and the JSON
    summary set a stricter policy of their own, which is kept. The page's HTML may be framed
    by the origins the agency listed on it; the headers follow the page row read for this
    request, never a cached rendering."""
    policy = status_page_policy(page.embed_origins) if page is not None else STATUS_PAGE_POLICY
    if "Content-Security-Policy" not in response.headers and policy != STATUS_PAGE_POLICY:
        response.headers["Content-Security-Policy"] = policy
    else:
        response.headers.setdefault("Content-Security-Policy", STATUS_PAGE_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _not_found(request: HttpRequest, page: StatusPage | None, root: str) -> HttpResponse:
    from veilleur.statuspages.views import not_found

    # No page, no language chosen for it: the visitor's browser says which.
    language = page.language if page else translation.get_language_from_request(request)
    with translation.override(language):
        return _with_page_headers(not_found(request, page, root), page)


def _redirect(location: str) -> HttpResponse:
    response = HttpResponse(status=301)
    response["Location"] = location
    return response
