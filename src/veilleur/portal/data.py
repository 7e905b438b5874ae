"""What the portal's pages show, gathered into plain dataclasses from the code that already
computes it: the status page's 90-day accounts (statuspages.data), the SLA outcome of incidents
(incidents.sla), the archived reports. Only the client's own rows are read."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _

from veilleur.clients.models import Client, MaintenanceTask, Site
from veilleur.domain.accounting import percent_rounded_down, site_totals_between, uptime_of
from veilleur.domain.sla import SlaOutcome
from veilleur.domain.timezones import local_to_utc
from veilleur.history import read
from veilleur.incidents.models import Incident, IncidentUpdate
from veilleur.incidents.sla import sla_outcome_of
from veilleur.monitoring.models import Monitor
from veilleur.reports.charts import LatencyPoint, latency_chart
from veilleur.statuspages.data import HISTORY_DAYS, PageData, components_data

CHART_DAYS = 30


@dataclass(frozen=True)
class SiteComponent:
    """A client's site as the status page's data code takes it (``statuspages.data.Component``)."""

    pk: int
    site_id: int
    site: Site
    display_name: str
    group: str = ""


@dataclass(frozen=True)
class MonthUptime:
    percent: Decimal | None  # rounded down; None: nothing monitored yet this month
    coverage_percent: Decimal | None  # monitored time / elapsed time of the month
    target_percent: Decimal | None  # the plan's guarantee, when it has one
    start: date

    @property
    def meets_target(self) -> bool | None:
        if self.percent is None or self.target_percent is None:
            return None
        return self.percent >= self.target_percent


def site_components(client: Client, sites: list[Site] | None = None) -> list[SiteComponent]:
    if sites is None:
        sites = list(Site.objects.filter(client=client).order_by("name", "id"))
    return [SiteComponent(site.pk, site.pk, site, site.name) for site in sites]


# How long the overview's figures are kept: rolling figures move by the minute anyway. An
# incident opening, recovering or getting a public update shows at once (``_incident_state``);
# other changes (a site renamed, a window planned) within the minute.
OVERVIEW_LIFETIME_SECONDS = 60


def overview(client: Client, now: datetime) -> tuple[PageData, MonthUptime]:
    """What the overview shows, computed at most once a minute per client and incident state:
    the 90-day accounts of 20 sites take a few hundred milliseconds (``bench/portal``)."""
    minute = int(now.timestamp()) // OVERVIEW_LIFETIME_SECONDS
    key = f"portal:overview:{client.pk}:{minute}:{_incident_state(client)}"
    cached = cache.get(key)
    if cached is None:
        page = components_data(client, site_components(client), now)
        # The accounts served the month's figure; the page itself does not need them.
        cached = (replace(page, site_accounts={}), month_uptime(client, page, now))
        cache.set(key, cached, OVERVIEW_LIFETIME_SECONDS)
    return cached


def _incident_state(client: Client) -> str:
    """Changes whenever one of the client's incidents opens, recovers, is acknowledged or gets a
    public update."""
    incidents = Incident.objects.filter(monitor__site__client=client).aggregate(
        count=Count("id"),
        last=Max("id"),
        recovered=Count("recovered_at"),
        acknowledged=Count("acknowledged_at"),
    )
    updates = IncidentUpdate.objects.filter(incident__monitor__site__client=client).aggregate(
        count=Count("id"), last=Max("id")
    )
    return "-".join(str(value) for value in (*incidents.values(), *updates.values()))


def month_uptime(client: Client, page: PageData, now: datetime) -> MonthUptime:
    """The client's uptime since the first of this month (its zone), time-weighted over its sites,
    from the same accounts as the day bars."""
    today = now.astimezone(page.zone).date()
    first = today.replace(day=1)
    start = local_to_utc(datetime.combine(first, datetime.min.time()), page.zone)
    monitored = downtime = timedelta()
    for account in page.site_accounts.values():
        site_monitored, site_down = site_totals_between(account, start, now)
        monitored += site_monitored
        downtime += site_down
    uptime = uptime_of(monitored, downtime)
    elapsed = now - start
    coverage = uptime_of(elapsed, elapsed - monitored) if elapsed > timedelta() else None
    return MonthUptime(
        percent=None if uptime is None else percent_rounded_down(uptime),
        coverage_percent=None
        if coverage is None or monitored == timedelta()
        else percent_rounded_down(coverage),
        target_percent=client.plan.uptime_target_percent,
        start=first,
    )


# --- the site page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineStep:
    at: datetime
    text: str


@dataclass(frozen=True)
class IncidentStory:
    id: int
    kind: str
    started_at: datetime
    recovered_at: datetime | None
    duration: timedelta
    outcome: SlaOutcome
    due_at: datetime | None
    steps: tuple[TimelineStep, ...]  # oldest first; public facts and public updates only


def incident_history(site: Site, now: datetime) -> list[IncidentStory]:
    """The site's incidents of the last 90 days, newest first, each with its public timeline and
    whether the plan's response commitment was met."""
    since = now - timedelta(days=HISTORY_DAYS)
    rows = list(
        Incident.objects.filter(monitor__site=site, first_failed_at__gte=since)
        .exclude(kind=Incident.Kind.PARTIAL)  # the agency's information (checkers in several regions)
        .order_by("-first_failed_at", "-id")
        .prefetch_related("updates")
    )
    return [_story(row, now) for row in rows]


