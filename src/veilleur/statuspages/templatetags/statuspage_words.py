"""The words of a status page's states, in the active language."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def update_word(status: str) -> str:
    from veilleur.statuspages.views import UPDATE_WORDS

    return str(UPDATE_WORDS.get(status, status))
