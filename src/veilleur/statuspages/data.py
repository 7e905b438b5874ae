"""What a status page shows, gathered from the database into plain dataclasses.

Every uptime figure comes from ``domain.accounting`` (DESIGN.md §5), over one account per
monitor of the last 90 local days; the rolling windows (24 h … 90 d) and the day bars are cut
from that account. A component is a site: it is down while any of its monitors is (the union of
their downtime over the union of their monitored time, ``account_site``), as in reports and the API.
The whole page costs a fixed number of queries, whatever its number of components or days.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.db.models import Q

from veilleur.clients.models import Client, Site
from veilleur.domain.accounting import (
    IncidentKind,
    Period,
    PeriodAccount,
    SiteAccount,
    account_period,
    account_site,
    percent_rounded_down,
    uptime_of,
)
from veilleur.domain.statuspage import (
    ComponentFacts,
    ComponentStatus,
    UptimeBand,
    component_status,
    overall_status,
    totals_per_day,
    totals_within,
    uptime_band,
)
from veilleur.domain.timezones import local_to_utc
from veilleur.history.accounting import (
    WindowOccurrence,
    gaps_by_monitor,
    monitor_history,
    pauses_by_monitor,
    windows_by_site,
)
from veilleur.incidents.models import Incident, IncidentUpdate
from veilleur.monitoring.models import Monitor
from veilleur.statuspages.models import StatusComponent, StatusPage

HISTORY_DAYS = 90
_ZERO = timedelta(0)
_FULL_DAY = percent_rounded_down(Fraction(1))  # a whole day up, as the arithmetic writes it
UPCOMING_MAINTENANCE = timedelta(days=7)
# Rolling windows shown beside each component, by label.
UPTIME_WINDOWS: tuple[tuple[str, timedelta], ...] = (
    ("24h", timedelta(hours=24)),
    ("7d", timedelta(days=7)),
    ("30d", timedelta(days=30)),
    ("90d", timedelta(days=90)),
)


@dataclass(frozen=True)
class Span:
    """Downtime of one incident inside one day, in UTC."""

    start: datetime
    end: datetime
    ongoing: bool


@dataclass(frozen=True)
class DayBar:
    day: date
    uptime_percent: Decimal | None  # rounded down; None when nothing was monitored that day
    band: UptimeBand
    downtime: timedelta
    outages: tuple[Span, ...]


@dataclass(frozen=True)
class ComponentView:
    id: int
    name: str
    group: str
    status: ComponentStatus
    uptime: dict[str, Decimal | None]  # by UPTIME_WINDOWS label, rounded down
    days: tuple[DayBar, ...]  # the last HISTORY_DAYS local days, oldest first


@dataclass(frozen=True)
class PublicUpdate:
    status: str  # IncidentUpdate.Status value
    message: str
    posted_at: datetime


@dataclass(frozen=True)
class PublicIncident:
    id: int
    component: str
    kind: IncidentKind
    started_at: datetime  # the first failed check
    recovered_at: datetime | None
    status: str  # the latest public update's status; "investigating" until one, "resolved" after
    updates: tuple[PublicUpdate, ...]  # newest first

    @property
    def active(self) -> bool:
        return self.recovered_at is None


@dataclass(frozen=True)
class Maintenance:
    title: str
    note: str  # the agency's public note on the window
    components: tuple[str, ...]
    start: datetime
    end: datetime
    in_progress: bool


@dataclass(frozen=True)
class ComponentGroup:
    name: str  # empty: components outside any group
    components: tuple[ComponentView, ...]


@dataclass(frozen=True)
class PageData:
    now: datetime
    zone: ZoneInfo
    overall: ComponentStatus
    groups: tuple[ComponentGroup, ...]
    incidents: tuple[PublicIncident, ...]  # the last HISTORY_DAYS days, newest first
    maintenance: tuple[Maintenance, ...]  # in progress or starting within a week, soonest first
    # When a maintenance window begins or ends next: what the page says changes then.
    next_change_at: datetime | None
    # Each shown site's account over the history period, by site id.
    site_accounts: dict[int, SiteAccount] = field(default_factory=dict, compare=False)

    @property
    def components(self) -> tuple[ComponentView, ...]:
        return tuple(component for group in self.groups for component in group.components)

    @property
    def active_incidents(self) -> tuple[PublicIncident, ...]:
        return tuple(incident for incident in self.incidents if incident.active)

    @property
    def past_incidents(self) -> tuple[PublicIncident, ...]:
        return tuple(incident for incident in self.incidents if not incident.active)


class Component(Protocol):
    """What a status page shows one site as: a page's ``StatusComponent``, or a portal's site."""

    @property
    def pk(self) -> Any: ...
    @property
    def site_id(self) -> int: ...
    @property
    def site(self) -> Any: ...
    @property
    def group(self) -> str: ...
    @property
    def display_name(self) -> str: ...


def page_data(page: StatusPage, now: datetime) -> PageData:
    """Everything ``page`` shows at ``now``, for its own client's sites only."""
    components = list(
        StatusComponent.objects.filter(page=page).select_related("site").order_by("position", "id")
    )
    return components_data(page.client, components, now)


