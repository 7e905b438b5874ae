"""A real web site on 127.0.0.1 whose home page shows whatever CMS the test says."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class CmsSite:
    def __init__(self) -> None:
        self.headers: list[tuple[str, str]] = []
        self.body = b"<!doctype html><title>Accueil</title>"
        self.status = 200
        self.hits: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.hits.append(self.path)
                self.send_response(site.status)
                for name, value in site.headers:
                    self.send_header(name, value)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(site.body)))
                self.end_headers()
                self.wfile.write(site.body)

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/"
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def shows(
        self, generator: str = "", headers: list[tuple[str, str]] | None = None, page: str = ""
    ) -> None:
        meta = f'<meta name="generator" content="{generator}">' if generator else ""
        head = f"<head>{meta}<title>Accueil</title></head>"
        self.body = f"<!doctype html><html>{head}<body>{page}</body></html>".encode()
        self.headers = headers or []

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
