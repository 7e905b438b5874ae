"""The address the web role listens on (``--bind`` / ``VEILLEUR_BIND``): what links say when no
public address is set, and whether it is free before the web server tries it.

Plain Python: the settings module uses it before Django is set up.
"""

from __future__ import annotations

import errno
import ipaddress
import socket

DEFAULT_BIND = "127.0.0.1:8000"
DEFAULT_PORT = 8000  # gunicorn's, for a bind without one


def split_bind(bind: str) -> tuple[str, int] | None:
    """``host:port`` (``[v6]:port``, ``:port``, ``host``) as (host, port); None for a Unix socket
    or something that is not an address. The host is bare (no brackets), empty for "every address"."""
    bind = bind.strip()
    if not bind or bind.startswith(("unix:", "fd://")):
        return None
    if bind.startswith("["):
        host, closing, rest = bind[1:].partition("]")
        if not closing or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:] if rest else ""
    elif bind.count(":") == 1:
        host, _, port_text = bind.partition(":")
    elif ":" in bind:
        return None  # a bare IPv6 address needs brackets to carry a port
    else:
        host, port_text = bind, ""
    if port_text and not port_text.isdigit():
        return None
    port = int(port_text) if port_text else DEFAULT_PORT
    if not 0 < port < 65536:
        return None
    return host, port


def base_url_for_bind(bind: str) -> str | None:
    """``http://`` and the bound address, as a browser on this machine reaches it: a wildcard
    address (every interface) becomes the loopback one. None when ``bind`` is not an address."""
    parts = split_bind(bind)
    if parts is None:
        return None
    host, port = parts
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    try:
        if ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"
    except ValueError:
        pass  # a host name stays as it is
    return f"http://{host}:{port}"


def bind_problem(bind: str) -> str | None:
    """Why the web server could not listen on ``bind`` right now, in one line; None when it can.

    It tries the address the way gunicorn will (SO_REUSEADDR, so a port in TIME_WAIT is not taken)
    and lets it go at once."""
    parts = split_bind(bind)
    if parts is None:
        return None  # a Unix socket or a form gunicorn will judge itself
    host, port = parts
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return f"cannot listen on {bind}: the address does not resolve ({exc.strerror})"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"{bind} is already in use by another program"
            if exc.errno == errno.EACCES:
                return f"cannot listen on {bind}: permission denied (ports below 1024 need privileges)"
            return f"cannot listen on {bind}: {exc.strerror or exc}"
    return None
