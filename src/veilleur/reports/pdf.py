"""Turning a report's HTML into PDF with WeasyPrint, in this process or in a child process.

WeasyPrint is the heaviest library Veilleur uses: some 30 MiB once imported, plus what laying out
a document takes, which a Python process keeps once it has grown. The worker renders its reports
through ``PdfRenderer``: one child process per run of the report job, which exits when the run
ends and takes all of that memory with it. This module imports nothing of Django, so the child
loads only WeasyPrint.
"""

from __future__ import annotations

import struct
import subprocess
import sys
from types import TracebackType
from typing import IO, Any

# The only scheme the PDF renderer may read: the report embeds its stored logo as a data: URI.
RENDERER_SCHEMES = ("data",)
_LENGTH = struct.Struct(">Q")
_OK, _FAILED = b"\x00", b"\x01"


def pdf_from_html(html: str) -> bytes:
    """The PDF of a report already rendered as HTML."""
    import weasyprint

    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=stored_assets_only())
    pdf: bytes = document.write_pdf()
    return pdf


def stored_assets_only() -> Any:
    """WeasyPrint's URL fetcher for reports: it serves the ``data:`` URIs the report was built
    with and refuses every other URL (http, https, file, ftp, …), so rendering a report never
    makes a request, whatever an agency typed; a refused resource is left out."""
    import weasyprint

    fetcher_class = getattr(weasyprint, "URLFetcher", None)
    if fetcher_class is not None:  # WeasyPrint 68 and later
        return fetcher_class(allowed_protocols=RENDERER_SCHEMES, allow_redirects=False)

    def fetch(url: str, *args: Any, **kwargs: Any) -> Any:
        if url.split(":", 1)[0].lower() not in RENDERER_SCHEMES:
            raise ValueError(f"the report renderer fetches nothing ({url[:80]})")
        return weasyprint.default_url_fetcher(url, *args, **kwargs)

    return fetch


class PdfRenderingError(Exception):
    """The child process could not render a document; the message says why."""


class PdfRenderer:
    """``render(html)`` in a child process, started with the first document and ended by
    ``close()`` (or the end of a ``with`` block). A child that died is started again."""

    def __init__(self) -> None:
        self._child: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> PdfRenderer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def render(self, html: str) -> bytes:
        child = self._running_child()
        assert child.stdin is not None and child.stdout is not None
        try:
            _write_frame(child.stdin, html.encode("utf-8"))
            status = _read_exactly(child.stdout, 1)
            body = _read_frame(child.stdout)
        except (OSError, EOFError, ValueError) as exc:  # ValueError: its pipe is closed
            self.close()
            raise PdfRenderingError(f"the PDF renderer process ended ({exc or 'no answer'})") from None
        if status != _OK:
            raise PdfRenderingError(body.decode("utf-8", errors="replace"))
        return body

    def close(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        if child.stdin is not None:
            child.stdin.close()  # the child ends at the end of its input
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()

    def _running_child(self) -> subprocess.Popen[bytes]:
        if self._child is None or self._child.poll() is not None:
            self.close()
            self._child = subprocess.Popen(
                [sys.executable, "-m", "veilleur.reports.pdf"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
            )
        return self._child


def _write_frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(_LENGTH.pack(len(payload)) + payload)
    stream.flush()


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EOFError("the stream ended")
    return data


def _read_frame(stream: IO[bytes]) -> bytes:
    (size,) = _LENGTH.unpack(_read_exactly(stream, _LENGTH.size))
    return _read_exactly(stream, size)


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """The child's loop: a framed HTML document in, a status byte and a framed PDF (or the
    error's message) out, until the input ends."""
    while True:
        try:
            html = _read_frame(stdin).decode("utf-8")
        except EOFError:
            return
        try:
            status, body = _OK, pdf_from_html(html)
        except Exception as exc:  # the parent decides; this process renders the next one
            status, body = _FAILED, f"{type(exc).__name__}: {exc}".encode()
        stdout.write(status)
        _write_frame(stdout, body)


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
