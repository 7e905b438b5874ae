"""The portal's plain words for states and outcomes, in the active language."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from veilleur.domain.sla import SlaOutcome
from veilleur.domain.statuspage import ComponentStatus

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