def components_data(client: Client, components: Sequence[Component], now: datetime) -> PageData:
    """What a page of ``client``'s ``components`` shows at ``now`` (its status page, its portal)."""
    zone = ZoneInfo(client.time_zone)
    sites = [component.site for component in components]
    monitors = list(Monitor.objects.filter(site__in=sites, site__client_id=client.pk).order_by("key", "id"))
    monitor_ids = [monitor.pk for monitor in monitors]
    period = _history_period(now, zone)
    windows = windows_by_site(client, sites, period.start, now + UPCOMING_MAINTENANCE, zone)
    gaps = gaps_by_monitor(monitor_ids, period.start, period.end)
    pauses = pauses_by_monitor(monitor_ids, period.start, period.end)
    incidents = _incidents_by_monitor(monitor_ids, period)
    updates = _updates_by_incident(client, monitor_ids, period)

    days = ShownDays.of(now, zone)
    monitors_of_site = _by_site(monitors)
    views = []
    public_incidents = []
    site_accounts: dict[int, SiteAccount] = {}
    for component in components:
        site_monitors = monitors_of_site[component.site_id]
        site_windows = windows.get(component.site_id, [])
        accounts = [
            _account(
                monitor,
                period,
                site_windows,
                gaps[monitor.pk],
                pauses[monitor.pk],
                incidents[monitor.pk],
                now,
            )
            for monitor in site_monitors
        ]
        site_incidents = [row for monitor in site_monitors for row in incidents[monitor.pk]]
        site = account_site(period, now, accounts)
        site_accounts[component.site_id] = site
        views.append(_component_view(component, site_monitors, site, site_incidents, site_windows, days, now))
        public_incidents += [
            _public_incident(rows, component.display_name, updates)
            for rows in _overlapping_runs(site_incidents, now)
        ]

    public_incidents.sort(key=lambda incident: (incident.started_at, incident.id), reverse=True)
    return PageData(
        now=now,
        zone=zone,
        overall=overall_status(view.status for view in views),
        groups=_grouped(views),
        incidents=tuple(public_incidents),
        maintenance=_maintenance(components, windows, now),
        next_change_at=_next_window_change(windows.values(), now),
        site_accounts=site_accounts,
    )


def site_day_bars(
    client: Client, sites: Sequence[Site], monitors: Sequence[Monitor], now: datetime
) -> dict[int, tuple[DayBar, ...]]:
    """The status page's 90 day bars of each of ``sites`` (the client's), by site id: the staff
    pages show a site's history exactly as its client's page does, in a fixed number of queries."""
    zone = ZoneInfo(client.time_zone)
    period = _history_period(now, zone)
    monitor_ids = [monitor.pk for monitor in monitors]
    windows = windows_by_site(client, sites, period.start, period.end, zone)
    gaps = gaps_by_monitor(monitor_ids, period.start, period.end)
    pauses = pauses_by_monitor(monitor_ids, period.start, period.end)
    incidents = _incidents_by_monitor(monitor_ids, period)
    days = ShownDays.of(now, zone)
    monitors_of_site = _by_site(monitors)
    bars = {}
    for site in sites:
        site_monitors = monitors_of_site[site.pk]
        site_windows = windows.get(site.pk, [])
        accounts = [
            _account(
                monitor,
                period,
                site_windows,
                gaps[monitor.pk],
                pauses[monitor.pk],
                incidents[monitor.pk],
                now,
            )
            for monitor in site_monitors
        ]
        site_incidents = [row for monitor in site_monitors for row in incidents[monitor.pk]]
        bars[site.pk] = _day_bars(account_site(period, now, accounts), site_incidents, days, now)
    return bars


