"""The page for machines: the JSON summary, RSS and Atom feeds of incidents, SVG badges.

Same data, cache and access rule as the HTML page: a password-protected page answers 401 with
nothing of its content until the visitor has unlocked it in a browser.
"""

from __future__ import annotations

import html
import json
from datetime import datetime
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.xmlutils import SimplerXMLGenerator
from django.views.decorators.http import require_safe

from veilleur.domain.escaping import xml_text
from veilleur.domain.statuspage import ComponentStatus, UptimeBand, uptime_band
from veilleur.reports import formatting
from veilleur.security_headers import BADGE_POLICY, MACHINE_READ_POLICY
from veilleur.statuspages.access import has_access
from veilleur.statuspages.cache import Rendered
from veilleur.statuspages.data import UPTIME_WINDOWS, PageData, PublicIncident, page_data
from veilleur.statuspages.links import page_url
from veilleur.statuspages.models import StatusPage
from veilleur.statuspages.views import OVERALL_WORDS, STATUS_WORDS, UPDATE_WORDS, serve

# Statuspage's page-level indicator, for tools that already read it.
INDICATORS = {
    ComponentStatus.OPERATIONAL: "none",
    ComponentStatus.UNDER_MAINTENANCE: "maintenance",
    ComponentStatus.DEGRADED_PERFORMANCE: "minor",
    ComponentStatus.PARTIAL_OUTAGE: "major",
    ComponentStatus.MAJOR_OUTAGE: "critical",
}
BADGE_COLOURS = {
    UptimeBand.NO_DATA: "#9ca3af",
    UptimeBand.PERFECT: "#15803d",
    UptimeBand.GOOD: "#16a34a",
    UptimeBand.FAIR: "#ca8a04",
    UptimeBand.POOR: "#ea580c",
    UptimeBand.BAD: "#dc2626",
}
STATUS_COLOURS = {
    ComponentStatus.OPERATIONAL: "#15803d",
    ComponentStatus.UNDER_MAINTENANCE: "#2563eb",
    ComponentStatus.DEGRADED_PERFORMANCE: "#ca8a04",
    ComponentStatus.PARTIAL_OUTAGE: "#ea580c",
    ComponentStatus.MAJOR_OUTAGE: "#dc2626",
}
# A badge's window as its reader writes it: "30d" in English, "30 j" in French.
WINDOW_WORDS = {
    "24h": gettext_lazy("24h"),
    "7d": gettext_lazy("7d"),
    "30d": gettext_lazy("30d"),
    "90d": gettext_lazy("90d"),
}
SVG = "image/svg+xml; charset=utf-8"


def _locked() -> HttpResponse:
    return JsonResponse({"error": "this status page is password-protected"}, status=401)


@require_safe
def status_json(request: HttpRequest, page: StatusPage) -> HttpResponse:
    if not has_access(request, page):
        return _locked()
    response = serve(request, page, "json", lambda now: _render_json(page, now))
    if not page.is_protected:  # a public summary is meant to be read by other sites' scripts
        response["Access-Control-Allow-Origin"] = "*"
    response["Content-Security-Policy"] = MACHINE_READ_POLICY
    return response


def _render_json(page: StatusPage, now: datetime) -> tuple[Rendered, datetime | None]:
    data = page_data(page, now)
    summary = {
        "page": {
            "title": page.title,
            "url": page_url(page),
            "language": page.language,
            "time_zone": page.client.time_zone,
            "generated_at": _iso(now),
        },
        "status": {
            "code": data.overall.value,
            "indicator": INDICATORS[data.overall],
            "description": str(OVERALL_WORDS[data.overall]),
        },
        "components": [
            {
                "id": component.id,
                "name": component.name,
                "group": component.group or None,
                "status": component.status.value,
                "uptime_percent": {label: _number(value) for label, value in component.uptime.items()},
            }
            for component in data.components
        ],
        "incidents": [_incident_json(incident) for incident in data.active_incidents],
        "scheduled_maintenances": [
            {
                "title": window.title,
                "note": window.note,
                "components": list(window.components),
                "starts_at": _iso(window.start),
                "ends_at": _iso(window.end),
                "in_progress": window.in_progress,
            }
            for window in data.maintenance
        ],
    }
    body = json.dumps(summary, ensure_ascii=False, indent=2).encode()
    return Rendered(body, "application/json"), data.next_change_at


