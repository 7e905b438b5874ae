"""The rows the accounting engine needs, read for a set of monitors and a span of time.

One query per table whatever the number of monitors, so a report or a status page costs the
same few queries for one site or fifty. Shared by the monthly report and the status pages.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Q

from veilleur.clients.models import Client, MaintenanceWindow, Site
from veilleur.domain.accounting import (
    BlipRecord,
    IncidentKind,
    IncidentRecord,
    MonitorHistory,
    Period,
    SiteAccount,
    account_period,
    account_site,
)
from veilleur.domain.maintenance import Interval, occurrences
from veilleur.incidents.models import Blip, Incident
from veilleur.monitoring.models import Monitor, NoDataGap, PausedSpan


@dataclass(frozen=True)
class WindowOccurrence:
    title: str
    start: datetime
    end: datetime
    public_note: str = ""


def gaps_by_monitor(monitor_ids: list[int], start: datetime, end: datetime) -> dict[int, list[Interval]]:
    by_monitor: dict[int, list[Interval]] = defaultdict(list)
    rows = NoDataGap.objects.filter(
        monitor_id__in=monitor_ids, started_at__lt=end, ended_at__gt=start
    ).values_list("monitor_id", "started_at", "ended_at")
    for monitor_id, started_at, ended_at in rows:
        by_monitor[monitor_id].append((started_at, ended_at))
    return by_monitor


def pauses_by_monitor(monitor_ids: list[int], start: datetime, end: datetime) -> dict[int, list[Interval]]:
    """Each monitor's paused spans meeting [start, end); a pause still running ends at ``end``."""
    by_monitor: dict[int, list[Interval]] = defaultdict(list)
    rows = PausedSpan.objects.filter(monitor_id__in=monitor_ids, started_at__lt=end).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=start)
    )
    for monitor_id, started_at, ended_at in rows.values_list("monitor_id", "started_at", "ended_at"):
        by_monitor[monitor_id].append((started_at, ended_at or end))
    return by_monitor


def incidents_by_monitor(monitor_ids: list[int], start: datetime, end: datetime) -> dict[int, list[Incident]]:
    by_monitor: dict[int, list[Incident]] = defaultdict(list)
    rows = Incident.objects.filter(monitor_id__in=monitor_ids, first_failed_at__lt=end).filter(
        Q(recovered_at__isnull=True) | Q(recovered_at__gte=start)
    )
    # A partial outage (some regions failed, most succeeded) is the agency's information, shown on
    # its incident pages, dashboard and API: never downtime, never in a client's document.
    rows = rows.exclude(kind=Incident.Kind.PARTIAL)
    for row in rows.order_by("first_failed_at", "id"):
        by_monitor[row.monitor_id].append(row)
    return by_monitor


def blips_by_monitor(monitor_ids: list[int], start: datetime, end: datetime) -> dict[int, list[Blip]]:
    by_monitor: dict[int, list[Blip]] = defaultdict(list)
    rows = Blip.objects.filter(monitor_id__in=monitor_ids, started_at__lt=end, ended_at__gte=start)
    for row in rows.order_by("started_at", "id"):
        by_monitor[row.monitor_id].append(row)
    return by_monitor


def windows_by_site(
    client: Client, sites: Sequence[Site], start: datetime, end: datetime, zone: ZoneInfo
) -> dict[int, list[WindowOccurrence]]:
    """Each window's occurrences in [start, end), under every site it applies to (none: all)."""
    by_site: dict[int, list[WindowOccurrence]] = {site.pk: [] for site in sites}
    for window in MaintenanceWindow.objects.filter(client=client).prefetch_related("sites"):
        rule = window.rule(zone)
        # One list of occurrences shared by every site the window covers (they cannot change):
        # a weekly window over a page of hundreds of sites is thousands of them otherwise.
        shared = [
            WindowOccurrence(window.title, a, b, window.public_note) for a, b in occurrences(rule, start, end)
        ]
        chosen = [site.pk for site in window.sites.all()] or list(by_site)
        for site_id in chosen:
            by_site.setdefault(site_id, []).extend(shared)
    for listed in by_site.values():
        listed.sort(key=lambda occurrence: (occurrence.start, occurrence.title))
    return by_site


def incident_record(row: Incident) -> IncidentRecord:
    return IncidentRecord(
        kind=IncidentKind(row.kind),
        first_failed_at=row.first_failed_at,
        confirmed_at=row.confirmed_at,
        acknowledged_at=row.acknowledged_at,
        recovered_at=row.recovered_at,
        sla_due_at=row.sla_due_at,
        key=row.pk,
    )


def monitor_history(
    monitor: Monitor,
    windows: Sequence[WindowOccurrence],
    gaps: Sequence[Interval],
    incidents: Sequence[Incident],
    blips: Sequence[Blip] = (),
    paused: Sequence[Interval] = (),
) -> MonitorHistory:
    """What the accounting engine needs of one monitor: the same for reports, pages and the API."""
    return MonitorHistory(
        created_at=monitor.created_at,
        paused=paused,
        maintenance=[(window.start, window.end) for window in windows],
        no_data_gaps=gaps,
        incidents=[incident_record(row) for row in incidents],
        blips=[BlipRecord(b.started_at, b.ended_at, key=b.pk) for b in blips],
    )


def site_account(site: Site, period: Period, now: datetime) -> SiteAccount:
    """One site's figures over ``period`` as known at ``now``: the API's site uptime, computed by
    the same rule and from the same rows as the report's and the status page's."""
    zone = ZoneInfo(site.client.time_zone)
    monitors = list(Monitor.objects.filter(site=site).order_by("key", "id"))
    monitor_ids = [monitor.pk for monitor in monitors]
    windows = windows_by_site(site.client, [site], period.start, period.end, zone)[site.pk]
    gaps = gaps_by_monitor(monitor_ids, period.start, period.end)
    pauses = pauses_by_monitor(monitor_ids, period.start, period.end)
    incidents = incidents_by_monitor(monitor_ids, period.start, period.end)
    accounts = [
        account_period(
            period,
            monitor_history(
                monitor, windows, gaps[monitor.pk], incidents[monitor.pk], paused=pauses[monitor.pk]
            ),
            now,
        )
        for monitor in monitors
    ]
    return account_site(period, now, accounts)
