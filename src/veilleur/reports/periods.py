"""The periods reports cover: calendar months and calendar quarters, in the client's zone, and
when the report of the period just ended is due."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

MONTHLY, QUARTERLY = "monthly", "quarterly"
MONTHS_IN_PERIOD = {MONTHLY: 1, QUARTERLY: 3}


def period_first(kind: str, day: date) -> date:
    """The first day of the period of ``kind`` that contains ``day``."""
    length = MONTHS_IN_PERIOD[kind]
    return date(day.year, (day.month - 1) // length * length + 1, 1)


def period_after(kind: str, first: date) -> date:
    """The first day of the period that follows the one starting on ``first``."""
    month = first.month - 1 + MONTHS_IN_PERIOD[kind]
    return date(first.year + month // 12, month % 12 + 1, 1)


def last_ended_period(kind: str, day: date) -> date:
    """The first day of the latest period of ``kind`` over before the month of ``day`` began."""
    month_start = day.replace(day=1)
    first = period_first(kind, month_start - timedelta(days=1))
    if period_after(kind, first) > month_start:  # still running (a quarter inside this month's)
        first = period_first(kind, first - timedelta(days=1))
    return first


def period_due(kind: str, now: datetime, zone: ZoneInfo, day: int, hour: int) -> date | None:
    """The period whose report is due at ``now``: the latest one ended, once the local time is past
    ``day`` at ``hour`` of the month that follows it. None before that moment."""
    local = now.astimezone(zone)
    first = last_ended_period(kind, local.date())
    following = period_after(kind, first)
    due = datetime(following.year, following.month, day, hour, tzinfo=zone)
    return first if local >= due else None
