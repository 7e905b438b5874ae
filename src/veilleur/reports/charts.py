"""The report's charts, drawn as SVG text: the same input always gives the same bytes.

Callers pass labels already translated and formatted; every text is escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

NO_DATA = "#cbd5e1"
COLOURS = (  # (lowest uptime % of the band, colour), best band first
    (Decimal("99.9"), "#16a34a"),
    (Decimal("99"), "#84cc16"),
    (Decimal("95"), "#f59e0b"),
    (Decimal(0), "#dc2626"),
)
P50_COLOUR = "#2563eb"
P95_COLOUR = "#f59e0b"
AXIS = "#64748b"
GRID = "#e2e8f0"


@dataclass(frozen=True)
class StripCell:
    label: str  # the day's number under the cell, e.g. "1"
    uptime_percent: Decimal | None  # None: nothing monitored that day
    tooltip: str  # e.g. "1 octobre 2026 : 99,95 %"


@dataclass(frozen=True)
class LatencyPoint:
    label: str  # x-axis label of the day, e.g. "1"
    p50_ms: float | None
    p95_ms: float | None


def uptime_colour(uptime_percent: Decimal | None) -> str:
    if uptime_percent is None:
        return NO_DATA
    for lowest, colour in COLOURS:
        if uptime_percent >= lowest:
            return colour
    return COLOURS[-1][1]


def _n(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros, the same on every machine."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def uptime_strip(
    cells: Sequence[StripCell], *, title: str, width: float = 680, height: float = 46, label_space: float = 16
) -> str:
    """One coloured cell per day, grey where nothing was monitored, the day's figure as tooltip
    (``label_space`` below the cells holds the day numbers; 0 for a strip without them)."""
    count = max(len(cells), 1)
    gap = 2.0
    cell_width = (width - gap * (count - 1)) / count
    bar_height = height - label_space
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="strip" width="{_n(width)}" height="{_n(height)}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for index, cell in enumerate(cells):
        x = index * (cell_width + gap)
        parts.append(
            f'<g><title>{escape(cell.tooltip)}</title><rect x="{_n(x)}" y="0" width="{_n(cell_width)}" '
            f'height="{_n(bar_height)}" rx="2" fill="{uptime_colour(cell.uptime_percent)}"/></g>'
        )
        if label_space and len(cells) <= 31:
            parts.append(
                f'<text x="{_n(x + cell_width / 2)}" y="{_n(height - 3)}" font-size="8" '
                f'text-anchor="middle" fill="{AXIS}">{escape(cell.label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above ``value`` (at least 10 ms)."""
    value = max(value, 10.0)
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def latency_chart(
    points: Sequence[LatencyPoint],
    *,
    title: str,
    y_label: str,
    p50_label: str,
    p95_label: str,
    no_data_label: str,
    width: float = 680,
    height: float = 210,
) -> str:
    """Daily median and p95 response times as two lines, with axes, ticks and a legend."""
    left, right, top, bottom = 52.0, 10.0, 24.0, 26.0
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for p in points for v in (p.p50_ms, p.p95_ms) if v is not None]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="latency" width="{_n(width)}" height="{_n(height)}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    if not values or not points:
        parts.append(
            f'<text x="{_n(width / 2)}" y="{_n(height / 2)}" font-size="11" text-anchor="middle" '
            f'fill="{AXIS}">{escape(no_data_label)}</text></svg>'
        )
        return "".join(parts)
    y_max = _nice_ceiling(max(values))
    step_x = plot_w / max(len(points) - 1, 1)

    def x_of(index: int) -> float:
        return left + index * step_x if len(points) > 1 else left + plot_w / 2

    def y_of(value: float) -> float:
        return top + plot_h * (1 - value / y_max)

    for tick in range(5):
        value = y_max * tick / 4
        y = y_of(value)
        parts.append(
            f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(left + plot_w)}" y2="{_n(y)}" stroke="{GRID}"/>'
            f'<text x="{_n(left - 4)}" y="{_n(y + 3)}" font-size="8" text-anchor="end" '
            f'fill="{AXIS}">{escape(_n(value))}</text>'
        )
    parts.append(
        f'<line x1="{_n(left)}" y1="{_n(top)}" x2="{_n(left)}" y2="{_n(top + plot_h)}" stroke="{AXIS}"/>'
        f'<line x1="{_n(left)}" y1="{_n(top + plot_h)}" x2="{_n(left + plot_w)}" y2="{_n(top + plot_h)}" '
        f'stroke="{AXIS}"/>'
        f'<text x="12" y="{_n(top + plot_h / 2)}" font-size="8" text-anchor="middle" fill="{AXIS}" '
        f'transform="rotate(-90 12 {_n(top + plot_h / 2)})">{escape(y_label)}</text>'
    )
    every = 1 if len(points) <= 16 else 2 if len(points) <= 31 else math.ceil(len(points) / 16)
    for index, point in enumerate(points):
        if index % every == 0:
            parts.append(
                f'<text x="{_n(x_of(index))}" y="{_n(top + plot_h + 12)}" font-size="8" text-anchor="middle" '
                f'fill="{AXIS}">{escape(point.label)}</text>'
            )
    for attribute, colour in (("p95_ms", P95_COLOUR), ("p50_ms", P50_COLOUR)):
        for segment in _segments([getattr(point, attribute) for point in points]):
            coordinates = " ".join(f"{_n(x_of(i))},{_n(y_of(v))}" for i, v in segment)
            if len(segment) == 1:
                i, v = segment[0]
                parts.append(f'<circle cx="{_n(x_of(i))}" cy="{_n(y_of(v))}" r="1.8" fill="{colour}"/>')
            else:
                parts.append(
                    f'<polyline points="{coordinates}" fill="none" stroke="{colour}" stroke-width="1.6" '
                    'stroke-linejoin="round"/>'
                )
    legend_x = left + 4
    for label, colour in ((p50_label, P50_COLOUR), (p95_label, P95_COLOUR)):
        parts.append(
            f'<rect x="{_n(legend_x)}" y="8" width="14" height="3" fill="{colour}"/>'
            f'<text x="{_n(legend_x + 18)}" y="12" font-size="8" fill="{AXIS}">{escape(label)}</text>'
        )
        legend_x += 30 + 5 * len(label)
    parts.append("</svg>")
    return "".join(parts)


