"""``{% brand_colours agency.primary_color %}``: the staff pages' colour variables for an agency's
brand colour. The colour itself stays for fills and rules; text in it is darkened until it reads
(WCAG AA) on the pages' backgrounds, and text on it is white or ink, whichever reads."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from veilleur.domain.contrast import WHITE, readable_text_colour, text_colour_on, tint

register = template.Library()

# The backgrounds brand-coloured text sits on: cards, the page, and a badge's 12 % tint.
PAGE_BACKGROUND = "#f8fafc"
BADGE_TINT = 0.12


@register.simple_tag
def brand_colours(colour: str) -> SafeString:
    backgrounds = (WHITE, PAGE_BACKGROUND, tint(colour, BADGE_TINT))
    return format_html(
        "--brand: {}; --brand-text: {}; --on-brand: {};",
        colour,
        readable_text_colour(colour, backgrounds),
        text_colour_on(colour),
    )
