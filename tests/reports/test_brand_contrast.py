"""A pale brand colour still gives readable text in the report: headings and tile figures take the
brand's hue darkened to WCAG AA on the white page; the colour itself stays on bars and rules."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.reports.conftest import NOW
from veilleur.clients.models import Client
from veilleur.domain.contrast import AA_TEXT, WHITE, contrast_ratio, hex_colour, readable_text_colour, rgb
from veilleur.reports.data import monthly_report
from veilleur.reports.render import pdf_from_html, render_html

PALE_YELLOW = "#facc15"  # 1.5:1 on white


@dataclass(frozen=True)
class LaidOutText:
    text: str
    colour: str  # computed, #rrggbb
    on_colour: bool  # inside a box with a background colour
    branded: bool  # an h2 heading or a tile's figure


def _laid_out_texts(html: str) -> Iterator[LaidOutText]:
    """Every text box WeasyPrint lays out, with its computed colour."""
    import weasyprint
    from weasyprint.formatting_structure import boxes

    document = weasyprint.HTML(string=html, base_url=None).render()
    for page in document.pages:
        yield from _walk(page._page_box, boxes, on_colour=False, branded=False)


def _walk(box: Any, boxes: Any, *, on_colour: bool, branded: bool) -> Iterator[LaidOutText]:
    on_colour = on_colour or box.style["background_color"].alpha > 0
    element = getattr(box, "element", None)
    classes = (element.get("class") or "").split() if element is not None else []
    branded = branded or getattr(box, "element_tag", "") == "h2" or "figure" in classes
    if isinstance(box, boxes.TextBox) and box.text.strip():
        red, green, blue = (round(channel * 255) for channel in box.style["color"].to("srgb").coordinates)
        yield LaidOutText(box.text, hex_colour((red, green, blue)), on_colour, branded)
    for child in getattr(box, "children", ()):
        yield from _walk(child, boxes, on_colour=on_colour, branded=branded)


@pytest.fixture
def pale_brand(client_with_history: Client) -> Client:
    agency = client_with_history.agency
    agency.primary_color = PALE_YELLOW
    agency.save()
    return client_with_history


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_text_on_the_white_page_reads_with_a_pale_brand(pale_brand: Client, language: str) -> None:
    html = render_html(monthly_report(pale_brand, 2026, 10, NOW), language)
    texts = [laid_out for laid_out in _laid_out_texts(html) if not laid_out.on_colour]
    unreadable = [(t.text, t.colour) for t in texts if contrast_ratio(t.colour, WHITE) < AA_TEXT]
    assert unreadable == []
    # Headings and tile figures are in the brand's hue (darkened), not in ink nor in the raw colour.
    branded = {t.colour for t in texts if t.branded}
    assert len([t for t in texts if t.branded]) >= 5
    assert branded and all(_same_hue(colour, PALE_YELLOW) for colour in branded), branded
    assert PALE_YELLOW not in branded
    # The raw colour stays where it is not text: the cover's band and the headings' rules.
    assert f"--brand: {PALE_YELLOW}" in html and "solid var(--brand)" in html


def _same_hue(colour: str, brand: str) -> bool:
    """Darkened by scaling every channel alike: the channels keep their proportions."""
    ours = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    theirs = [int(brand[i : i + 2], 16) for i in (1, 3, 5)]
    scale = ours[0] / theirs[0]
    return all(abs(o - t * scale) <= 2 for o, t in zip(ours, theirs, strict=True))


@pytest.mark.django_db
def test_the_pdf_page_shows_the_darkened_heading(pale_brand: Client, tmp_path: Path) -> None:
    """The page after the cover, as pixels: its heading is drawn in the readable colour."""
    if shutil.which("pdftoppm") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("poppler-utils is required under CI=true (apt-get install poppler-utils)")
        pytest.skip("pdftoppm is not installed (apt-get install poppler-utils)")
    from PIL import Image

    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(pdf_from_html(render_html(monthly_report(pale_brand, 2026, 10, NOW), "en")))
    subprocess.run(
        ["pdftoppm", "-f", "2", "-l", "2", "-r", "150", "-png", str(pdf), str(tmp_path / "page")], check=True
    )
    [image] = sorted(tmp_path.glob("page*.png"))
    with Image.open(image) as page:
        colours = {colour for _count, colour in page.convert("RGB").getcolors(maxcolors=1 << 20) or []}
    text_colour = readable_text_colour(PALE_YELLOW, (WHITE,))
    assert any(_near(colour, text_colour) for colour in colours)  # the heading's glyphs
    assert any(_near(colour, PALE_YELLOW) for colour in colours)  # its rule, in the raw colour


def _near(channels: tuple[int, int, int], colour: str, tolerance: int = 3) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(channels, rgb(colour), strict=True))
