"""Whether the checkers keep up: monitors whose check is overdue by more than twice their
interval (a checker that keeps up starts each check within a second of its due time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

OVERDUE_INTERVALS = 2


@dataclass(frozen=True)
class Overdue:
    monitor_id: int
    due_at: datetime
    interval_seconds: int

    def late_by(self, now: datetime) -> timedelta:
        return now - self.due_at


def overdue_monitors(now: datetime) -> list[Overdue]:
    """Unpaused monitors due more than ``OVERDUE_INTERVALS`` × their interval before ``now``."""
    from veilleur.monitoring.models import MonitorRuntime

    # The shortest interval any monitor can have bounds the query; each row's own interval
    # (the monitor's, else its plan's) decides. Few rows pass the bound while checkers keep up.
    shortest = timedelta(seconds=OVERDUE_INTERVALS * settings.VEILLEUR_MIN_INTERVAL_SECONDS)
    rows = MonitorRuntime.objects.filter(due_at__lt=now - shortest, monitor__paused=False).values_list(
        "monitor_id",
        "due_at",
        "monitor__interval_seconds",
        "monitor__site__client__plan__check_interval_seconds",
    )
    overdue = []
    for monitor_id, due_at, own_interval, plan_interval in rows.iterator(chunk_size=2000):
        interval = own_interval or plan_interval
        if due_at < now - OVERDUE_INTERVALS * timedelta(seconds=interval):
            overdue.append(Overdue(monitor_id, due_at, interval))
    return overdue