# What a page reads of an incident: the accounting engine's facts (``incident_record``), its
# kind and span. A page of 500 components reads thousands of incidents; converting every column
# of each (a dozen timestamps) was a seventh of its rendering time.
_INCIDENT_FIELDS = (
    "monitor_id",
    "kind",
    "first_failed_at",
    "confirmed_at",
    "acknowledged_at",
    "recovered_at",
    "sla_due_at",
)


def _incidents_by_monitor(monitor_ids: list[int], period: Period) -> dict[int, list[Incident]]:
    """``history.accounting.incidents_by_monitor``'s rows, with only the fields a page reads."""
    by_monitor: dict[int, list[Incident]] = defaultdict(list)
    rows = Incident.objects.filter(monitor_id__in=monitor_ids, first_failed_at__lt=period.end).filter(
        Q(recovered_at__isnull=True) | Q(recovered_at__gte=period.start)
    )
    for row in rows.only(*_INCIDENT_FIELDS).order_by("first_failed_at", "id"):
        by_monitor[row.monitor_id].append(row)
    return by_monitor


def _by_site(monitors: Iterable[Monitor]) -> dict[int, list[Monitor]]:
    grouped: dict[int, list[Monitor]] = defaultdict(list)
    for monitor in monitors:
        grouped[monitor.site_id].append(monitor)
    return grouped


@dataclass(frozen=True)
class ShownDays:
    """The HISTORY_DAYS local days a page shows, oldest first, and the UTC instants that bound
    them (one more than the days): the same for every component of a page, so computed once."""

    days: tuple[date, ...]
    bounds: tuple[datetime, ...]
    # Each day as a bar with no downtime, no outage and data all day: most bars of most pages,
    # shared by every component (a DayBar cannot change).
    full_bars: tuple[DayBar, ...]

    @classmethod
    def of(cls, now: datetime, zone: ZoneInfo) -> ShownDays:
        today = now.astimezone(zone).date()
        first_day = today - timedelta(days=HISTORY_DAYS - 1)
        days = tuple(first_day + timedelta(days=offset) for offset in range(HISTORY_DAYS))
        bounds = tuple(
            local_to_utc(datetime.combine(day, datetime.min.time()), zone)
            for day in (*days, today + timedelta(days=1))
        )
        full_bars = tuple(DayBar(day, _FULL_DAY, UptimeBand.PERFECT, _ZERO, ()) for day in days)
        return cls(days, bounds, full_bars)


def _history_period(now: datetime, zone: ZoneInfo) -> Period:
    """From the earlier of "90 days ago" and the first day's local midnight, to the end of today:
    every rolling window and every day bar lies inside it."""
    today = now.astimezone(zone).date()
    first_day = today - timedelta(days=HISTORY_DAYS - 1)
    start = min(
        local_to_utc(datetime.combine(first_day, datetime.min.time()), zone), now - timedelta(days=90)
    )
    end = local_to_utc(datetime.combine(today + timedelta(days=1), datetime.min.time()), zone)
    return Period(start, end)


def _account(
    monitor: Monitor,
    period: Period,
    windows: Sequence[WindowOccurrence],
    gaps: Sequence[tuple[datetime, datetime]],
    pauses: Sequence[tuple[datetime, datetime]],
    incidents: Sequence[Incident],
    now: datetime,
) -> PeriodAccount:
    return account_period(period, monitor_history(monitor, windows, gaps, incidents, paused=pauses), now)


