"""The web server of `veilleur up` (waitress) treats proxy headers as `veilleur web` (gunicorn)
does: X-Forwarded-Proto from a proxy on this host makes the request https; the other forwarded
headers reach the application, which decides whom to believe."""

from __future__ import annotations

import socket
import threading
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

from veilleur.embedded import web_server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_forwarded_headers_from_this_host() -> None:
    seen: list[dict[str, Any]] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen.append(dict(environ))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    port = free_port()
    server = web_server(f"127.0.0.1:{port}", app)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for headers in ({"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}, {}):
            request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers=headers)
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.read() == b"ok"
    finally:
        server.close()
        thread.join(10)
    proxied, direct = seen
    assert proxied["wsgi.url_scheme"] == "https"
    assert proxied["HTTP_X_FORWARDED_FOR"] == "203.0.113.9"
    assert proxied["REMOTE_ADDR"] == "127.0.0.1"  # the application applies VEILLEUR_TRUSTED_PROXIES
    assert direct["wsgi.url_scheme"] == "http"
