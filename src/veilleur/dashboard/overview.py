"""The overview's figures, gathered in a fixed number of queries whatever the number of sites.

Two steps. ``site_rows`` reads what every site's state needs (sites, monitors with their last
check, open incidents, maintenance windows: a handful of queries over the whole agency), so
that filtering by state and sorting problems first see every site. ``page_details`` then adds,
for the sites of one page only, the figures that cost more: uptime over 24 hours and the month
to date (``domain.accounting``, as reports and status pages count it), p95 response time and the
hourly heartbeat bars (the history app's hourly rollups plus hours not compacted yet), and the
open incidents with their response clock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from itertools import groupby
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from veilleur.accounts.models import Agency
from veilleur.certificates.summary import Expiry, soonest_expiries
from veilleur.clients.models import Client, MaintenanceWindow, Site
from veilleur.domain.accounting import (
    Period,
    account_period,
    account_site,
    percent_rounded_down,
    site_totals_between,
    uptime_of,
)
from veilleur.domain.histogram import BUCKETS, LatencyHistogram
from veilleur.domain.maintenance import occurrences
from veilleur.domain.overview import Beat, MonitorFacts, SiteState, beat_of, site_state
from veilleur.domain.resultcodec import ResultRecord
from veilleur.domain.rollups import HourRollup, rollup_hour, unpack_day
from veilleur.domains.facts import DomainFacts, domain_facts_of
from veilleur.history.accounting import (
    WindowOccurrence,
    gaps_by_monitor,
    incidents_by_monitor,
    monitor_history,
    pauses_by_monitor,
)
from veilleur.history.jobs import HOUR, RESULT_FIELDS, floor_hour, record_of_row
from veilleur.history.models import RollupDay
from veilleur.incidents.models import Incident
from veilleur.incidents.sla import ResponseState, response_state
from veilleur.monitoring.models import CheckResult, Monitor

HEARTBEAT_HOURS = 24
RAW_CHUNK = 2000  # raw results fetched at a time
# Days of rollups kept unpacked (a few KiB each): two per monitor of a few pages of about 150
# monitors; few enough to keep the embedded install small (docs/deployment.md).
ROLLUP_DAYS_KEPT = 1024
STATE_LABELS = {
    SiteState.DOWN: gettext_lazy("down"),
    SiteState.PARTIAL: gettext_lazy("partial outage"),
    SiteState.DEGRADED: gettext_lazy("degraded"),
    SiteState.NO_DATA: gettext_lazy("no data"),
    SiteState.MAINTENANCE: gettext_lazy("maintenance"),
    SiteState.PAUSED: gettext_lazy("paused"),
    SiteState.UP: gettext_lazy("up"),
}
DAY = timedelta(hours=24)


@dataclass
class MonitorLine:
    id: int
    site_id: int
    facts: MonitorFacts


@dataclass
class SiteRow:
    """One line of the overview: a site, or a client that has no site yet (``site_id`` None)."""

    client_id: int
    client_name: str
    client_demo: bool
    client_zone: str
    plan_name: str
    site_id: int | None
    site_name: str
    site_url: str
    apdex_threshold_ms: int
    state: SiteState
    last_checked_at: datetime | None
    checked_within_a_minute: bool = False
    monitors: list[MonitorLine] = field(default_factory=list)
    windows: list[WindowOccurrence] = field(default_factory=list)
    # Filled by ``page_details`` for the rows of the page shown:
    uptime_24h: Decimal | None = None
    uptime_month: Decimal | None = None
    p95_ms: float | None = None
    beats: list[Beat] = field(default_factory=list)  # the last HEARTBEAT_HOURS hours, oldest first
    open_incidents: list[tuple[Incident, ResponseState]] = field(default_factory=list)
    # Certificate monitoring: the site's certificate that expires first (None: not watched).
    certificate: Expiry | None = None
    # Domains: the registration expiry, where the plan watches it (filled by ``page_details``).
    watches_domain: bool = False
    domain: DomainFacts | None = None

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def beat_bars(self) -> str:
        """The bars themselves, one empty span per hour (classes only: nothing to escape)."""
        return mark_safe("".join(f'<span class="beat beat-{beat.value}"></span>' for beat in self.beats))

    @property
    def beat_counts(self) -> dict[str, int]:
        """How many hours of each kind, for the bars' text alternative."""
        counts = {beat.value: 0 for beat in Beat}
        for beat in self.beats:
            counts[beat.value] += 1
        return counts


