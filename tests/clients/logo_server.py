"""A real HTTP server on 127.0.0.1 serving logos (or anything else) and counting requests."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (120, 40), colour: str = "#1d4ed8") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt)
    return out.getvalue()


class LogoServer:
    """A real HTTP server on 127.0.0.1 serving fixed answers, and counting every request."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[int, str, bytes]] = {}
        self.hits: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits.append(self.path)
                status, media_type, body = server.answers.get(self.path, (404, "text/plain", b"not here"))
                self.send_response(status)
                if 300 <= status < 400:  # the body is where to go
                    self.send_header("Location", body.decode())
                self.send_header("Content-Type", media_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def serving() -> Iterator[LogoServer]:
    """For each module's ``server`` fixture: a running server, stopped after the test."""
    running = LogoServer()
    yield running
    running.stop()
