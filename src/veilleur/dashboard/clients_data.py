"""What the client and site pages show, read in a fixed number of queries per page.

The 90 day bars come from the status pages' code (``statuspages.data.site_day_bars``) and the
response-time chart is the monthly report's SVG (``reports.charts``), so a staff page, a status
page and a report never disagree about the same site.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet
from django.utils import formats
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from veilleur.accounts.models import Agency
from veilleur.clients.models import Client, MaintenanceTask, MaintenanceWindow, Site
from veilleur.dashboard.clients_forms import task_categories
from veilleur.domain.overview import MonitorFacts, SiteState, site_state
from veilleur.history import read
from veilleur.history.accounting import windows_by_site
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import Monitor, MonitorRuntime
from veilleur.reports.charts import LatencyPoint, StripCell, latency_chart, uptime_strip
from veilleur.statuspages.data import DayBar, site_day_bars

RECENT_ROWS = 20
# Chart ranges offered on the site page: hours for the short ones, days for the long ones.
CHART_RANGES: dict[str, tuple[timedelta, str]] = {
    "24h": (timedelta(hours=24), "hour"),
    "7d": (timedelta(days=7), "hour"),
    "30d": (timedelta(days=30), "day"),
    "90d": (timedelta(days=90), "day"),
}
DEFAULT_RANGE = "24h"


@dataclass(frozen=True)
class MonitorRow:
    monitor: Monitor
    state: SiteState
    last_checked_at: datetime | None
    last_total_ms: int | None


@dataclass(frozen=True)
class SiteRow:
    site: Site
    state: SiteState
    monitors: tuple[MonitorRow, ...]
    bars: SafeString  # the 90 day uptime strip, SVG


def client_rows(agency: Agency, text: str = "", plan_id: int | None = None) -> QuerySet[Client]:
    """The agency's clients matching ``text`` (name, key, a site's name or address) and plan,
    with their counts: one query for the whole list."""
    clients = Client.objects.filter(agency=agency).select_related("plan")
    if text:
        matching = Site.objects.filter(agency=agency).filter(
            Q(name__icontains=text) | Q(url__icontains=text) | Q(key__icontains=text)
        )
        clients = clients.filter(
            Q(name__icontains=text) | Q(key__icontains=text) | Q(pk__in=matching.values("client_id"))
        )
    if plan_id is not None:
        clients = clients.filter(plan_id=plan_id)
    open_incidents = Q(sites__monitors__incidents__recovered_at__isnull=True)
    return clients.annotate(
        site_count=Count("sites", distinct=True),
        monitor_count=Count("sites__monitors", distinct=True),
        open_incident_count=Count("sites__monitors__incidents", filter=open_incidents, distinct=True),
    ).order_by("name", "pk")


def site_rows(client: Client, sites: Sequence[Site], now: datetime) -> list[SiteRow]:
    """Each site with its state now, its monitors' states and its 90 day bars."""
    monitors = list(Monitor.objects.filter(site__in=sites, agency_id=client.agency_id).order_by("key", "pk"))
    runtimes = {
        runtime.monitor_id: runtime
        for runtime in MonitorRuntime.objects.filter(monitor__in=monitors).only(
            "monitor_id", "last_checked_at", "last_total_ms"
        )
    }
    open_kinds: dict[int, set[str]] = defaultdict(set)
    for monitor_id, kind in Incident.objects.filter(
        monitor__in=monitors, recovered_at__isnull=True
    ).values_list("monitor_id", "kind"):
        open_kinds[monitor_id].add(kind)
    zone = ZoneInfo(client.time_zone)
    windows = windows_by_site(client, sites, now - timedelta(days=1), now + timedelta(seconds=1), zone)
    bars = site_day_bars(client, sites, monitors, now)
    rows = []
    for site in sites:
        in_maintenance = any(w.start <= now < w.end for w in windows.get(site.pk, []))
        monitor_rows = []
        facts_of_site: list[MonitorFacts] = []
        for monitor in (m for m in monitors if m.site_id == site.pk):
            runtime = runtimes.get(monitor.pk)
            checked_at = runtime.last_checked_at if runtime else None
            facts = MonitorFacts(
                paused=monitor.paused,
                interval=timedelta(seconds=monitor.interval_seconds or client.plan.check_interval_seconds),
                last_checked_at=checked_at,
                open_down=Incident.Kind.DOWN in open_kinds[monitor.pk],
                open_degraded=Incident.Kind.DEGRADED in open_kinds[monitor.pk],
                open_partial=Incident.Kind.PARTIAL in open_kinds[monitor.pk],
            )
            # A monitor's own state is that of a site it would watch alone: the overview's rule.
            state = site_state([facts], in_maintenance, now)
            facts_of_site.append(facts)
            monitor_rows.append(
                MonitorRow(monitor, state, checked_at, runtime.last_total_ms if runtime else None)
            )
        rows.append(
            SiteRow(
                site=site,
                state=site_state(facts_of_site, in_maintenance, now),
                monitors=tuple(monitor_rows),
                bars=_bars_svg(site.name, bars[site.pk]),
            )
        )
    return rows