@dataclass(frozen=True)
class SiteFilter:
    plan_id: int | None = None
    client_id: int | None = None
    text: str = ""


def site_rows(agency: Agency, now: datetime, chosen: SiteFilter) -> list[SiteRow]:
    """Every site of ``agency`` matching ``chosen`` (and every such client without a site), with
    its state at ``now``. Eight queries whatever the number of sites."""
    sites = _sites(agency, chosen)
    site_values = list(
        sites.values(
            "id",
            "name",
            "url",
            "apdex_threshold_ms",
            "client_id",
            "client__name",
            "client__demo",
            "client__time_zone",
            "client__plan__name",
            "client__plan__check_interval_seconds",
            "client__plan__ssl_monitoring",
        )
    )
    plan_intervals = {site["id"]: site["client__plan__check_interval_seconds"] for site in site_values}
    open_kinds = _open_incident_kinds(agency)
    windows = _windows_now(agency, now)
    rows: list[SiteRow] = []
    by_site: dict[int, list[MonitorLine]] = defaultdict(list)
    for line in _monitor_lines(_monitors(sites), plan_intervals, open_kinds):
        by_site[line.site_id].append(line)
    for site in site_values:
        lines = by_site.get(site["id"], [])
        site_windows = windows.get((site["client_id"], site["id"]), [])
        in_window = any(window.start <= now < window.end for window in site_windows)
        checks = [line.facts.last_checked_at for line in lines if line.facts.last_checked_at]
        rows.append(
            SiteRow(
                client_id=site["client_id"],
                client_name=site["client__name"],
                client_demo=site["client__demo"],
                client_zone=site["client__time_zone"],
                plan_name=site["client__plan__name"],
                site_id=site["id"],
                site_name=site["name"],
                site_url=site["url"],
                apdex_threshold_ms=site["apdex_threshold_ms"],
                state=site_state([line.facts for line in lines], in_window, now),
                last_checked_at=max(checks, default=None),
                checked_within_a_minute=bool(checks) and now - max(checks) < timedelta(minutes=1),
                monitors=lines,
                windows=site_windows,
                watches_domain=site["client__plan__ssl_monitoring"] and not site["client__demo"],
            )
        )
    expiries = soonest_expiries(agency, [site["id"] for site in site_values], now)
    for row in rows:
        row.certificate = expiries.get(row.site_id) if row.site_id is not None else None
    rows += _clients_without_sites(agency, chosen)
    return rows


def _sites(agency: Agency, chosen: SiteFilter) -> QuerySet[Site]:
    sites = Site.objects.filter(agency=agency)
    if chosen.plan_id is not None:
        sites = sites.filter(client__plan_id=chosen.plan_id)
    if chosen.client_id is not None:
        sites = sites.filter(client_id=chosen.client_id)
    if chosen.text:
        sites = sites.filter(
            Q(name__icontains=chosen.text)
            | Q(url__icontains=chosen.text)
            | Q(client__name__icontains=chosen.text)
        )
    return sites.order_by()


def _monitors(sites: QuerySet[Site]) -> Iterable[tuple[int, int, bool, int | None, datetime | None]]:
    """(id, site, paused, own interval, last check) of the sites' monitors: plain tuples, and no
    join to the plan (the sites' rows carry its interval), as this reads every monitor."""
    return (
        Monitor.objects.filter(site__in=sites.values("id"))
        .order_by("key", "id")
        .values_list("id", "site_id", "paused", "interval_seconds", "runtime__last_checked_at")
    )


