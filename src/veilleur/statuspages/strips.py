"""A component's 90 days as one compact strip: an inline SVG with one path per colour, each path
made of the runs of consecutive days of that colour, and a sentence that says what the colours say.

The page used to draw each day as a button with its own tooltip: 90 elements and about 26 KiB
of HTML per component, so a page of 500 components weighed 13 MiB and took seconds to render.
A strip is a few hundred bytes whatever its history; each day's figures, outages and incidents
are on the component's day-by-day page (``views.component_view``), one link away, which works
without JavaScript and reads well with a screen reader.

Built here rather than in a template: a page of 500 components draws 500 of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from veilleur.domain.statuspage import UptimeBand, band_runs
from veilleur.reports import formatting
from veilleur.statuspages.data import DayBar


def strip_svg(bars: Sequence[DayBar]) -> SafeString:
    """The day strip, decorative (its words are in ``days_summary``): days left to right, oldest
    first, one unit wide each; the stylesheet stretches it and paints the colours and the gaps."""
    runs_by_band: dict[UptimeBand, list[str]] = {}
    for band, first, length in band_runs([bar.band for bar in bars]):
        runs_by_band.setdefault(band, []).append(f"M{first} 0h{length}v1h-{length}z")
    paths = "".join(
        f'<path class="band-{band.value}" d="{"".join(runs)}"/>' for band, runs in runs_by_band.items()
    )
    return mark_safe(
        f'<svg viewBox="0 0 {len(bars)} 1" preserveAspectRatio="none" aria-hidden="true" '
        f'focusable="false">{paths}</svg>'
    )


def days_summary(name: str, bars: Sequence[DayBar]) -> str:
    """The strip in words: how many of the days were whole, had downtime, or had no data."""
    counts: Counter[str] = Counter()
    for band, _first, length in band_runs([bar.band for bar in bars]):
        counts[_kind(band)] += length
    parts = []
    if counts["full"]:
        parts.append(
            ngettext("%(count)d day at %(percent)s", "%(count)d days at %(percent)s", counts["full"])
            % {"count": counts["full"], "percent": formatting.percent(100)}
        )
    if counts["down"]:
        parts.append(
            ngettext("%(count)d day with downtime", "%(count)d days with downtime", counts["down"])
            % {"count": counts["down"]}
        )
    if counts["none"]:
        parts.append(
            ngettext("%(count)d day without data", "%(count)d days without data", counts["none"])
            % {"count": counts["none"]}
        )
    return _("%(name)s, last %(days)d days: %(counts)s") % {
        "name": name,
        "days": len(bars),
        "counts": ", ".join(parts),
    }


def _kind(band: UptimeBand) -> str:
    if band is UptimeBand.NO_DATA:
        return "none"
    return "full" if band is UptimeBand.PERFECT else "down"


def strip_link(href: str, bars: Sequence[DayBar]) -> SafeString:
    """The strip as a pointer's way to the day-by-day page, out of the tab order and hidden from
    screen readers: the "Day by day" link beside it, which says the summary, is theirs."""
    return mark_safe(
        f'<a class="strip" href="{escape(href)}" tabindex="-1" aria-hidden="true">{strip_svg(bars)}</a>'
    )
