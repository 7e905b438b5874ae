"""Template filters of the monthly report; see ``reports.formatting``."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from veilleur.domain import escaping
from veilleur.reports import formatting

register = template.Library()


@register.filter
def pct(value: Decimal | Fraction | int | None) -> str:
    return formatting.percent(value)


@register.filter
def ms(value: float | None) -> str:
    return formatting.milliseconds(value)


@register.filter
def apdex(value: float | None) -> str:
    return formatting.apdex(value)


@register.filter
def duration(value: timedelta) -> str:
    return formatting.duration(value)


@register.filter
def long_date(value: date) -> str:
    return formatting.long_date(value)


@register.filter
def month_name(value: date) -> str:
    return formatting.month_name(value)


@register.filter
def local(value: datetime | None, zone: ZoneInfo) -> str:
    return formatting.local_datetime(value, zone)


@register.filter
def machine_datetime(value: datetime, zone: tzinfo | None = None) -> str:
    """For ``<time datetime>``: in ``zone``, else in the time zone active in the template."""
    return formatting.machine_datetime(value, zone or timezone.get_current_timezone())


@register.filter
def local_short(value: datetime | None, zone: ZoneInfo) -> str:
    return formatting.short_datetime(value, zone)


@register.filter
def css_string(value: str) -> SafeString:
    """Text for a CSS ``content:`` (the page margins): a quoted, fully escaped CSS string, safe
    as it is inside the <style> element, so it must not be HTML-escaped on top."""
    return mark_safe(escaping.css_string(str(value)))  # holds no quote, "<", "&" or backslash of its own


@register.filter
def num(value: int) -> str:
    return formatting.number(value)


@register.filter
def seconds(value: int) -> str:
    """A whole number of seconds as a duration: the incident rows' printed downtime."""
    return formatting.duration(timedelta(seconds=value))
