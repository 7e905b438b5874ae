"""Numbers, dates and durations as the report prints them, in the active language's formats."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from django.utils import formats, translation
from django.utils.translation import gettext as _

from veilleur.domain.accounting import percent_rounded_down

NO_BREAK_SPACE = "\u00a0"


def number(value: Decimal | float | int, decimal_pos: int | None = None) -> str:
    # Grouped by thousands in every language: "14 410" (no-break space) in French, "14,410" in English.
    return formats.number_format(value, decimal_pos=decimal_pos, use_l10n=True, force_grouping=True)


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
    """Whole seconds, every unit that is not zero: "45 s", "2 min 20 s", "4 h", "1 h 05 min".
    Seconds are never dropped, so printed durations add up as the exact ones do (16:17:50 →
    16:20:10 is "2 min 20 s", not "2 min"). Units are joined by no-break spaces."""
    seconds = max(0, value // timedelta(seconds=1))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(_("%(hours)s h") % {"hours": number(hours)})
    if minutes:
        parts.append((_("%(minutes)02d min") if hours else _("%(minutes)d min")) % {"minutes": minutes})
    if seconds or not parts:
        parts.append(_("%(seconds)d s") % {"seconds": seconds})
    return NO_BREAK_SPACE.join(part.replace(" ", NO_BREAK_SPACE) for part in parts)


def long_date(value: date) -> str:
    """ "1er octobre 2026", "October 1, 2026"."""
    text = formats.date_format(value, _("j F Y"))
    if translation.get_language() == "fr" and value.day == 1:
        text = "1er" + text[1:]
    return text


def day_of_month(value: date) -> str:
    """ "1er" in French for the first, else the day's number: the start of "1er–4 décembre 2026"."""
    if translation.get_language() == "fr" and value.day == 1:
        return "1er"
    return str(value.day)


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


def quarter_name(first: date) -> str:
    """ "Q4 2026", "T4 2026": the calendar quarter starting on ``first``."""
    return _("Q%(quarter)d %(year)d") % {"quarter": (first.month - 1) // 3 + 1, "year": first.year}


def period_name(kind: str, first: date) -> str:
    """The period a report covers, by its kind: "October 2026" (monthly), "Q4 2026" (quarterly)."""
    return quarter_name(first) if kind == "quarterly" else month_name(first)
