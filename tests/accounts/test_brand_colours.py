"""Staff pages in the agency's colour stay readable: text in the brand colour is darkened until it
reaches WCAG AA on every background it sits on, and text on the colour is white or ink."""

from __future__ import annotations

import re

import pytest
from django.test import Client as HttpClient
from hypothesis import given
from hypothesis import strategies as st

from veilleur.accounts.models import Agency, StaffUser
from veilleur.accounts.templatetags.brand_colours import BADGE_TINT, PAGE_BACKGROUND, brand_colours
from veilleur.domain.contrast import WHITE, contrast_ratio, tint

colours = st.integers(0, 0xFFFFFF).map(lambda value: f"#{value:06x}")


def variables(css: str) -> dict[str, str]:
    return dict(re.findall(r"--([a-z-]+): (#[0-9a-f]{6});", css))


@given(colours)
def test_text_in_and_on_any_brand_colour_reads(colour: str) -> None:
    values = variables(str(brand_colours(colour)))
    assert values["brand"] == colour  # kept for fills and rules
    for background in (WHITE, PAGE_BACKGROUND, tint(colour, BADGE_TINT)):
        assert contrast_ratio(values["brand-text"], background) >= 4.5
    assert contrast_ratio(values["on-brand"], colour) >= 4.5


def test_tint_is_css_color_mix_over_white() -> None:
    # color-mix(in srgb, #1d4ed8 12%, #fff): each channel 12 % of the colour, 88 % of white.
    assert tint("#1d4ed8", 0.12) == "#e4eafa"
    assert tint("#000000", 1.0) == "#000000" and tint("#000000", 0.0) == "#ffffff"


@pytest.mark.django_db
def test_the_home_page_of_a_yellow_agency_gets_readable_text(agency: Agency, owner: StaffUser) -> None:
    Agency.objects.filter(pk=agency.pk).update(primary_color="#facc15")
    browser = HttpClient()
    browser.force_login(owner)
    page = browser.get("/").content.decode()
    values = variables(page)
    assert values["brand"] == "#facc15"
    assert contrast_ratio(values["brand-text"], WHITE) >= 4.5
    assert contrast_ratio(values["on-brand"], "#facc15") >= 4.5