def _component_view(
    component: Component,
    monitors: Sequence[Monitor],
    site: SiteAccount,
    incidents: Sequence[Incident],
    windows: Sequence[WindowOccurrence],
    days: ShownDays,
    now: datetime,
) -> ComponentView:
    checked = {monitor.pk for monitor in monitors if not monitor.paused}
    # A paused monitor's open incident says nothing about now: its checks have stopped.
    open_rows = [row for row in incidents if row.recovered_at is None and row.monitor_id in checked]
    down = {row.monitor_id for row in open_rows if row.kind == Incident.Kind.DOWN}
    degraded = {row.monitor_id for row in open_rows if row.kind == Incident.Kind.DEGRADED} - down
    facts = ComponentFacts(
        monitors=len(checked),
        down=len(down),
        degraded=len(degraded),
        in_maintenance=any(window.start <= now < window.end for window in windows),
    )
    return ComponentView(
        id=component.pk,
        name=component.display_name,
        group=component.group,
        status=component_status(facts),
        uptime=_window_uptimes(site, now),
        days=_day_bars(site, incidents, days, now),
    )


def _window_uptimes(site: SiteAccount, now: datetime) -> dict[str, Decimal | None]:
    """Each rolling window's uptime, rounded down: what ``site_totals_between`` gives per window."""
    windows = [(now - length, now) for _label, length in UPTIME_WINDOWS]
    monitored = totals_within(site.monitored_intervals, windows)
    downtime = totals_within(site.downtime_intervals, windows)
    uptimes: dict[str, Decimal | None] = {}
    for index, (label, _length) in enumerate(UPTIME_WINDOWS):
        uptime = uptime_of(monitored[index], downtime[index])
        uptimes[label] = None if uptime is None else percent_rounded_down(uptime)
    return uptimes


def _day_bars(
    site: SiteAccount, incidents: Sequence[Incident], days: ShownDays, now: datetime
) -> tuple[DayBar, ...]:
    """Each shown day's uptime, colour and outages. The days' totals come from one walk over the
    site's intervals (``totals_per_day``), and each outage is placed on the days it touches:
    the same figures as cutting the site's account day by day (``accounting.site_days``), which
    the tests check, at a fraction of the cost on a page of hundreds of components."""
    monitored = totals_per_day(site.monitored_intervals, days.bounds)
    downtime = totals_per_day(site.downtime_intervals, days.bounds)
    outages = _outages_by_day(incidents, days.bounds, now)
    bars = []
    for index, day in enumerate(days.days):
        if downtime[index] == _ZERO and monitored[index] > _ZERO and index not in outages:
            bars.append(days.full_bars[index])  # what the arithmetic below gives, without it
            continue
        uptime = uptime_of(monitored[index], downtime[index])
        percent = None if uptime is None else percent_rounded_down(uptime)
        bars.append(
            DayBar(
                day=day,
                uptime_percent=percent,
                band=uptime_band(percent),
                downtime=downtime[index],
                outages=tuple(sorted(outages[index], key=_span_start)) if index in outages else (),
            )
        )
    return tuple(bars)


def _span_start(span: Span) -> datetime:
    return span.start


def _outages_by_day(
    incidents: Iterable[Incident], bounds: Sequence[datetime], now: datetime
) -> dict[int, list[Span]]:
    """The DOWN incidents' spans cut at the days' bounds, by day index, in incident order: every
    outage touching a day, counted or not (one that ran during maintenance is still shown)."""
    by_day: dict[int, list[Span]] = defaultdict(list)
    last = len(bounds) - 1
    for row in incidents:
        if row.kind != Incident.Kind.DOWN:
            continue
        start, end = row.first_failed_at, row.recovered_at or now
        index = max(bisect_right(bounds, start) - 1, 0)
        while index < last and bounds[index] < end:
            day_start, day_end = bounds[index], bounds[index + 1]
            if start < day_end and end > day_start:
                by_day[index].append(Span(max(start, day_start), min(end, day_end), row.recovered_at is None))
            index += 1
    return by_day


