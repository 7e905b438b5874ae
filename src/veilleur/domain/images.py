"""Whether some bytes are a logo Veilleur may store and show, and of which type.

Accepted: PNG, JPEG, GIF and WebP, recognised by their content (never by the name or the type
the server announced) and decoded by Pillow to be sure they are what they claim. SVG is
refused: it is a document, not a picture. It can carry scripts (run on the status page's origin
if served from there) and references to other URLs (fetched by whatever renders it, the PDF
renderer included), and making it safe would mean rewriting it. A raster logo has neither.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

MAX_LOGO_BYTES = 512 * 1024
# Enough for any logo at print resolution; a small file that claims more is a decompression bomb.
MAX_LOGO_PIXELS = 4096 * 4096
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
)
MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}


class NotALogo(ValueError):
    """The bytes are not an image Veilleur accepts as a logo; the message says why."""


@dataclass(frozen=True)
class LogoImage:
    media_type: str
    width: int
    height: int


def sniff_format(data: bytes) -> str | None:
    """The image format the first bytes announce (PNG, JPEG, GIF, WEBP), or None."""
    for signature, name in _SIGNATURES:
        if data.startswith(signature):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def check_logo(data: bytes) -> LogoImage:
    """The logo's media type and size; raise ``NotALogo`` for anything else."""
    from PIL import Image  # Pillow is loaded where logos are checked, not at start-up

    if len(data) > MAX_LOGO_BYTES:
        raise NotALogo(f"the image is larger than {MAX_LOGO_BYTES // 1024} KiB")
    announced = sniff_format(data)
    if announced is None:
        if data.lstrip()[:5].lower() in {b"<?xml", b"<svg "} or b"<svg" in data[:1024].lower():
            raise NotALogo("SVG logos are not accepted (use PNG, JPEG, GIF or WebP)")
        raise NotALogo("not a PNG, JPEG, GIF or WebP image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[announced]) as image:
                width, height = image.size
                if width * height > MAX_LOGO_PIXELS:
                    raise NotALogo(f"the image is too large ({width}×{height} pixels)")
                # Checks the file's structure and checksums: WeasyPrint, once imported, tells
                # Pillow to load truncated images without a word, so load() alone would pass.
                image.verify()
            with Image.open(io.BytesIO(data), formats=[announced]) as image:
                image.load()  # decodes every pixel: a forged file fails here
    except NotALogo:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise NotALogo(f"not a valid {announced} image") from None
    if width < 1 or height < 1:
        raise NotALogo("the image is empty")
    return LogoImage(MEDIA_TYPES[announced], width, height)
