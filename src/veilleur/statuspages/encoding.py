"""A status page rendering as a response, gzip-compressed for the visitors whose browser asks for it.

A rendering is compressed once, when it is made, and kept compressed beside the plain body
(``cache.py``), so no request pays for compressing it. A page of 500 components is about 520 KiB
of HTML and 30 KiB compressed: served compressed, it cost the web role 0.88 ms of CPU a request
instead of 0.97 ms, and a visitor on a slow network downloads a seventeenth of it
(bench/statuspage).

Renderings are shared by every visitor and hold nothing of one visitor (no CSRF token, no
session), so compressing them does not expose a secret to BREACH-style guessing.
"""

from __future__ import annotations

import gzip
from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

if TYPE_CHECKING:
    from veilleur.statuspages.cache import Rendered

# Below this, a compressed body is barely smaller and the header costs as much as it saves.
MIN_COMPRESSED_SIZE = 1024
# zlib's default: on these pages, higher levels save under 2 % more for twice the time.
LEVEL = 6


def compressed(body: bytes) -> bytes | None:
    """``body`` gzip-compressed, or None when that is not worth sending."""
    if len(body) < MIN_COMPRESSED_SIZE:
        return None
    # mtime=0: the same body always compresses to the same bytes.
    packed = gzip.compress(body, LEVEL, mtime=0)
    return packed if len(packed) < len(body) else None


def accepts_gzip(request: HttpRequest) -> bool:
    """Whether the request's Accept-Encoding allows gzip (RFC 9110 §12.5.3): named, or covered
    by ``*``, with a weight above zero. A weight that is not a number counts as a refusal."""
    weights: dict[str, float] = {}
    for item in request.META.get("HTTP_ACCEPT_ENCODING", "").split(","):
        coding, _, parameters = item.partition(";")
        coding = coding.strip().lower()
        if coding:
            weights[coding] = _weight(parameters)
    for coding in ("gzip", "x-gzip", "*"):
        if coding in weights:
            return weights[coding] > 0
    return False


def _weight(parameters: str) -> float:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value.strip())
            except ValueError:
                return 0.0
    return 1.0


def rendering_response(request: HttpRequest, rendered: Rendered) -> HttpResponse:
    """``rendered`` as the answer to ``request``: compressed when both allow it."""
    if rendered.gzipped is not None and accepts_gzip(request):
        response = HttpResponse(rendered.gzipped, content_type=rendered.content_type)
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(rendered.body, content_type=rendered.content_type)
    if rendered.gzipped is not None:
        # The same address answers two bodies: a shared cache must keep them apart.
        patch_vary_headers(response, ("Accept-Encoding",))
    return response
