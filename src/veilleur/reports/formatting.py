"""Numbers, dates and durations as the report prints them, in the active language's formats."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from django.utils import formats, translation
from django.utils.translation import gettext as _

from veilleur.domain.accounting import percent_rounded_down


def number(value: Decimal | float | int, decimal_pos: int | None = None) -> str:
    return formats.number_format(value, decimal_pos=decimal_pos, use_l10n=True)


def percent(value: Decimal | Fraction | int | None) -> str:
    """A percentage without trailing zeros: "99,97 %", "100 %". A Decimal is a percentage already
    rounded down by the engine; a Fraction is a ratio, rounded down here the same way."""
    if value is None:
        return _("n/a")
    if isinstance(value, Fraction):
        value = percent_rounded_down(value)
    elif isinstance(value, int):
        value = Decimal(value)
    shown = value.quantize(Decimal("0.001")).normalize()
    if shown == shown.to_integral_value():
        shown = shown.quantize(Decimal(1))
    return _("%(number)s%%") % {"number": number(shown)}


def milliseconds(value: float | None) -> str:
    if value is None:
        return _("n/a")
    return _("%(number)s ms") % {"number": number(round(value))}


def apdex(value: float | None) -> str:
    if value is None:
        return _("n/a")
    return number(Decimal(str(value)).quantize(Decimal("0.01")), 2)


def duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds < 60:
        return _("%(seconds)d s") % {"seconds": seconds}
    minutes, _rest = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours == 0:
        return _("%(minutes)d min") % {"minutes": minutes}
    return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}


def long_date(value: date) -> str:
    """ "1er octobre 2026", "October 1, 2026"."""
    text = formats.date_format(value, _("j F Y"))
    if translation.get_language() == "fr" and value.day == 1:
        text = "1er" + text[1:]
    return text


def month_name(value: date) -> str:
    """ "octobre 2026", "October 2026"."""
    return formats.date_format(value, "F Y")


def local_datetime(value: datetime | None, zone: ZoneInfo) -> str:
    if value is None:
        return "—"
    return formats.date_format(value.astimezone(zone), _("j M Y, H:i"))


def machine_datetime(value: datetime, zone: tzinfo | None = None) -> str:
    """A moment for a ``<time datetime>`` attribute: to the second, with its offset. HTML allows
    at most three fraction digits, and a reader never needs them."""
    return value.astimezone(zone).isoformat(timespec="seconds")


def short_datetime(value: datetime | None, zone: ZoneInfo) -> str:
    if value is None:
        return "—"
    return formats.date_format(value.astimezone(zone), _("j M, H:i"))
