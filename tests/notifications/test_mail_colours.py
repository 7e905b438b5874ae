"""Mails wear the brand's colours, and their text reads: every piece of text in a mail reaches
WCAG AA (4.5:1) against the background it is drawn on, whatever colours the agency, the client
or the page picked (a pale yellow, a dark teal); the raw colours stay for the masthead, the
button and the borders."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from veilleur.domain.contrast import AA_TEXT, contrast_ratio
from veilleur.notifications.models import OutboxMessage
from veilleur.notifications.rendering import render_message
from veilleur.statuspages.models import StatusPage, Subscription

from .conftest import Outage, Shop

# A pale brand yellow (1.5:1 on white), a mid teal and a dark navy (white or ink must be chosen
# for text drawn on them), and near-white.
BRAND_COLOURS = ("#facc15", "#0f766e", "#14b8a6", "#1e293b", "#fefefe")
VOID_TAGS = frozenset({"meta", "img", "br", "hr", "link", "input"})
DECLARATION = re.compile(r"\s*([a-z-]+)\s*:\s*([^;]+)")


@dataclass(frozen=True)
class Drawn:
    """A piece of text, its colour and the background it sits on."""

    text: str
    colour: str
    background: str


class TextColours(HTMLParser):
    """Every text node of an HTML mail with the colour and background its inline styles give it
    (inherited from the nearest element that sets them)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str, str]] = [("", "#000000", "#ffffff")]
        self.drawn: list[Drawn] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        _, colour, background = self.stack[-1]
        for name, value in DECLARATION.findall(dict(attrs).get("style") or ""):
            if name == "color":
                colour = value.strip()
            elif name in ("background", "background-color"):
                background = value.strip()
        if tag not in VOID_TAGS:
            self.stack.append((tag, colour, background))

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID_TAGS and len(self.stack) > 1:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if data.strip():
            _, colour, background = self.stack[-1]
            self.drawn.append(Drawn(data.strip(), colour, background))


def unreadable(html: str) -> list[tuple[Drawn, float]]:
    parser = TextColours()
    parser.feed(html)
    assert len(parser.drawn) > 5  # the parser saw the mail's text
    measured = [(drawn, contrast_ratio(drawn.colour, drawn.background)) for drawn in parser.drawn]
    return [(drawn, round(ratio, 2)) for drawn, ratio in measured if ratio < AA_TEXT]


@pytest.mark.parametrize("colour", BRAND_COLOURS)
def test_incident_mails_text_reads_on_any_brand_colour(shop: Shop, colour: str) -> None:
    shop.agency.primary_color = colour
    shop.agency.accent_color = colour
    shop.agency.logo_url = ""  # the agency's name is then text on the masthead
    shop.agency.save()
    Outage(shop.monitor).go_down()
    rows = list(OutboxMessage.objects.filter(channel=OutboxMessage.Channel.EMAIL).order_by("pk"))
    assert {row.audience for row in rows} == {OutboxMessage.Audience.AGENCY, OutboxMessage.Audience.CLIENT}
    for row in rows:
        html = render_message(row).html
        assert colour in html  # the brand's colour is still worn (masthead, button, borders)
        assert unreadable(html) == [], row.audience


@pytest.mark.parametrize("colour", BRAND_COLOURS)
def test_subscriber_mails_text_reads_on_any_page_colour(shop: Shop, colour: str) -> None:
    page = StatusPage.objects.create(
        client=shop.client, slug="martin", title="Martin status", primary_color=colour, accent_color=colour
    )
    subscription = Subscription.objects.create(
        page=page, email="reader@example.org", confirmed_at=timezone.now()
    )
    row = OutboxMessage(
        agency=shop.agency,
        kind=OutboxMessage.Kind.SUBSCRIPTION_CONFIRM,
        subscription=subscription,
        recipient=subscription.email,
        language="en",
    )
    html = render_message(row).html
    assert colour in html
    assert unreadable(html) == []