def _incident_json(incident: PublicIncident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "component": incident.component,
        "kind": incident.kind.value,
        "status": incident.status,
        "started_at": _iso(incident.started_at),
        "recovered_at": _iso(incident.recovered_at) if incident.recovered_at else None,
        "updates": [
            {"status": update.status, "message": update.message, "posted_at": _iso(update.posted_at)}
            for update in incident.updates
        ],
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


# --- feeds ------------------------------------------------------------------------------------


class TextAtomFeed(Atom1Feed):
    """Atom whose entry summaries are text (RFC 4287 §3.1.1), not HTML: a public update is shown
    as it was written, and whatever looks like markup in it stays characters."""

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, {**item, "description": None})
        if item["description"] is not None:
            handler.addQuickElement("summary", item["description"], {"type": "text"})


class _HexReferences(SimplerXMLGenerator):
    """Writes ``&``, ``<`` and ``>`` in text as hexadecimal character references (``&#x3C;``),
    not ``&lt;``: readers disagree on whether RSS titles hold HTML, and this is the encoding the
    RSS Advisory Board's profile recommends as read as plain text by the most of them. It is the
    same XML either way, so descriptions (HTML) mean the same."""

    def characters(self, content: str) -> None:
        # ignorableWhitespace writes its text unescaped; the escaping is done here instead.
        self.ignorableWhitespace(content.translate(_HEX_REFERENCES))


_HEX_REFERENCES = str.maketrans({"&": "&#x26;", "<": "&#x3C;", ">": "&#x3E;"})


class EscapedRss201Feed(Rss201rev2Feed):
    """RSS 2.0, whose ``<description>`` readers take as HTML: the feed's and each item's are
    built here from HTML-escaped text (lines joined by ``<br>``), so no name or update text
    ever reaches a reader as live markup."""

    def write(self, outfile: Any, encoding: str) -> None:
        # Rss201rev2Feed.write, with the writer above (Any: the stubs want AttributesImpl where
        # Django passes dicts).
        handler: Any = _HexReferences(outfile, encoding, short_empty_elements=True)
        handler.startDocument()
        handler.startElement("rss", self.rss_attributes())
        handler.startElement("channel", self.root_attributes())
        self.add_root_elements(handler)
        self.write_items(handler)
        self.endChannelElement(handler)
        handler.endElement("rss")

    def add_root_elements(self, handler: Any) -> None:
        text = self.feed["description"]
        self.feed["description"] = html.escape(text)
        try:
            super().add_root_elements(handler)
        finally:  # the feed keeps its text: writing it again escapes once, not twice
            self.feed["description"] = text

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        text = (item["description"] or "").replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        super().add_item_elements(handler, {**item, "description": "<br>".join(map(html.escape, lines))})


@require_safe
def feed_rss(request: HttpRequest, page: StatusPage) -> HttpResponse:
    return _feed(request, page, EscapedRss201Feed, "rss")


@require_safe
def feed_atom(request: HttpRequest, page: StatusPage) -> HttpResponse:
    return _feed(request, page, TextAtomFeed, "atom")


def _feed(request: HttpRequest, page: StatusPage, kind: type[SyndicationFeed], variant: str) -> HttpResponse:
    if not has_access(request, page):
        return HttpResponse("This status page is password-protected.", status=401, content_type="text/plain")
    response = serve(request, page, variant, lambda now: _render_feed(page, kind, now))
    response["Content-Security-Policy"] = MACHINE_READ_POLICY
    return response


def _render_feed(
    page: StatusPage, kind: type[SyndicationFeed], now: datetime
) -> tuple[Rendered, datetime | None]:
    data = page_data(page, now)
    title = xml_text(page.title, one_line=True)
    feed = kind(
        title=_("%(title)s — incidents") % {"title": title},
        link=page_url(page),
        description=_("Incidents and their updates on %(title)s.") % {"title": title},
        language=page.language,
        feed_url=page_url(page, "feed.atom" if kind is TextAtomFeed else "feed.rss"),
        # Atom requires an author (RFC 4287 §4.1.1); the page speaks for its client.
        author_name=title,
    )
    for incident in data.incidents:
        feed.add_item(**_feed_item(page, incident, data))
    body = feed.writeString("utf-8").encode()
    content_type = "application/atom+xml" if kind is TextAtomFeed else "application/rss+xml"
    return Rendered(body, f"{content_type}; charset=utf-8"), data.next_change_at


