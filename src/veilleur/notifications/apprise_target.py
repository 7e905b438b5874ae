"""Apprise URLs: checking them, and handing one message to the service a URL names.

Apprise makes its own connections, through ``requests`` and urllib3 for every HTTP service.
Veilleur puts the SSRF guard on that path itself: urllib3 opens each TCP connection with
``urllib3.util.connection.create_connection``, which this module replaces (once, on import)
with one that resolves the host, judges every address with the probes' ``AddressGuard`` and
dials only a vetted one, so a URL's host, a vendor's host and any host a service is
redirected to all pass the guard, and a DNS answer cannot change between the check and the
connect. Apprise runs each service in a worker thread with a copy of the caller's context, so
the policy of the call travels in a ``ContextVar``; a connection made outside a guarded call
gets the strictest policy (no private targets).

Services that open their sockets some other way (mail, MQTT, syslog, XMPP, IRC, Growl, …) or
act on the machine itself (desktop notifications) cannot be guarded and are refused, when the
channel is saved and again when a message is sent. See docs/notifications.md.
"""

from __future__ import annotations

import contextvars
import inspect
import socket
from dataclasses import dataclass, field
from typing import Any

import apprise
import urllib3.util.connection

from veilleur.probes.guard import AddressGuard, connect_guarded
from veilleur.probes.outcome import BlockedAddressError

# Seconds allowed to connect, then to wait for each read; the whole call gets TOTAL at most.
CONNECT_TIMEOUT_SECONDS = 5.0
READ_TIMEOUT_SECONDS = 10.0
TOTAL_TIMEOUT_SECONDS = 20.0
# Families of Apprise plugins (``apprise.plugins.<family>``) that do not connect through
# urllib3 (their own sockets, smtplib, paho-mqtt, …) or that act on this machine: the guard
# cannot see their connections, so their URLs are refused.
UNGUARDED_PLUGIN_FAMILIES = frozenset(
    {
        "amqp",
        "aprs",
        "blink1",
        "dbus",
        "deltachat",
        "email",
        "glib",
        "gnome",
        "growl",
        "irc",
        "macosx",
        "mqtt",
        "nostr",
        "rsyslog",
        "smpp",
        "syslog",
        "windows",
        "xmpp",
    }
)
_PLUGIN_PACKAGE = "apprise.plugins."
# The generic targets whose host is the receiver's own (shown unmasked, see channels.masked_url).
GENERIC_HTTP_SCHEMES = frozenset({"json", "jsons", "xml", "xmls", "form", "forms"})
# Older Apprise releases have no whole-call limit; the socket timeouts still bound each step.
_NOTIFY_HAS_TIMEOUT = "timeout" in inspect.signature(apprise.Apprise.notify).parameters


class AppriseFailed(Exception):
    """Apprise reported that the service did not take the message."""


@dataclass
class _GuardedCall:
    """The policy of one ``notify_apprise`` call, and the refusals its connections met."""

    guard: AddressGuard
    refusals: list[BlockedAddressError] = field(default_factory=list)


_current_call: contextvars.ContextVar[_GuardedCall | None] = contextvars.ContextVar(
    "veilleur_apprise_call", default=None
)
_STRICTEST = AddressGuard(allow_private=False)


def is_generic_http_scheme(scheme: str) -> bool:
    return scheme.lower() in GENERIC_HTTP_SCHEMES


def check_apprise_url(url: str) -> str:
    """``url`` when Apprise knows its scheme, can read it and Veilleur can guard its
    connections (no connection is made)."""
    if any(ch.isspace() for ch in url) or "://" not in url:
        raise ValueError("an Apprise URL looks like slack://…, msteams://…, tgram://… or json://host/path")
    scheme = url.split("://", 1)[0]
    service = _service(url)
    if service is None:
        raise ValueError(f"Apprise does not accept this {scheme}:// URL (unknown service or incomplete URL)")
    if not is_guardable(service):
        raise ValueError(
            f"{scheme}:// is not allowed: this Apprise service makes connections Veilleur cannot "
            "check against its private-address rules (use a webhook, or an HTTP service)"
        )
    return url


def is_guardable(service: Any) -> bool:
    """Whether every connection of this Apprise service goes through the guarded path."""
    return not any(_plugin_family(cls) in UNGUARDED_PLUGIN_FAMILIES for cls in type(service).__mro__)


def notify_apprise(url: str, title: str, body: str, *, allow_private: bool) -> None:
    """Send one message through Apprise; raise when it was not delivered."""
    service = _service(url)
    if service is None:
        raise AppriseFailed("Apprise no longer accepts this channel's URL")
    if not is_guardable(service):
        raise AppriseFailed("this Apprise service cannot be checked against the private-address rules")
    service.socket_connect_timeout = CONNECT_TIMEOUT_SECONDS
    service.socket_read_timeout = READ_TIMEOUT_SECONDS
    sender = apprise.Apprise()
    sender.add(service)
    options: dict[str, Any] = {"timeout": TOTAL_TIMEOUT_SECONDS} if _NOTIFY_HAS_TIMEOUT else {}
    call = _GuardedCall(AddressGuard(allow_private=allow_private))
    token = _current_call.set(call)
    try:
        delivered = bool(sender.notify(body=body, title=title, **options))
    except BlockedAddressError:
        delivered = False  # recorded in call.refusals; its message is the one to keep
    finally:
        _current_call.reset(token)
    if call.refusals:
        raise AppriseFailed(call.refusals[0].message)
    if not delivered:
        raise AppriseFailed("the service did not accept the message (Apprise reported a failure)")


def _service(url: str) -> Any:
    return apprise.Apprise.instantiate(url, suppress_exceptions=True)


def _plugin_family(cls: type) -> str:
    module = cls.__module__
    if not module.startswith(_PLUGIN_PACKAGE):
        return ""
    return module[len(_PLUGIN_PACKAGE) :].split(".", 1)[0]


def _guarded_create_connection(
    address: tuple[str, int],
    timeout: Any = None,
    source_address: tuple[str, int] | None = None,
    socket_options: Any = None,
) -> socket.socket:
    """urllib3's ``create_connection``, through the guard of the current Apprise call."""
    call = _current_call.get()
    guard = call.guard if call is not None else _STRICTEST
    host, port = address
    seconds = float(timeout) if isinstance(timeout, int | float) else None  # else: urllib3's "default"
    try:
        sock = connect_guarded(host, port, guard, seconds, source_address)
    except BlockedAddressError as refused:
        if call is not None:
            call.refusals.append(refused)
        raise
    for option in socket_options or ():
        sock.setsockopt(*option)
    return sock


urllib3.util.connection.create_connection = _guarded_create_connection