def _open_incident_kinds(agency: Agency) -> dict[int, set[str]]:
    kinds: dict[int, set[str]] = defaultdict(set)
    rows = Incident.objects.filter(agency=agency, recovered_at__isnull=True).values_list("monitor_id", "kind")
    for monitor_id, kind in rows:
        kinds[monitor_id].add(kind)
    return kinds


def _monitor_lines(
    monitors: Iterable[tuple[int, int, bool, int | None, datetime | None]],
    plan_intervals: dict[int, int],
    open_kinds: dict[int, set[str]],
) -> list[MonitorLine]:
    lines = []
    intervals: dict[int, timedelta] = {}  # a few distinct values: one timedelta each
    no_kinds: set[str] = set()
    for monitor_id, site_id, paused, own_interval, last_checked_at in monitors:
        seconds = own_interval or plan_intervals[site_id]
        interval = intervals.get(seconds) or intervals.setdefault(seconds, timedelta(seconds=seconds))
        kinds = open_kinds.get(monitor_id, no_kinds)
        facts = MonitorFacts(
            paused=bool(paused),
            interval=interval,
            last_checked_at=last_checked_at,
            open_down=Incident.Kind.DOWN in kinds,
            open_degraded=Incident.Kind.DEGRADED in kinds,
            open_partial=Incident.Kind.PARTIAL in kinds,
        )
        lines.append(MonitorLine(monitor_id, site_id, facts))
    return lines


def _windows_now(agency: Agency, now: datetime) -> dict[tuple[int, int], list[WindowOccurrence]]:
    """Maintenance windows of the agency over the month so far (what the month's uptime leaves
    out) and the moment ``now``, keyed by (client, site). Three queries."""
    start = now - 32 * DAY
    windows: dict[tuple[int, int], list[WindowOccurrence]] = defaultdict(list)
    site_ids = _site_ids_by_client(agency)
    rows = MaintenanceWindow.objects.filter(agency=agency).select_related("client")
    # The sites a window names, read once for all windows: a prefetch builds a queryset per window.
    named: dict[int, list[int]] = defaultdict(list)
    through = MaintenanceWindow.sites.through.objects.filter(maintenancewindow__agency=agency)
    for window_id, site_id in through.values_list("maintenancewindow_id", "site_id"):
        named[window_id].append(site_id)
    for window in rows:
        spans = occurrences(
            window.rule(ZoneInfo(window.client.time_zone)), start, now + timedelta(microseconds=1)
        )
        for site_id in named.get(window.pk) or site_ids.get(window.client_id, []):
            windows[(window.client_id, site_id)] += [
                WindowOccurrence(window.title, a, b, window.public_note) for a, b in spans
            ]
    return windows


def _site_ids_by_client(agency: Agency) -> dict[int, list[int]]:
    ids: dict[int, list[int]] = defaultdict(list)
    for site_id, client_id in Site.objects.filter(agency=agency).values_list("id", "client_id"):
        ids[client_id].append(site_id)
    return ids


def _clients_without_sites(agency: Agency, chosen: SiteFilter) -> list[SiteRow]:
    clients = Client.objects.filter(agency=agency, sites__isnull=True)
    if chosen.plan_id is not None:
        clients = clients.filter(plan_id=chosen.plan_id)
    if chosen.client_id is not None:
        clients = clients.filter(pk=chosen.client_id)
    if chosen.text:
        clients = clients.filter(name__icontains=chosen.text)
    return [
        SiteRow(
            client_id=client["id"],
            client_name=client["name"],
            client_demo=client["demo"],
            client_zone=client["time_zone"],
            plan_name=client["plan__name"],
            site_id=None,
            site_name="",
            site_url="",
            apdex_threshold_ms=0,
            state=SiteState.NO_DATA,
            last_checked_at=None,
        )
        for client in clients.values("id", "name", "demo", "time_zone", "plan__name")
    ]