def _updates_by_incident(
    client: Client, monitor_ids: list[int], period: Period
) -> dict[int, list[tuple[int, PublicUpdate]]]:
    """The public updates of the incidents ``_incidents_by_monitor`` reads (and maybe a few of the
    client's other monitors', never used), with their ids, read as plain values. Selected by the
    incidents' own conditions rather than a list of their ids: a page of hundreds of components
    has thousands of incidents, and a query with thousands of parameters was slow to build."""
    by_incident: dict[int, list[tuple[int, PublicUpdate]]] = defaultdict(list)
    rows = (
        IncidentUpdate.objects.filter(
            incident__monitor__site__client_id=client.pk, incident__first_failed_at__lt=period.end
        )
        .filter(Q(incident__recovered_at__isnull=True) | Q(incident__recovered_at__gte=period.start))
        .order_by("-posted_at", "-id")
    )
    if len(monitor_ids) < 50:  # a small page: its own monitors' rows, by their index
        rows = rows.filter(incident__monitor_id__in=monitor_ids)
    for pk, incident_id, status, message, posted_at in rows.values_list(
        "pk", "incident_id", "status", "message", "posted_at"
    ):
        by_incident[incident_id].append((pk, PublicUpdate(status, message, posted_at)))
    return by_incident


def _overlapping_runs(incidents: Iterable[Incident], now: datetime) -> list[list[Incident]]:
    """A site's incidents cut into runs whose spans overlap or touch: a visitor sees one
    incident of the site, however many of its monitors failed at once."""
    runs: list[list[Incident]] = []
    run_end: datetime | None = None
    for row in sorted(incidents, key=lambda row: (row.first_failed_at, row.pk)):
        if runs and run_end is not None and row.first_failed_at <= run_end:
            runs[-1].append(row)
        else:
            runs.append([row])
            run_end = row.first_failed_at
        run_end = max(run_end, row.recovered_at or now)
    return runs


def _public_incident(
    rows: Sequence[Incident], component: str, updates: dict[int, list[tuple[int, PublicUpdate]]]
) -> PublicIncident:
    """One card for a run of one site's incidents: from the first failure to the last recovery,
    an outage if any of them was one, with every public update posted on any of them."""
    ongoing = any(row.recovered_at is None for row in rows)
    posted = [
        update
        for _pk, update in sorted(
            (pair for row in rows for pair in updates[row.pk]),
            key=lambda pair: (pair[1].posted_at, pair[0]),
            reverse=True,
        )
    ]
    if posted:
        status = posted[0].status
    else:
        status = IncidentUpdate.Status.INVESTIGATING if ongoing else IncidentUpdate.Status.RESOLVED
    down = any(row.kind == Incident.Kind.DOWN for row in rows)
    return PublicIncident(
        id=rows[0].pk,
        component=component,
        kind=IncidentKind.DOWN if down else IncidentKind(rows[0].kind),
        started_at=rows[0].first_failed_at,
        recovered_at=None if ongoing else max(row.recovered_at for row in rows if row.recovered_at),
        status=status,
        updates=tuple(posted),
    )


def _grouped(views: Sequence[ComponentView]) -> tuple[ComponentGroup, ...]:
    """Groups in the order their first component appears; ungrouped components stay in place."""
    order: list[str] = []
    members: dict[str, list[ComponentView]] = defaultdict(list)
    for view in views:
        if view.group not in members:
            order.append(view.group)
        members[view.group].append(view)
    return tuple(ComponentGroup(name, tuple(members[name])) for name in order)


def _maintenance(
    components: Sequence[Component], windows: dict[int, list[WindowOccurrence]], now: datetime
) -> tuple[Maintenance, ...]:
    by_occurrence: dict[WindowOccurrence, list[str]] = defaultdict(list)
    for component in components:
        for window in windows.get(component.site_id, []):
            if window.end > now:
                by_occurrence[window].append(component.display_name)
    listed = [
        Maintenance(
            window.title, window.public_note, tuple(names), window.start, window.end, window.start <= now
        )
        for window, names in by_occurrence.items()
    ]
    return tuple(sorted(listed, key=lambda m: (m.start, m.title)))


def _next_window_change(windows: Iterable[list[WindowOccurrence]], now: datetime) -> datetime | None:
    moments = [moment for listed in windows for window in listed for moment in (window.start, window.end)]
    future = [moment for moment in moments if moment > now]
    return min(future) if future else None
