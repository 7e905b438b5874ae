"""Colour contrast as WCAG 2 defines it, and brand colours made readable as text.

An agency picks a client's colour for its look (a yellow such as #facc15, say); used as the
colour of links on a white page it would be unreadable (1.5:1). The colour stays as it is for
what is not text (the masthead, bars); text gets the same hue darkened just enough to reach
WCAG AA (4.5:1) on every background it is shown on, and text drawn on the colour itself is
white or ink, whichever reads better.
"""

from __future__ import annotations

AA_TEXT = 4.5
WHITE = "#ffffff"
INK = "#111827"
BLACK = "#000000"


def rgb(colour: str) -> tuple[int, int, int]:
    """``#rrggbb`` as three 0–255 channels."""
    value = colour.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"expected a colour as #RRGGBB, got {colour!r}")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def hex_colour(channels: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{channel:02x}" for channel in channels)


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance: 0 for black, 1 for white."""
    red, green, blue = (_linear(channel) for channel in rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """(L1 + 0.05) / (L2 + 0.05), the lighter over the darker: from 1 (same) to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_text_colour(
    colour: str, backgrounds: tuple[str, ...] = (WHITE,), minimum: float = AA_TEXT
) -> str:
    """``colour`` when text in it reaches ``minimum`` on every background; else the same hue
    darkened by the smallest step that does (every channel scaled by the same factor)."""
    channels = rgb(colour)
    for step in range(255, -1, -1):  # 255: the colour itself; 0: black, which always reads
        candidate = hex_colour(
            (channels[0] * step // 255, channels[1] * step // 255, channels[2] * step // 255)
        )
        if all(contrast_ratio(candidate, background) >= minimum for background in backgrounds):
            return candidate if step < 255 else colour
    return BLACK


def text_colour_on(background: str, minimum: float = AA_TEXT) -> str:
    """The colour of text drawn on ``background``: white if it reads, else ink, else black.

    One of white and black always reaches 4.5:1 on any colour (at worst about 4.58:1)."""
    for candidate in (WHITE, INK, BLACK):
        if contrast_ratio(candidate, background) >= minimum:
            return candidate
    return max((WHITE, BLACK), key=lambda candidate: contrast_ratio(candidate, background))


def tint(colour: str, share: float) -> str:
    """``colour`` at ``share`` (0–1) over white, as CSS ``color-mix(in srgb, colour share, #fff)``
    draws it: the tinted backgrounds that brand-coloured text may sit on."""
    red, green, blue = rgb(colour)

    def over_white(channel: int) -> int:
        return round(channel * share + 255 * (1 - share))

    return hex_colour((over_white(red), over_white(green), over_white(blue)))