# --- the rows of one page ---------------------------------------------------------------------


def page_details(rows: Sequence[SiteRow], now: datetime) -> None:
    """Fill uptime, p95, heartbeat bars, open incidents and domain expiry of ``rows`` (one
    page): six queries."""
    _fill_domains(rows, now)
    monitor_ids = [line.id for row in rows for line in row.monitors]
    if not monitor_ids:
        return
    earliest = min(_month_start(row, now) for row in rows if row.monitors)
    start = min(earliest, now - DAY)
    created = dict(Monitor.objects.filter(id__in=monitor_ids).values_list("id", "created_at"))
    gaps = gaps_by_monitor(monitor_ids, start, now)
    pauses = pauses_by_monitor(monitor_ids, start, now)
    incidents = incidents_by_monitor(monitor_ids, start, now)
    hours = _hourly_figures(monitor_ids, rows, now)
    first_hour = floor_hour(now) - (HEARTBEAT_HOURS - 1) * HOUR
    for row in rows:
        if not row.monitors:
            continue
        _fill_uptime(row, created, gaps, pauses, incidents, now)
        site_hours = [hours.get(line.id, {}) for line in row.monitors]
        row.p95_ms = _p95(
            figures for by_hour in site_hours for listed in by_hour.values() for figures in listed
        )
        row.beats = [_beat(site_hours, first_hour + i * HOUR) for i in range(HEARTBEAT_HOURS)]
        row.open_incidents = [
            (incident, response_state(incident, now))
            for line in row.monitors
            for incident in incidents[line.id]
            if incident.resolved_at is None
        ]


def _fill_domains(rows: Sequence[SiteRow], now: datetime) -> None:
    with_site = [row for row in rows if row.site_id is not None]
    facts = domain_facts_of([(row.watches_domain, row.site_url) for row in with_site], now)
    for row, found in zip(with_site, facts, strict=True):
        row.domain = found


def _month_start(row: SiteRow, now: datetime) -> datetime:
    zone = ZoneInfo(row.client_zone)
    local = now.astimezone(zone).date()
    return Period.month(local.year, local.month, zone).start


def _fill_uptime(
    row: SiteRow,
    created: dict[int, datetime],
    gaps: dict[int, list[tuple[datetime, datetime]]],
    pauses: dict[int, list[tuple[datetime, datetime]]],
    incidents: dict[int, list[Incident]],
    now: datetime,
) -> None:
    """The site's uptime over the last 24 hours and its client's month so far, cut from one
    account of the site (as a status page cuts its rolling windows)."""
    month_start = _month_start(row, now)
    period = Period(min(month_start, now - DAY), now)
    accounts = []
    for line in row.monitors:
        monitor = Monitor(id=line.id, created_at=created[line.id])
        history = monitor_history(
            monitor, row.windows, gaps[line.id], incidents[line.id], paused=pauses[line.id]
        )
        accounts.append(account_period(period, history, now))
    site = account_site(period, now, accounts)
    row.uptime_24h = _percent(*site_totals_between(site, now - DAY, now))
    row.uptime_month = _percent(*site_totals_between(site, month_start, now))


def _percent(monitored: timedelta, downtime: timedelta) -> Decimal | None:
    uptime = uptime_of(monitored, downtime)
    return None if uptime is None else percent_rounded_down(uptime)


class HourFigures(NamedTuple):
    """What the overview reads of one monitor-hour's rollup: its counts and its latency
    histogram as (bucket, count) pairs, cheap to cache and to add up."""

    checks: int
    failures: int
    latency: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, rollup: HourRollup) -> HourFigures:
        latency = tuple((index, count) for index, count in enumerate(rollup.latency.counts) if count)
        return cls(rollup.checks, rollup.failures, latency)


