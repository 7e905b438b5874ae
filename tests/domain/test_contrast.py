"""WCAG 2 contrast, and brand colours made readable as text without losing their hue."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veilleur.domain.contrast import (
    AA_TEXT,
    contrast_ratio,
    hex_colour,
    readable_text_colour,
    relative_luminance,
    rgb,
    text_colour_on,
)

colours = st.tuples(*[st.integers(0, 255)] * 3).map(hex_colour)
BACKGROUNDS = ("#ffffff", "#f6f7f9")


def oracle_luminance(colour: str) -> float:
    """WCAG 2's definition written out again, channel by channel."""
    total = 0.0
    for weight, channel in zip((0.2126, 0.7152, 0.0722), rgb(colour), strict=True):
        srgb = channel / 255
        linear = srgb / 12.92 if srgb <= 0.04045 else ((srgb + 0.055) / 1.055) ** 2.4
        total += weight * linear
    return total


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [
        ("#ffffff", "#000000", 21.0),
        ("#000000", "#ffffff", 21.0),
        ("#777777", "#ffffff", 4.48),  # the classic grey that just fails AA
        ("#facc15", "#ffffff", 1.53),
        ("#1d4ed8", "#ffffff", 6.70),
        ("#123456", "#123456", 1.0),
    ],
)
def test_known_ratios(first: str, second: str, ratio: float) -> None:
    assert contrast_ratio(first, second) == pytest.approx(ratio, abs=0.01)


@given(colours, colours)
def test_the_ratio_follows_the_definition(first: str, second: str) -> None:
    assert relative_luminance(first) == pytest.approx(oracle_luminance(first))
    lighter, darker = (
        max(oracle_luminance(first), oracle_luminance(second)),
        min(oracle_luminance(first), oracle_luminance(second)),
    )
    assert contrast_ratio(first, second) == pytest.approx((lighter + 0.05) / (darker + 0.05))
    assert contrast_ratio(first, second) == contrast_ratio(second, first)
    assert 1.0 <= contrast_ratio(first, second) <= 21.0


def _scaled(colour: str, step: int) -> str:
    red, green, blue = rgb(colour)
    return hex_colour((red * step // 255, green * step // 255, blue * step // 255))


@given(colours)
def test_text_in_the_brand_colour_always_reaches_aa_and_is_darkened_no_more_than_needed(colour: str) -> None:
    text = readable_text_colour(colour, BACKGROUNDS)
    assert all(contrast_ratio(text, background) >= AA_TEXT for background in BACKGROUNDS)
    if all(contrast_ratio(colour, background) >= AA_TEXT for background in BACKGROUNDS):
        assert text == colour  # a readable colour is kept as it is
        return
    # Brute force: the lightest step of the same hue that reads is the one chosen.
    readable_steps = [
        step
        for step in range(256)
        if all(contrast_ratio(_scaled(colour, step), background) >= AA_TEXT for background in BACKGROUNDS)
    ]
    assert text == _scaled(colour, max(readable_steps))


@given(colours)
def test_text_on_the_brand_colour_always_reaches_aa(colour: str) -> None:
    assert contrast_ratio(text_colour_on(colour), colour) >= AA_TEXT


def test_a_yellow_brand_gets_dark_text_and_dark_links() -> None:
    assert text_colour_on("#facc15") != "#ffffff"
    link = readable_text_colour("#facc15", BACKGROUNDS)
    red, green, blue = rgb(link)
    assert red > green > blue  # still a yellow-brown, not grey
