"""Rendered pages kept in Django's cache, one per page and variant, with the state version they show.

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
from dataclasses import dataclass, replace
from datetime import datetime

from django.core.cache import cache

from veilleur.statuspages.encoding import compressed
from veilleur.statuspages.models import StatusPage

MAX_AGE_SECONDS = 60


@dataclass(frozen=True)
class Rendered:
    body: bytes
    content_type: str
    gzipped: bytes | None = None  # the body compressed, when worth it (encoding.py)


@dataclass(frozen=True)
class _Kept:
    state_version: int
    rendered: Rendered


def cached(
    page: StatusPage,
    variant: str,
    now: datetime,
    render: Callable[[], tuple[Rendered, datetime | None]],
) -> Rendered:
    """The cached rendering of ``variant`` of ``page``, or a fresh one from ``render``, which
    returns the rendering and the moment it stops being true (None: not before MAX_AGE). A
    fresh rendering is kept with its compressed body."""
    # One entry per page and variant, holding the state version it was rendered for: a new
    # version replaces the entry instead of adding one. (Keyed by version, each state change left
    # a rendering behind that nobody asked for again, which the local-memory cache keeps until it
    # holds 300 entries: a process's memory grew by a page for each incident opened or closed.)
    # The creation time guards against a deleted page's id being reused by another page.
    key = f"statuspage:{page.pk}:{page.created_at.timestamp()}:{variant}"
    hit = _current(cache.get(key), page)
    if hit is not None:
        return hit
    with _one_rendering(key):
        hit = _current(cache.get(key), page)  # rendered by another request while this one waited
        if hit is not None:
            return hit
        rendered, stale_at = render()
        rendered = replace(rendered, gzipped=compressed(rendered.body))
        lifetime = MAX_AGE_SECONDS
        if stale_at is not None:
            lifetime = max(1, min(lifetime, int((stale_at - now).total_seconds())))
        cache.set(key, _Kept(page.state_version, rendered), lifetime)
    return rendered


def _current(entry: object, page: StatusPage) -> Rendered | None:
    if isinstance(entry, _Kept) and entry.state_version == page.state_version:
        return entry.rendered
    return None


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