def _hourly_figures(
    monitor_ids: list[int], rows: Sequence[SiteRow], now: datetime
) -> dict[int, dict[datetime, list[HourFigures]]]:
    """Each monitor's hourly figures of the last ``HEARTBEAT_HOURS`` hours: the stored days of
    rollups (one query) plus the hours still in raw results, rolled up the way compaction will
    roll them up (one query). Unpacking a day of rollups is the costly part: ``_day_figures``
    keeps the days it unpacked."""
    first = floor_hour(now) - (HEARTBEAT_HOURS - 1) * HOUR
    by_monitor: dict[int, dict[datetime, list[HourFigures]]] = defaultdict(lambda: defaultdict(list))
    days = RollupDay.objects.filter(monitor_id__in=monitor_ids, day__gte=first.date(), day__lte=now.date())
    for monitor_id, day, hours in _unpacked_days(list(days.values_list("monitor_id", "day", "hours"))):
        midnight = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
        for hour, figures in hours.items():
            hour_start = midnight + hour * HOUR
            if first <= hour_start <= now:
                by_monitor[monitor_id][hour_start].append(figures)
    thresholds = {line.id: row.apdex_threshold_ms for row in rows for line in row.monitors}
    for monitor_id, hour_start, records in _raw_hours(monitor_ids, first, now):
        by_monitor[monitor_id][hour_start].append(
            HourFigures.of(rollup_hour(records, thresholds[monitor_id]))
        )
    return by_monitor


def _unpacked_days(
    days: list[tuple[int, date, bytes | memoryview]],
) -> list[tuple[int, date, dict[int, HourFigures]]]:
    return [(monitor_id, day, _day_figures(bytes(packed))) for monitor_id, day, packed in days]


@lru_cache(maxsize=ROLLUP_DAYS_KEPT)
def _day_figures(packed: bytes) -> dict[int, HourFigures]:
    """One stored day of rollups, unpacked. Keyed by its content: a finished day never changes,
    today's changes (and so is unpacked again) when an hour is compacted. Kept in this process,
    not in Django's cache, which would pickle and unpickle it on every read: that cost as much
    as unpacking. The caller never changes what it gets."""
    return {hour: HourFigures.of(rollup) for hour, rollup in unpack_day(packed).items()}


def _raw_hours(
    monitor_ids: list[int], first: datetime, now: datetime
) -> Iterator[tuple[int, datetime, list[ResultRecord]]]:
    """The raw results not compacted yet, one monitor-hour at a time, in order. Read in chunks
    and by monitor, so that one monitor-hour's records are held at once: the page's monitors
    have up to an hour and five minutes of them, and holding them all made each request's
    memory peak grow with the hour (whose high-water mark the process then kept)."""
    raw = CheckResult.objects.filter(monitor_id__in=monitor_ids, checked_at__gte=first, checked_at__lte=now)
    rows = raw.order_by("monitor_id", "checked_at", "id").values_list("monitor_id", *RESULT_FIELDS)
    records = ((row[0], record_of_row(row[1:])) for row in rows.iterator(chunk_size=RAW_CHUNK))
    for (monitor_id, hour_start), hour in groupby(records, key=_monitor_hour):
        yield monitor_id, hour_start, [record for _monitor_id, record in hour]


def _monitor_hour(item: tuple[int, ResultRecord]) -> tuple[int, datetime]:
    return item[0], floor_hour(item[1].checked_at)


def _p95(figures: Iterable[HourFigures]) -> float | None:
    counts = [0] * BUCKETS
    for one in figures:
        for index, count in one.latency:
            counts[index] += count
    return LatencyHistogram(counts).quantile(0.95)


def _beat(site_hours: list[dict[datetime, list[HourFigures]]], hour_start: datetime) -> Beat:
    listed = [figures for by_hour in site_hours for figures in by_hour.get(hour_start, ())]
    return beat_of(sum(f.checks for f in listed), sum(f.failures for f in listed))
