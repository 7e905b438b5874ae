"""The portal's plain words for states and outcomes, in the active language."""

from __future__ import annotations

import functools
from datetime import date
from decimal import Decimal

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from veilleur.domain.sla import SlaOutcome
from veilleur.domain.statuspage import ComponentStatus
from veilleur.reports import formatting
from veilleur.statuspages.data import ComponentView

register = template.Library()

SITE_STATES = {
    ComponentStatus.OPERATIONAL: _("Up and running"),
    ComponentStatus.UNDER_MAINTENANCE: _("Planned maintenance in progress"),
    ComponentStatus.DEGRADED_PERFORMANCE: _("Up, but slower than usual"),
    ComponentStatus.PARTIAL_OUTAGE: _("Partly down: we are on it"),
    ComponentStatus.MAJOR_OUTAGE: _("Down: we are on it"),
}

OUTCOMES = {
    SlaOutcome.NONE: _("No response commitment applied"),
    SlaOutcome.PENDING: _("Response in progress, within the commitment so far"),
    SlaOutcome.MET: _("Response commitment met"),
    SlaOutcome.MET_RECOVERED: _("Met: the site was back before the response was due"),
    SlaOutcome.BREACHED: _("Response commitment missed"),
}


@register.filter
def site_state(status: str) -> str:
    return str(SITE_STATES.get(ComponentStatus(status), status))


@register.filter
def outcome_word(outcome: str) -> str:
    return str(OUTCOMES.get(SlaOutcome(outcome), outcome))


@register.filter
def hours(minutes: int) -> str:
    """A response target in words: "30 minutes", "4 hours"."""
    from django.utils.translation import ngettext

    if minutes % 60 == 0:
        count = minutes // 60
        return ngettext("%(count)d hour", "%(count)d hours", count) % {"count": count}
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


# The words of a day or a figure are the same for every site of a page: each is formatted once.
@functools.lru_cache(maxsize=1024)
def _day_words(day: date, language: str) -> str:
    return escape(formatting.long_date(day))


@functools.lru_cache(maxsize=1024)
def _uptime_words(percent: Decimal | None, language: str) -> str:
    return escape(str(_("not monitored")) if percent is None else formatting.percent(percent))


@register.simple_tag
def day_bars(component: ComponentView) -> SafeString:
    """A site's 90 day bars, each titled with its day and uptime. Built here rather than in a
    template loop: 20 sites make 1,800 bars (``bench/portal``)."""
    language = get_language()
    cells = []
    for bar in component.days:
        title = f"{_day_words(bar.day, language)}: {_uptime_words(bar.uptime_percent, language)}"
        cells.append(f'<span class="bar band-{bar.band}" title="{title}"></span>')
    label = escape(_("Uptime of %(name)s, day by day over 90 days") % {"name": component.name})
    # Every text put in above is escaped.
    return mark_safe(f'<div class="portal-bars" role="img" aria-label="{label}">{"".join(cells)}</div>')
