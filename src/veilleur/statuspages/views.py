"""The public status page: the page itself, its incident history, the password form, and a
branded "not found". Called by ``routing.StatusPageRouting`` with the page already resolved.

Everything a page shows is rendered once per state version and served from the cache
(``statuspages.cache``); the password check comes before the cache, so a protected page's
rendering never reaches a visitor without access.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from veilleur.clients.logos import logo_digest, stored_logo
from veilleur.domain.contrast import readable_text_colour, text_colour_on
from veilleur.domain.statuspage import ComponentStatus
from veilleur.reports import formatting
from veilleur.statuspages.access import grant_access, has_access
from veilleur.statuspages.cache import Rendered, cached
from veilleur.statuspages.data import ComponentView, DayBar, PageData, components_data, page_data
from veilleur.statuspages.encoding import rendering_response
from veilleur.statuspages.fallback import RENDERING_MARK
from veilleur.statuspages.models import StatusComponent, StatusPage
from veilleur.statuspages.strips import days_summary, strip_link, strip_svg
from veilleur.statuspages.throttles import unlock_attempt
from veilleur.throttling.limits import Refused

STATUS_WORDS = {
    ComponentStatus.OPERATIONAL: gettext_lazy("Operational"),
    ComponentStatus.UNDER_MAINTENANCE: gettext_lazy("Under maintenance"),
    ComponentStatus.DEGRADED_PERFORMANCE: gettext_lazy("Degraded performance"),
    ComponentStatus.PARTIAL_OUTAGE: gettext_lazy("Partial outage"),
    ComponentStatus.MAJOR_OUTAGE: gettext_lazy("Major outage"),
}
OVERALL_WORDS = {
    ComponentStatus.OPERATIONAL: gettext_lazy("All systems operational"),
    ComponentStatus.UNDER_MAINTENANCE: gettext_lazy("Maintenance in progress"),
    ComponentStatus.DEGRADED_PERFORMANCE: gettext_lazy("Degraded performance"),
    ComponentStatus.PARTIAL_OUTAGE: gettext_lazy("Partial outage"),
    ComponentStatus.MAJOR_OUTAGE: gettext_lazy("Major outage"),
}
UPDATE_WORDS = {
    "investigating": gettext_lazy("Investigating"),
    "identified": gettext_lazy("Identified"),
    "monitoring": gettext_lazy("Monitoring"),
    "resolved": gettext_lazy("Resolved"),
}
HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Branding:
    title: str
    logo_version: str  # the stored logo's fingerprint, "" when there is none to show
    favicon_url: str
    primary_color: str
    accent_color: str
    footer_text: str
    footer_url: str

    @property
    def link_color(self) -> str:
        """The primary colour as text on the page's light backgrounds: darkened to WCAG AA."""
        return readable_text_colour(self.primary_color, PAGE_BACKGROUNDS)

    @property
    def on_primary_color(self) -> str:
        """Text drawn on the primary colour (the masthead, buttons): white, ink or black."""
        return text_colour_on(self.primary_color)


# The backgrounds text sits on (status.css: --paper and --wash); links must read on both.
PAGE_BACKGROUNDS = ("#ffffff", "#f6f7f9")


def branding(page: StatusPage) -> Branding:
    client = page.client
    agency = client.agency
    return Branding(
        title=page.title,
        logo_version=logo_digest(page.logo_url or client.logo_url),
        favicon_url=page.favicon_url,
        primary_color=page.primary_color or client.primary_color or agency.primary_color or "#1d4ed8",
        accent_color=page.accent_color or client.accent_color or agency.accent_color or "#0f766e",
        footer_text=page.footer_text,
        footer_url=page.footer_url,
    )


def root_of(request: HttpRequest) -> str:
    return str(getattr(request, "status_page_root", "/"))


def serve(request: HttpRequest, page: StatusPage, variant: str, render: Any) -> HttpResponse:
    """A cached rendering as a response; ``render(now)`` makes a fresh (Rendered, stale_at)."""
    now = timezone.now()
    rendered = cached(page, f"{variant}:{root_of(request)}", now, lambda: render(now))
    response = rendering_response(request, rendered)
    # Protected pages must not sit in shared caches; public ones may, briefly.
    response["Cache-Control"] = "private, no-store" if page.is_protected else "public, max-age=30"
    # Kept by the routing, to be served while the database is away (fallback.py).
    setattr(response, RENDERING_MARK, rendered)
    return response


@require_safe
def page_view(request: HttpRequest, page: StatusPage) -> HttpResponse:
    if not has_access(request, page):
        return unlock_form(request, page)
    return serve(request, page, "page", lambda now: _render_html(request, page, "statuspages/page.html", now))


