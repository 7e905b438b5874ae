"""Where the time goes: one stacked bar per hour or day, a segment per phase of the check (mean
milliseconds), drawn as SVG text like the other charts (``reports.charts``): the same input
always gives the same bytes. Callers pass labels already translated; every text is escaped here.

Means are stacked because they add up (the mean total is the sum of the mean phases); the bar
of a period without data is left out, not drawn at zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from veilleur.reports.charts import AXIS, GRID, _n, _nice_ceiling

# DNS, connect, TLS, first byte: distinct in hue and lightness, each at least 3:1 against white.
PHASE_COLOURS = ("#7c3aed", "#0e7490", "#b45309", "#2563eb")


@dataclass(frozen=True)
class PhaseColumn:
    label: str  # x-axis label, e.g. "12" for the 12th
    tooltip: str  # the period and its figures in words
    means_ms: tuple[float, ...] | None  # one per phase, in PHASE_COLOURS order; None: no data


def phase_chart(
    columns: Sequence[PhaseColumn],
    *,
    title: str,
    y_label: str,
    phase_labels: Sequence[str],
    no_data_label: str,
    width: float = 680,
    height: float = 210,
) -> str:
    left, right, top, bottom = 52.0, 10.0, 24.0, 26.0
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(column.means_ms) for column in columns if column.means_ms is not None]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="phases" width="{_n(width)}" height="{_n(height)}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    if not totals:
        parts.append(
            f'<text x="{_n(width / 2)}" y="{_n(height / 2)}" font-size="11" text-anchor="middle" '
            f'fill="{AXIS}">{escape(no_data_label)}</text></svg>'
        )
        return "".join(parts)
    y_max = _nice_ceiling(max(totals))
    slot = plot_w / len(columns)
    bar_width = max(slot * 0.7, 1.0)
    for tick in range(5):
        value = y_max * tick / 4
        y = top + plot_h * (1 - value / y_max)
        parts.append(
            f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(left + plot_w)}" y2="{_n(y)}" stroke="{GRID}"/>'
            f'<text x="{_n(left - 4)}" y="{_n(y + 3)}" font-size="8" text-anchor="end" '
            f'fill="{AXIS}">{escape(_n(value))}</text>'
        )
    parts.append(
        f'<line x1="{_n(left)}" y1="{_n(top + plot_h)}" x2="{_n(left + plot_w)}" y2="{_n(top + plot_h)}" '
        f'stroke="{AXIS}"/>'
        f'<text x="12" y="{_n(top + plot_h / 2)}" font-size="8" text-anchor="middle" fill="{AXIS}" '
        f'transform="rotate(-90 12 {_n(top + plot_h / 2)})">{escape(y_label)}</text>'
    )
    every = 1 if len(columns) <= 16 else 2 if len(columns) <= 31 else math.ceil(len(columns) / 16)
    for index, column in enumerate(columns):
        x = left + index * slot + (slot - bar_width) / 2
        if index % every == 0:
            parts.append(
                f'<text x="{_n(x + bar_width / 2)}" y="{_n(top + plot_h + 12)}" font-size="8" '
                f'text-anchor="middle" fill="{AXIS}">{escape(column.label)}</text>'
            )
        if column.means_ms is None:
            continue
        parts.append(f"<g><title>{escape(column.tooltip)}</title>")
        base = 0.0
        for value, colour in zip(column.means_ms, PHASE_COLOURS, strict=True):
            y_top = top + plot_h * (1 - (base + value) / y_max)
            segment = plot_h * value / y_max
            parts.append(
                f'<rect x="{_n(x)}" y="{_n(y_top)}" width="{_n(bar_width)}" height="{_n(segment)}" '
                f'fill="{colour}"/>'
            )
            base += value
        parts.append("</g>")
    legend_x = left + 4
    for label, colour in zip(phase_labels, PHASE_COLOURS, strict=True):
        parts.append(
            f'<rect x="{_n(legend_x)}" y="6" width="8" height="8" fill="{colour}"/>'
            f'<text x="{_n(legend_x + 11)}" y="13" font-size="8" fill="{AXIS}">{escape(label)}</text>'
        )
        legend_x += 22 + 5 * len(label)
    parts.append("</svg>")
    return "".join(parts)
