"""Which monitors are inside a maintenance window, looked up once a minute per client."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from veilleur.clients.models import MaintenanceWindow
from veilleur.domain.maintenance import Interval, merge, occurrences

# Windows are looked up for this span around now: a leased check runs within seconds.
LOOK_AROUND = timedelta(hours=1)


class MaintenanceCalendar:
    """Caches each client's window occurrences; a changed window is seen within ``ttl``."""

    def __init__(self, ttl: timedelta = timedelta(seconds=60)) -> None:
        self.ttl = ttl
        self._cache: dict[int, tuple[datetime, list[tuple[set[int], Interval]]]] = {}

    def windows_for(self, monitors: list[tuple[int, int, int]], now: datetime) -> dict[int, list[Interval]]:
        """The maintenance spans around ``now`` of each (monitor id, site id, client id) given."""
        stale = {client_id for _, _, client_id in monitors if self._expired(client_id, now)}
        if stale:
            self._load(stale, now)
        found: dict[int, list[Interval]] = {}
        for monitor_id, site_id, client_id in monitors:
            spans = [
                span for site_ids, span in self._cache[client_id][1] if not site_ids or site_id in site_ids
            ]
            if spans:
                found[monitor_id] = merge(spans)
        return found

    def _expired(self, client_id: int, now: datetime) -> bool:
        cached = self._cache.get(client_id)
        return cached is None or now - cached[0] > self.ttl

    def _load(self, client_ids: set[int], now: datetime) -> None:
        loaded: dict[int, list[tuple[set[int], Interval]]] = defaultdict(list)
        windows = MaintenanceWindow.objects.filter(client_id__in=client_ids).select_related("client")
        for window in windows.prefetch_related("sites"):
            rule = window.rule(ZoneInfo(window.client.time_zone))
            site_ids = {site.pk for site in window.sites.all()}
            for span in occurrences(rule, now - LOOK_AROUND, now + LOOK_AROUND):
                loaded[window.client_id].append((site_ids, span))
        for client_id in client_ids:
            self._cache[client_id] = (now, loaded.get(client_id, []))
