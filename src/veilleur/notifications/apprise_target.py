"""Apprise URLs: checking them, and handing one message to the service a URL names.

Apprise makes its own connections (through ``requests``), so the SSRF guard cannot pin the
address it dials the way the webhook sender does. For the generic targets whose host is a
real host name (``json://``, ``xml://``, ``form://`` and their ``s`` variants) the host is
resolved and judged before Apprise is called; a name whose answer changes between that check
and Apprise's own lookup is not caught. Other services (``slack://``, ``tgram://``, …) go to
their vendor's fixed hosts. See docs/notifications.md.
"""

from __future__ import annotations

import inspect
import socket
from typing import Any

import apprise

from veilleur.probes.guard import AddressGuard, parse_ip

# Seconds allowed to connect, then to wait for each read; the whole call gets TOTAL at most.
CONNECT_TIMEOUT_SECONDS = 5.0
READ_TIMEOUT_SECONDS = 10.0
TOTAL_TIMEOUT_SECONDS = 20.0
GENERIC_HTTP_SCHEMES = frozenset({"json", "jsons", "xml", "xmls", "form", "forms"})
# Older Apprise releases have no whole-call limit; the socket timeouts still bound each step.
_NOTIFY_HAS_TIMEOUT = "timeout" in inspect.signature(apprise.Apprise.notify).parameters


class AppriseFailed(Exception):
    """Apprise reported that the service did not take the message."""


def is_generic_http_scheme(scheme: str) -> bool:
    return scheme.lower() in GENERIC_HTTP_SCHEMES


def check_apprise_url(url: str) -> str:
    """``url`` when Apprise knows its scheme and can read it (no connection is made)."""
    if any(ch.isspace() for ch in url) or "://" not in url:
        raise ValueError("an Apprise URL looks like slack://…, msteams://…, tgram://… or json://host/path")
    if _service(url) is None:
        scheme = url.split("://", 1)[0]
        raise ValueError(f"Apprise does not accept this {scheme}:// URL (unknown service or incomplete URL)")
    return url


def notify_apprise(url: str, title: str, body: str, *, allow_private: bool) -> None:
    """Send one message through Apprise; raise when it was not delivered."""
    service = _service(url)
    if service is None:
        raise AppriseFailed("Apprise no longer accepts this channel's URL")
    if is_generic_http_scheme(url.split("://", 1)[0]):
        _judge_host(str(getattr(service, "host", "") or ""), AddressGuard(allow_private=allow_private))
    service.socket_connect_timeout = CONNECT_TIMEOUT_SECONDS
    service.socket_read_timeout = READ_TIMEOUT_SECONDS
    sender = apprise.Apprise()
    sender.add(service)
    options: dict[str, Any] = {"timeout": TOTAL_TIMEOUT_SECONDS} if _NOTIFY_HAS_TIMEOUT else {}
    if not sender.notify(body=body, title=title, **options):
        raise AppriseFailed("the service did not accept the message (Apprise reported a failure)")


def _service(url: str) -> Any:
    return apprise.Apprise.instantiate(url, suppress_exceptions=True)


def _judge_host(host: str, guard: AddressGuard) -> None:
    """Refuse a generic target whose host is, or resolves to, an address the guard refuses."""
    if not host:
        raise AppriseFailed("the Apprise URL has no host")
    if parse_ip(host) is not None:
        guard.check_literal_host(host)
        return
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise AppriseFailed(f"cannot resolve {host}: {exc}") from exc
    for *_, sockaddr in found:
        address = str(sockaddr[0])
        if guard.refusal(address) is not None:
            guard.check(host, address)