def _feed_item(page: StatusPage, incident: PublicIncident, data: PageData) -> dict[str, Any]:
    title = _("%(component)s: %(what)s (%(status)s)") % {
        "component": xml_text(incident.component, one_line=True),
        "what": _("outage") if incident.kind.value == "down" else _("degraded performance"),
        "status": UPDATE_WORDS.get(incident.status, incident.status),
    }
    lines = [
        _("Started %(when)s.") % {"when": formatting.local_datetime(incident.started_at, data.zone)},
    ]
    if incident.recovered_at:
        lines.append(
            _("Recovered %(when)s.") % {"when": formatting.local_datetime(incident.recovered_at, data.zone)}
        )
    for update in incident.updates:
        lines.append(
            f"{UPDATE_WORDS.get(update.status, update.status)} — "
            f"{formatting.local_datetime(update.posted_at, data.zone)}: {xml_text(update.message)}"
        )
    latest = max(
        [incident.started_at, *([incident.recovered_at] if incident.recovered_at else ())]
        + [update.posted_at for update in incident.updates]
    )
    return {
        "title": title,
        "link": page_url(page, f"history/#incident-{incident.id}"),
        "description": "\n".join(lines),
        "unique_id": page_url(page, f"history/#incident-{incident.id}"),
        "unique_id_is_permalink": False,
        "pubdate": incident.started_at,
        "updateddate": latest,
    }


# --- badges -----------------------------------------------------------------------------------


@require_safe
def badge(request: HttpRequest, page: StatusPage, kind: str) -> HttpResponse:
    """``badge/status.svg`` or ``badge/uptime.svg?window=30d``; ``?component=<id>`` for one
    component instead of the whole page."""
    if not has_access(request, page):
        return HttpResponse("This status page is password-protected.", status=401, content_type="text/plain")
    window = request.GET.get("window", "30d")
    component = request.GET.get("component", "")
    if kind not in ("status", "uptime"):
        return _bad_badge(f"unknown badge {kind!r}: use status.svg or uptime.svg")
    if window not in dict(UPTIME_WINDOWS):
        return _bad_badge(f"unknown window {window!r}: use one of {', '.join(dict(UPTIME_WINDOWS))}")
    if component and not component.isdigit():
        return _bad_badge(f"component must be a component id, got {component!r}")
    variant = f"badge:{kind}:{window}:{component}"
    response = serve(request, page, variant, lambda now: _render_badge(page, kind, window, component, now))
    if response.content == b"":
        return HttpResponse("No such component on this page.", status=404, content_type="text/plain")
    response["Content-Security-Policy"] = BADGE_POLICY
    return response


def _bad_badge(message: str) -> HttpResponse:
    return HttpResponse(message, status=400, content_type="text/plain")


def _render_badge(
    page: StatusPage, kind: str, window: str, component_id: str, now: datetime
) -> tuple[Rendered, datetime | None]:
    data = page_data(page, now)
    components = data.components
    if component_id:
        components = tuple(c for c in components if str(c.id) == component_id)
        if not components:
            return Rendered(b"", SVG), data.next_change_at
    if kind == "status":
        status = components[0].status if component_id else data.overall
        label = components[0].name if component_id else page.title
        value, colour = str(STATUS_WORDS[status]), STATUS_COLOURS[status]
    else:
        uptime = _combined_uptime(components, window) if not component_id else components[0].uptime[window]
        label = _("uptime %(window)s") % {"window": WINDOW_WORDS[window]}
        value, colour = formatting.percent(uptime), BADGE_COLOURS[uptime_band(uptime)]
    return Rendered(_badge_svg(label, value, colour).encode(), SVG), data.next_change_at


def _combined_uptime(components: Any, window: str) -> Decimal | None:
    """The page's figure for a window: the worst component's, which is what a visitor cares about."""
    values = [c.uptime[window] for c in components if c.uptime[window] is not None]
    return min(values) if values else None


def _text_width(text: str) -> int:
    # Verdana 11px averages about 7 px per character; wide enough for accents and digits.
    return 7 * len(text) + 10


def _badge_svg(label: str, value: str, colour: str) -> str:
    """The badge, built as elements by an XML writer: names reach it only as text and attribute
    values, which the writer escapes (quotes included), never as markup."""
    label, value = xml_text(label, one_line=True), xml_text(value, one_line=True)
    left, right = _text_width(label), _text_width(value)
    spoken = _("%(label)s: %(value)s") % {"label": label, "value": value}
    svg = Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "width": str(left + right),
            "height": "20",
            "role": "img",
            "aria-label": spoken,
        },
    )
    SubElement(svg, "title").text = spoken
    SubElement(svg, "rect", {"width": str(left), "height": "20", "fill": "#555"})
    SubElement(svg, "rect", {"x": str(left), "width": str(right), "height": "20", "fill": colour})
    texts = SubElement(
        svg,
        "g",
        {
            "fill": "#fff",
            "text-anchor": "middle",
            "font-family": "Verdana,DejaVu Sans,sans-serif",
            "font-size": "11",
        },
    )
    SubElement(texts, "text", {"x": str(left / 2), "y": "14"}).text = label
    SubElement(texts, "text", {"x": str(left + right / 2), "y": "14"}).text = value
    return tostring(svg, encoding="unicode")