@require_safe
def history_view(request: HttpRequest, page: StatusPage) -> HttpResponse:
    if not has_access(request, page):
        return unlock_form(request, page)
    return serve(
        request, page, "history", lambda now: _render_html(request, page, "statuspages/history.html", now)
    )


def _render_html(
    request: HttpRequest, page: StatusPage, template: str, now: datetime
) -> tuple[Rendered, Any]:
    data = page_data(page, now)
    root = root_of(request)
    context: dict[str, Any] = {
        "page": page,
        "brand": branding(page),
        "root": root,
        "data": data,
        "overall_words": OVERALL_WORDS[data.overall],
    }
    if template == "statuspages/history.html":
        context["incident_days"] = _incidents_by_day(data)
    else:
        words = _ComponentWords.now()
        # A window over every component says so, instead of naming hundreds of them.
        context["component_count"] = sum(len(group.components) for group in data.groups)
        context["groups"] = [
            (
                group.name,
                [
                    _component_context(component, root, words, heading=3 if group.name else 2)
                    for component in group.components
                ],
            )
            for group in data.groups
        ]
    body = render_to_string(template, context)
    return Rendered(body.encode(), HTML), data.next_change_at


WINDOW_LABELS = {
    "24h": gettext_lazy("24 hours"),
    "7d": gettext_lazy("7 days"),
    "30d": gettext_lazy("30 days"),
    "90d": gettext_lazy("90 days"),
}


@dataclass(frozen=True)
class _ComponentWords:
    """What every component says the same, translated once per rendering, not once per component."""

    windows: dict[str, str]
    statuses: dict[ComponentStatus, str]
    ago_90: str
    ago_30: str
    day_by_day: str
    today: str

    @classmethod
    def now(cls) -> _ComponentWords:
        return cls(
            windows={label: str(word) for label, word in WINDOW_LABELS.items()},
            statuses={status: str(word) for status, word in STATUS_WORDS.items()},
            ago_90=_("90 days ago"),
            ago_30=_("30 days ago"),
            day_by_day=_("Day by day"),
            today=_("Today"),
        )


def _component_context(
    component: ComponentView, root: str, words: _ComponentWords, *, heading: int = 2
) -> dict[str, Any]:
    href = f"{root}components/{component.id}/"
    uptime = [(words.windows[label], _percent(value)) for label, value in component.uptime.items()]
    summary = days_summary(component.name, component.days)
    return {
        "component": component,
        "status_word": words.statuses[component.status],
        "uptime": uptime,
        "href": href,
        "summary": summary,
        "html": _component_html(component, href, uptime, summary, words, heading),
    }


def _component_html(
    component: ComponentView,
    href: str,
    uptime: list[tuple[str, str]],
    summary: str,
    words: _ComponentWords,
    heading: int,
) -> SafeString:
    """One component of the page. Written here, not in the template: a page of 500 components
    spent most of its rendering time in the template's tags for these few lines."""
    name = escape(component.name)
    status_word = escape(words.statuses[component.status])
    figures = "".join(f"<div><dt>{escape(word)}</dt><dd>{escape(value)}</dd></div>" for word, value in uptime)
    return mark_safe(
        f'<article class="component" id="component-{component.id}">'
        f'<div class="component-head"><h{heading}>{name}</h{heading}>'
        f'<span class="pill status-{component.status.value}">{status_word}</span>'
        f"</div>{strip_link(href, component.days)}"
        f'<div class="bars-legend"><span class="legend-90">{escape(words.ago_90)}</span>'
        f'<span class="legend-30">{escape(words.ago_30)}</span>'
        f'<a href="{escape(href)}">{escape(words.day_by_day)}<span class="visually-hidden"> — '
        f"{escape(summary)}</span></a><span>{escape(words.today)}</span></div>"
        f'<dl class="uptimes">{figures}</dl></article>'
    )


def _percent(value: Decimal | None) -> str:
    """``formatting.percent``, remembered per value and language: the same few figures (100 %,
    99.99 %…) come back hundreds of times on a large page, and number formatting is not cheap."""
    key = (value, get_language())
    text = _PERCENT_TEXTS.get(key)
    if text is None:
        if len(_PERCENT_TEXTS) > 10_000:
            _PERCENT_TEXTS.clear()
        text = _PERCENT_TEXTS[key] = formatting.percent(value)
    return text


_PERCENT_TEXTS: dict[tuple[Decimal | None, str | None], str] = {}


@require_safe
def component_view(request: HttpRequest, page: StatusPage, component_id: int) -> HttpResponse:
    """One component's day-by-day page: each of its 90 days in words (uptime, downtime, outages)
    and its incidents. Only a component of this page: any other id answers the page's 404."""
    if not has_access(request, page):
        return unlock_form(request, page)
    component = None
    if component_id <= _LARGEST_ID:  # a larger number is nobody's id, and no database takes it
        component = StatusComponent.objects.filter(page=page, pk=component_id).select_related("site").first()
    if component is None:
        return not_found(request, page, root_of(request))
    return serve(
        request,
        page,
        f"component:{component.pk}",
        lambda now: _render_component(request, page, component, now),
    )


