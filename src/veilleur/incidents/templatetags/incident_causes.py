"""``{{ incident|cause }}``: an incident's cause in words, as the report and the mails say it."""

from __future__ import annotations

from django import template

from veilleur.incidents.causes import cause_in_words
from veilleur.incidents.models import Incident

register = template.Library()


@register.filter
def cause(incident: Incident) -> str:
    """The short form (no probe message): a list's column; the incident page gives the detail."""
    return cause_in_words(incident.cause_error_class, incident.cause_status_code)
