"""Why a site was down, in words a client reads: never a code, never the same fact twice.

One function for every text that states a cause (the monthly report, the alert and recovery
mails, the link page and the staff incident pages): the probe's error class becomes a sentence;
an HTTP status is given with its standard name ("HTTP 502 Bad Gateway") once; the probe's own
message is added only when asked for (texts for the agency) and only when it says something
the rest does not already say.
"""

from __future__ import annotations

from http import HTTPStatus

from django.utils.translation import gettext as _


def _sentences() -> dict[str, str]:
    return {
        "dns": _("The site's address could not be found (domain name problem)"),
        "refused": _("The server refused the connection"),
        "reset": _("The server cut the connection"),
        "timeout": _("The site did not answer in time"),
        "tls_expired": _("The site's security certificate had expired"),
        "tls_hostname": _("The site's security certificate did not match its address"),
        "tls_untrusted": _("The site's security certificate was not trusted"),
        "tls_other": _("The secure connection to the site failed"),
        "http_status": _("The site answered with an error"),
        "keyword": _("The page no longer showed its expected content"),
        "forbidden_keyword": _("The page showed an error text"),
        "too_many_redirects": _("The page kept redirecting to itself"),
        "body_too_large": _("The page was too large"),
        "blocked_address": _("The site's address could not be checked"),
        "protocol": _("The server's answer was garbled"),
        "slow": _("The site answered slowly"),
        "other": _("The check failed"),
    }


def error_class_in_words(error_class: str) -> str:
    """The probe's error class (a stable code) as a sentence, without status or message."""
    return _sentences().get(error_class, _("The check failed") if error_class else _("The site was down"))


def status_line(status_code: int) -> str:
    """ "HTTP 502 Bad Gateway"; a code without a standard name stays "HTTP 599"."""
    try:
        return f"HTTP {status_code} {HTTPStatus(status_code).phrase}"
    except ValueError:
        return f"HTTP {status_code}"


def cause_in_words(
    error_class: str, status_code: int | None, message: str = "", *, detail: bool = False
) -> str:
    """The cause as one sentence, e.g. "The site answered with an error (HTTP 502 Bad Gateway)".

    ``detail`` adds the probe's message (for the agency's own mails), unless it only repeats the
    status line or the sentence."""
    sentence = error_class_in_words(error_class)
    extra = []
    if status_code is not None:
        extra.append(status_line(status_code))
    message = message.strip()
    if detail and message and not _repeats(message, status_code, extra):
        extra.append(message)
    if not extra:
        return sentence
    return _("%(sentence)s (%(detail)s)") % {"sentence": sentence, "detail": " — ".join(extra)}


def _repeats(message: str, status_code: int | None, already: list[str]) -> bool:
    lowered = message.lower()
    # "Service Unavailable" or "HTTP 503" adds nothing to "HTTP 503 Service Unavailable".
    if any(lowered in part.lower() for part in already):
        return True
    return status_code is not None and lowered.startswith(f"http {status_code}")
