"""Template filters of the monthly report; see ``reports.formatting``."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone

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
