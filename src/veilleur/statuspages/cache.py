"""Rendered pages kept in Django's cache, keyed by the page's state version.

A rendering is reused while the page's ``state_version`` is unchanged (anything the page shows
bumps it: incidents opening or closing, public updates, edits) and for at most ``MAX_AGE``,
because uptime figures drift with time even when nothing happens; a maintenance window that
begins or ends sooner cuts the lifetime to that moment. Each web process may hold its own copy:
the version, read with the page on every request, keeps them all honest.

When a rendering is missing (a state change, the end of its lifetime), the requests that ask for
it at the same time in one process wait for one of them to render it instead of all rendering
it: under load every thread of every worker would otherwise render the same page at once, and
a page that takes a quarter of a second to render kept the visitors of that moment waiting 1.5
to 3 seconds (bench/statuspage).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    with _one_rendering(key):
        hit = cache.get(key)  # rendered by another request while this one waited
        if isinstance(hit, Rendered):
            return hit
        rendered, stale_at = render()
        lifetime = MAX_AGE_SECONDS
        if stale_at is not None:
            lifetime = max(1, min(lifetime, int((stale_at - now).total_seconds())))
        cache.set(key, rendered, lifetime)
    return rendered


_guard = threading.Lock()
_rendering: dict[str, tuple[threading.Lock, int]] = {}  # key: its lock, and how many hold or want it


@contextmanager
def _one_rendering(key: str) -> Iterator[None]:
    """Held by one thread of this process at a time per key; forgotten once nobody wants it."""
    with _guard:
        lock, users = _rendering.get(key, (threading.Lock(), 0))
        _rendering[key] = (lock, users + 1)
    try:
        with lock:
            yield
    finally:
        with _guard:
            users = _rendering[key][1] - 1
            if users:
                _rendering[key] = (lock, users)
            else:
                del _rendering[key]
