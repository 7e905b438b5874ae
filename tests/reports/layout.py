"""Where a rendered report's text lies on its pages, from WeasyPrint's layout tree."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# Layout positions are floats in CSS pixels: allow for rounding, not for a cut-off glyph.
TOLERANCE_PX = 0.5


@dataclass(frozen=True)
class Overflow:
    page: int  # 1-based
    text: str
    right_past: float  # CSS px past the content box's right edge (0 if none)
    bottom_past: float


def overflows(html: str) -> list[Overflow]:
    """Every text box, image and drawing of the page body that extends past its page's content box
    (the area inside the page margins); the footer's margin boxes are not part of the body."""
    import weasyprint
    from weasyprint.formatting_structure import boxes

    document = weasyprint.HTML(string=html, base_url=None).render()
    found = []
    for number, page in enumerate(document.pages, start=1):
        page_box: Any = page._page_box
        left, top = page_box.content_box_x(), page_box.content_box_y()
        right, bottom = left + page_box.width, top + page_box.height
        for box in _body_boxes(page_box, boxes):
            box_right = box.position_x + box.margin_width()
            box_bottom = box.position_y + box.margin_height()
            past_right = box_right - right if box_right > right + TOLERANCE_PX else 0.0
            past_bottom = box_bottom - bottom if box_bottom > bottom + TOLERANCE_PX else 0.0
            past_left = box.position_x < left - TOLERANCE_PX
            if past_right or past_bottom or past_left:
                text = getattr(box, "text", "") or type(box).__name__
                found.append(Overflow(number, text, past_right, past_bottom))
    return found


def _body_boxes(page_box: Any, boxes: Any) -> Iterator[Any]:
    for child in page_box.children:
        if isinstance(child, boxes.MarginBox):
            continue
        for box in child.descendants():
            if isinstance(box, boxes.TextBox | boxes.ReplacedBox):
                yield box
