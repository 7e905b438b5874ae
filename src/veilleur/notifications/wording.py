"""Words for the facts an alert states: when, for how long (why: ``veilleur.incidents.causes``).

Each function answers in the language active at the call (``translation.override``) and, for
instants, in the time zone active at the call (``timezone.override``).
"""

from __future__ import annotations

from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import get_language, pgettext

# Instants in full, per language: "1 octobre 2026 à 14:03:05 CEST", "October 1, 2026, 14:03:05 CEST".
INSTANT_FORMATS = {"fr": "j F Y à H:i:s T", "en": "F j, Y, H:i:s T"}
TIME_OF_DAY_FORMAT = "H:i:s"


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