_LARGEST_ID = 2**63 - 1


def _render_component(
    request: HttpRequest, page: StatusPage, component: StatusComponent, now: datetime
) -> tuple[Rendered, Any]:
    data = components_data(page.client, [component], now)
    (view,) = data.components
    day_labels = {bar.day: formatting.long_date(bar.day) for bar in view.days}
    context = {
        "page": page,
        "brand": branding(page),
        "root": root_of(request),
        "data": data,
        "item": _component_context(view, root_of(request), _ComponentWords.now()),
        "strip": strip_svg(view.days),
        # Newest first: a visitor comes for what happened lately.
        "days": [_bar_context(bar, data, day_labels[bar.day]) for bar in reversed(view.days)],
    }
    body = render_to_string("statuspages/component.html", context)
    return Rendered(body.encode(), HTML), data.next_change_at


def _bar_context(bar: DayBar, data: PageData, day_label: str) -> dict[str, Any]:
    outages = [
        _("Outage %(start)s–%(end)s") % {"start": _clock(span.start, data), "end": _clock(span.end, data)}
        if not span.ongoing
        else _("Outage since %(start)s") % {"start": _clock(span.start, data)}
        for span in bar.outages
    ]
    if bar.uptime_percent is None:
        summary = _("No data")
    elif not bar.outages:
        summary = _("No incidents")
    else:
        summary = _("Down %(duration)s") % {"duration": formatting.duration(bar.downtime)}
    return {
        "day": day_label,
        "iso": bar.day.isoformat(),
        "band": bar.band.value,
        "uptime": formatting.percent(bar.uptime_percent) if bar.uptime_percent is not None else "",
        "summary": summary,
        "outages": outages,
    }


def _clock(moment: datetime, data: PageData) -> str:
    return moment.astimezone(data.zone).strftime("%H:%M")


def _incidents_by_day(data: PageData) -> list[tuple[str, list[Any]]]:
    days: list[tuple[str, list[Any]]] = []
    for incident in data.incidents:
        label = formatting.long_date(incident.started_at.astimezone(data.zone).date())
        if not days or days[-1][0] != label:
            days.append((label, []))
        days[-1][1].append(incident)
    return days


def unlock_form(
    request: HttpRequest, page: StatusPage, *, error: str = "", status: int = 401
) -> HttpResponse:
    """The password form; it shows the page's title and logo and nothing else of it."""
    body = render_to_string(
        "statuspages/unlock.html",
        {"page": page, "brand": branding(page), "root": root_of(request), "error": error},
    )
    response = HttpResponse(body, content_type=HTML, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


# The form posts from a page that may live on the client's own domain, outside the agency
# application's session and CSRF cookie; forging it only logs a visitor into a read-only page.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unlock_view(request: HttpRequest, page: StatusPage) -> HttpResponse:
    if not page.is_protected or request.method == "GET":
        return _redirect(root_of(request))
    attempt = unlock_attempt(request, page)
    if isinstance(attempt, Refused):
        response = unlock_form(request, page, error=attempt.message(), status=429)
        response["Retry-After"] = str(attempt.retry_after_seconds)
        return response
    password = request.POST.get("password", "")
    if not page.check_password(password):
        return unlock_form(request, page, error=_("This password is not the right one."), status=403)
    attempt.release()  # the right password does not count against anyone
    response = _redirect(root_of(request))
    grant_access(response, page, root_of(request), secure=request.is_secure())
    return response


@require_safe
def logo_view(request: HttpRequest, page: StatusPage) -> HttpResponse:
    """The page's logo, from the copy stored by the worker (never fetched for a visitor).

    Served to every visitor, password or not: the password form shows it too."""
    row = stored_logo(page.logo_url or page.client.logo_url)
    if row is None:
        return not_found(request, page, root_of(request))
    response = HttpResponse(bytes(row.data), content_type=row.media_type)
    # The address carries the image's fingerprint (?v=…): a new image gets a new address.
    response["Cache-Control"] = "public, max-age=86400"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


def not_found(request: HttpRequest, page: StatusPage | None, root: str) -> HttpResponse:
    body = render_to_string(
        "statuspages/not_found.html", {"page": page, "brand": branding(page) if page else None, "root": root}
    )
    return HttpResponse(body, content_type=HTML, status=404)


def _redirect(location: str) -> HttpResponse:
    response = HttpResponse(status=303)
    response["Location"] = location
    return response