def _story(row: Incident, now: datetime) -> IncidentStory:
    steps = [
        TimelineStep(row.first_failed_at, _("First failed check")),
        TimelineStep(row.confirmed_at, _("Outage confirmed by re-checking")),
    ]
    if row.acknowledged_at:
        steps.append(TimelineStep(row.acknowledged_at, _("Your agency took charge")))
    updates: list[IncidentUpdate] = list(row.updates.all())
    steps += [
        TimelineStep(update.posted_at, f"{update.get_status_display()}: {update.message}")
        for update in updates
    ]
    if row.recovered_at:
        steps.append(TimelineStep(row.recovered_at, _("Site back up")))
    steps.sort(key=lambda step: step.at)
    return IncidentStory(
        id=row.pk,
        kind=row.kind,
        started_at=row.first_failed_at,
        recovered_at=row.recovered_at,
        duration=(row.recovered_at or now) - row.first_failed_at,
        outcome=sla_outcome_of(row, now),
        due_at=row.sla_due_at,
        steps=tuple(steps),
    )


def work_done(site: Site, limit: int = 20) -> list[MaintenanceTask]:
    """The agency's work on the site (or on all the client's sites) that the client may see."""
    return list(
        MaintenanceTask.objects.filter(client_id=site.client_id, visible_to_client=True)
        .filter(Q(site__isnull=True) | Q(site=site))
        .order_by("-date", "-id")[:limit]
    )


def response_time_chart(site: Site, now: datetime) -> str:
    """The daily median and 95th-percentile response time of the site's main check over 30 days,
    as SVG (the report's chart)."""
    monitor = (
        Monitor.objects.filter(site=site, url=site.url).order_by("id").first()
        or Monitor.objects.filter(site=site).order_by("key", "id").first()
    )
    zone = site.client.time_zone
    buckets = (
        []
        if monitor is None
        else read.rollups(monitor.pk, now - timedelta(days=CHART_DAYS - 1), now, "day", zone)
    )
    points = [
        LatencyPoint(
            label=str((bucket.start + (bucket.end - bucket.start) / 2).astimezone(ZoneInfo(zone)).day),
            p50_ms=bucket.p50_ms,
            p95_ms=bucket.p95_ms,
        )
        for bucket in buckets
    ]
    return latency_chart(
        points,
        title=_("Response time of %(site)s, day by day over 30 days") % {"site": site.name},
        y_label=_("ms"),
        p50_label=_("Typical (median)"),
        p95_label=_("Slowest 5 %"),
        no_data_label=_("No checks yet"),
    )
