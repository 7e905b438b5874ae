"""Rendered pages kept in Django's cache, keyed by the page's state version.

A rendering is reused while the page's ``state_version`` is unchanged (anything the page shows
bumps it: incidents opening or closing, public updates, edits) and for at most ``MAX_AGE``,
because uptime figures drift with time even when nothing happens; a maintenance window that
begins or ends sooner cuts the lifetime to that moment. Each web process may hold its own copy:
the version, read with the page on every request, keeps them all honest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache

from veilleur.statuspages.models import StatusPage

MAX_AGE_SECONDS = 60


@dataclass(frozen=True)
class Rendered:
    body: bytes
    content_type: str


def cached(
    page: StatusPage,
    variant: str,
    now: datetime,
    render: Callable[[], tuple[Rendered, datetime | None]],
) -> Rendered:
    """The cached rendering of ``variant`` of ``page``, or a fresh one from ``render``, which
    returns the rendering and the moment it stops being true (None: not before MAX_AGE)."""
    # The creation time guards against a deleted page's id being reused by another page.
    key = f"statuspage:{page.pk}:{page.created_at.timestamp()}:{page.state_version}:{variant}"
    hit = cache.get(key)
    if isinstance(hit, Rendered):
        return hit
    rendered, stale_at = render()
    lifetime = MAX_AGE_SECONDS
    if stale_at is not None:
        lifetime = max(1, min(lifetime, int((stale_at - now).total_seconds())))
    cache.set(key, rendered, lifetime)
    return rendered
