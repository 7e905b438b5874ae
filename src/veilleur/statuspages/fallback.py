"""The last rendering of each status page address, kept to be served while the database is away.

A client's status page that fails whenever the agency's database blinks would be the worst look
of all, so each web process remembers, in memory, the last rendering it served for each address
(host, path and query), plain and compressed as the cache keeps it (each visitor gets the
encoding their browser asks for), with the headers it went out with. When the database cannot
be reached, the routing answers from here: the page as it was, with its own "Updated" time, so
nobody takes it for live. A protected page is served only to a visitor whose cookie opened it,
checked against what the page required when it was rendered. An address this process never
served answers a plain 503.

Memory is bounded: at most ``MAX_BYTES`` of renderings per process (a page of 500 components is
about 520 KiB plain and 30 KiB compressed), the least recently served forgotten first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from veilleur.statuspages.access import access_gate, holds_access
from veilleur.statuspages.cache import Rendered
from veilleur.statuspages.encoding import rendering_response
from veilleur.statuspages.models import StatusPage
from veilleur.unavailable import OUTAGE, unavailable_response

MAX_BYTES = 64 * 1024 * 1024
# Where ``views.serve`` puts the rendering a response carries (none on a form or a 404).
RENDERING_MARK = "status_page_rendering"
# Set again from the rendering and the request that asks (encoding.py), or not for everyone.
_NOT_KEPT = frozenset({"set-cookie", "vary", "content-type", "content-encoding", "content-length"})


@dataclass(frozen=True)
class LastServed:
    rendered: Rendered
    headers: tuple[tuple[str, str], ...]
    gate: tuple[str, dict[str, object]] | None  # for a protected page: the cookie and its content

    @property
    def size(self) -> int:
        return len(self.rendered.body) + len(self.rendered.gzipped or b"")


_lock = threading.Lock()
_served: OrderedDict[str, LastServed] = OrderedDict()
_bytes = 0  # the renderings' total size


def address_of(request: HttpRequest, host: str) -> str:
    return f"{host}{request.get_full_path()}"


def remember(request: HttpRequest, host: str, page: StatusPage, response: HttpResponse) -> None:
    """Keep ``response`` as the last rendering of its address, if it is one."""
    rendered = getattr(response, RENDERING_MARK, None)
    if not isinstance(rendered, Rendered) or response.status_code != 200:
        return
    entry = LastServed(
        rendered=rendered,
        headers=tuple((name, value) for name, value in response.items() if name.lower() not in _NOT_KEPT),
        gate=access_gate(page) if page.is_protected else None,
    )
    address = address_of(request, host)
    global _bytes
    with _lock:
        previous = _served.pop(address, None)
        if previous is not None:
            _bytes -= previous.size
        _served[address] = entry
        _bytes += entry.size
        while _bytes > MAX_BYTES and _served:
            _bytes -= _served.popitem(last=False)[1].size


def answer_without_database(request: HttpRequest, host: str, exception: BaseException) -> HttpResponse:
    """The last rendering of the requested address when the visitor may see it, else a 503."""
    OUTAGE.lost(exception)
    with _lock:
        entry = _served.get(address_of(request, host))
    if entry is None or request.method not in ("GET", "HEAD"):
        return unavailable_response(request, exception)
    if entry.gate is not None and not holds_access(request, *entry.gate):
        return unavailable_response(request, exception)
    response = rendering_response(request, entry.rendered)
    for name, value in entry.headers:
        response[name] = value
    # Not for shared caches: the page is live again as soon as the database is back.
    response["Cache-Control"] = "no-store"
    return response


def forget_all() -> None:
    global _bytes
    with _lock:
        _served.clear()
        _bytes = 0