def _bars_svg(site_name: str, bars: Sequence[DayBar]) -> SafeString:
    cells = [
        StripCell(
            label="",
            uptime_percent=bar.uptime_percent,
            tooltip=_day_tooltip(bar),
        )
        for bar in bars
    ]
    title = _("Uptime of %(site)s, day by day over the last 90 days") % {"site": site_name}
    # charts.py escapes every text it writes.
    return mark_safe(uptime_strip(cells, title=title, height=24, label_space=0))


def _day_tooltip(bar: DayBar) -> str:
    day = formats.date_format(bar.day, "DATE_FORMAT")
    if bar.uptime_percent is None:
        return _("%(day)s: nothing monitored") % {"day": day}
    return _("%(day)s: %(uptime)s %% up") % {"day": day, "uptime": _percent(bar.uptime_percent)}


def _percent(value: Decimal) -> str:
    return formats.number_format(value, decimal_pos=2)


def latency_svg(site: Site, monitors: Sequence[Monitor], now: datetime, range_key: str) -> SafeString:
    """p50 and p95 response times of the site over the range, per hour or per day in the client's zone."""
    length, granularity = CHART_RANGES[range_key]
    zone_name = site.client.time_zone
    bounds = read.bucket_bounds(now - length, now, "hour" if granularity == "hour" else "day", zone_name)
    by_hour = read.site_hourly_rollups(
        [m.pk for m in monitors], site.apdex_threshold_ms, bounds[0], bounds[-1]
    )
    zone = ZoneInfo(zone_name)
    points = []
    for bucket in read.buckets_of(by_hour, bounds):
        local = bucket.start.astimezone(zone)
        if granularity == "hour":
            label = (
                formats.time_format(local, "H") + "h"
                if range_key == "24h"
                else formats.date_format(local, "j")
            )
        else:
            label = formats.date_format(local, "j")
        points.append(LatencyPoint(label, bucket.p50_ms, bucket.p95_ms))
    chart = latency_chart(
        points,
        title=_("Response time of %(site)s") % {"site": site.name},
        y_label=_("milliseconds"),
        p50_label=_("typical (median)"),
        p95_label=_("19 in 20 (p95)"),
        no_data_label=_("No response time recorded over this period"),
    )
    return mark_safe(chart)


def recent_incidents(monitors: QuerySet[Monitor]) -> list[Incident]:
    return list(
        Incident.objects.filter(monitor__in=monitors)
        .select_related("monitor__site")
        .order_by("-first_failed_at", "-pk")[:RECENT_ROWS]
    )


def recent_tasks(tasks: QuerySet[MaintenanceTask]) -> list[MaintenanceTask]:
    labels = dict(task_categories())
    rows = list(tasks.select_related("site").order_by("-date", "-pk")[:RECENT_ROWS])
    for row in rows:
        row.category_label = labels.get(row.category, row.category)  # type: ignore[attr-defined]
    return rows


def windows_of(client: Client) -> list[MaintenanceWindow]:
    return list(
        MaintenanceWindow.objects.filter(client=client).prefetch_related("sites").order_by("start_date", "pk")
    )
