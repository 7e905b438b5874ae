"""Words for the facts an alert states: why a check failed, when, for how long.

Each function answers in the language active at the call (``translation.override``) and, for
instants, in the time zone active at the call (``timezone.override``).
"""

from __future__ import annotations

from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

# Instants in full, per language: "1 octobre 2026 à 14:03:05 CEST", "October 1, 2026, 14:03:05 CEST".
INSTANT_FORMATS = {"fr": "j F Y à H:i:s T", "en": "F j, Y, H:i:s T"}
TIME_OF_DAY_FORMAT = "H:i:s"


def describe_error_class(error_class: str) -> str:
    """The probe's error class (a stable code) as a short sentence."""
    sentences = {
        "dns": _("The domain name does not resolve"),
        "refused": _("The server refused the connection"),
        "reset": _("The connection was cut by the server"),
        "timeout": _("The server did not answer in time"),
        "tls_expired": _("The TLS certificate has expired"),
        "tls_hostname": _("The TLS certificate is not valid for this name"),
        "tls_untrusted": _("The TLS certificate is not trusted"),
        "tls_other": _("The secure (TLS) connection failed"),
        "http_status": _("The page answered with an unexpected HTTP status"),
        "keyword": _("The expected text is missing from the page"),
        "forbidden_keyword": _("A forbidden text appears on the page"),
        "too_many_redirects": _("The page redirects too many times"),
        "body_too_large": _("The page is too large"),
        "blocked_address": _("The site's address is not allowed for checks"),
        "protocol": _("The server's answer is not valid HTTP"),
    }
    return sentences.get(error_class, _("The check failed"))


def describe_cause(error_class: str, status_code: int | None, message: str) -> str:
    """The cause in one line, each fact once, e.g. "The page answered with an unexpected HTTP
    status — HTTP 503 Service Unavailable" (the probe's message often names the status already)."""
    parts = [describe_error_class(error_class)]
    status = f"HTTP {status_code}" if status_code is not None else ""
    if status and not message.startswith(status):
        parts.append(status)
    if message:
        parts.append(message)
    return " — ".join(parts)


def format_instant(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return formats.date_format(local, INSTANT_FORMATS.get(get_language() or "", INSTANT_FORMATS["en"]))


def format_time_of_day(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), TIME_OF_DAY_FORMAT)


def format_span(start: datetime, end: datetime) -> str:
    """The duration between two instants as they are shown (to the second): a reader who
    subtracts the times beside it gets this figure, never one second less."""
    return format_duration((end.replace(microsecond=0) - start.replace(microsecond=0)).total_seconds())


def format_duration(seconds: float) -> str:
    """A duration as "12 min 30 s", "1 h 5 min", "2 d 3 h" ("2 j 3 h" in French): every unit
    that is not zero, in whole seconds, at least "0 s"."""
    remaining = max(0, int(seconds))
    units = (
        (86400, pgettext("duration unit: days", "d")),
        (3600, "h"),
        (60, "min"),
        (1, "s"),
    )
    parts = []
    for size, symbol in units:
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count} {symbol}")
    return " ".join(parts) or "0 s"
