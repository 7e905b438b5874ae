"""``{% shown_url monitor.url %}``: a monitor's URL as the signed-in viewer may read it — in full
for owners and admins, with its password hidden for members and anyone not signed in."""

from __future__ import annotations

from typing import Any

from django import template

from veilleur.accounts.admin import shows_credentials
from veilleur.notifications.channels import password_masked

register = template.Library()


@register.simple_tag(takes_context=True)
def shown_url(context: dict[str, Any], url: str) -> str:
    request = context.get("request")
    return url if request is not None and shows_credentials(request) else password_masked(url)