def _segments(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """Runs of consecutive known values: a day without data breaks the line."""
    runs: list[list[tuple[int, float]]] = []
    current: list[tuple[int, float]] = []
    for index, value in enumerate(values):
        if value is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append((index, float(value)))
    if current:
        runs.append(current)
    return runs


# --- The quarterly review's bars (months, weekdays, hours) --------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar: "oct. 2026", "lun.", "14"
    value: float | None  # None: no data (an empty slot, no bar)
    text: str  # printed above the bar and in its tooltip: "99,95 %", "3"
    colour: str = P50_COLOUR


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    floor: float = 0.0,
    ceiling: float | None = None,
    width: float = 680,
    height: float = 150,
    show_text: bool = True,
) -> str:
    """Vertical bars from ``floor`` (the base line) to their value, the tallest at ``ceiling``
    (by default the largest value); each bar's text above it and in its tooltip."""
    top, bottom, side = 16.0, 18.0, 4.0
    plot_h = height - top - bottom
    known = [bar.value for bar in bars if bar.value is not None]
    high = ceiling if ceiling is not None else max([*known, floor + 1])
    span = max(high - floor, 1e-9)
    count = max(len(bars), 1)
    slot = (width - 2 * side) / count
    bar_w = max(slot * 0.62, 2.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bars" width="{_n(width)}" height="{_n(height)}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{_n(side)}" y1="{_n(top + plot_h)}" x2="{_n(width - side)}" y2="{_n(top + plot_h)}" '
        f'stroke="{AXIS}"/>',
    ]
    font = 8 if count <= 12 else 7
    for index, bar in enumerate(bars):
        middle = side + slot * index + slot / 2
        parts.append(
            f'<text x="{_n(middle)}" y="{_n(height - 5)}" font-size="{font}" text-anchor="middle" '
            f'fill="{AXIS}">{escape(bar.label)}</text>'
        )
        if bar.value is None:
            continue
        share = min(max((bar.value - floor) / span, 0.0), 1.0)
        bar_h = max(plot_h * share, 1.0)
        y = top + plot_h - bar_h
        parts.append(
            f'<g><title>{escape(bar.label)}: {escape(bar.text)}</title><rect x="{_n(middle - bar_w / 2)}" '
            f'y="{_n(y)}" width="{_n(bar_w)}" height="{_n(bar_h)}" rx="1.5" fill="{bar.colour}"/></g>'
        )
        if show_text:
            parts.append(
                f'<text x="{_n(middle)}" y="{_n(y - 3)}" font-size="{font}" text-anchor="middle" '
                f'fill="#0f172a">{escape(bar.text)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
