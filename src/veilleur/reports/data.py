"""What a client's monthly report says, gathered from the database into plain dataclasses.

Every uptime figure comes from ``domain.accounting`` (DESIGN.md §5); this module only reads the
rows that engine needs, in a fixed number of queries for the whole client (one per table, plus
the rollup reads of each monitor), and arranges the results per site.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from veilleur.certificates.report import CertificateLine, certificate_lines
from veilleur.clients.models import Client, MaintenanceTask, Site
from veilleur.cms.facts import ChangeRow, changes_between
from veilleur.domain.accounting import (
    CombinedAccount,
    DayAccount,
    IncidentKind,
    Period,
    PeriodAccount,
    SiteAccount,
    account_period,
    account_site,
    combine_sites,
    counted_downtime,
    daily_breakdown,
    shown_seconds,
    site_days,
)
from veilleur.domain.deliverables import DeliverableLine, MonthFacts, deliverables_of_the_month
from veilleur.domain.plans import CreditStep, credit_due_percent
from veilleur.domain.regional import RegionSummary
from veilleur.domain.rollups import HourRollup, combine_all
from veilleur.domain.sla import SlaOutcome
from veilleur.history import read
from veilleur.history.accounting import (
    WindowOccurrence,
    blips_by_monitor,
    gaps_by_monitor,
    incidents_by_monitor,
    monitor_history,
    pauses_by_monitor,
    windows_by_site,
)
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import Monitor
from veilleur.monitoring.regional import region_summaries
from veilleur.portal.models import able_to_sign_in_during
from veilleur.reports.performance import SitePerformance, lab_runs_by_site, site_performance
from veilleur.statuspages.models import StatusPage


@dataclass(frozen=True)
class Branding:
    name: str
    logo_url: str
    primary_color: str
    accent_color: str

    @classmethod
    def of(cls, client: Client) -> Branding:
        """The agency's name with the client's own logo and colours where it has them."""
        agency = client.agency
        return cls(
            name=agency.name,
            logo_url=client.logo_url or agency.logo_url,
            primary_color=client.primary_color or agency.primary_color,
            accent_color=client.accent_color or agency.accent_color,
        )


@dataclass(frozen=True)
class PlanSummary:
    name: str
    uptime_target_percent: Decimal | None
    credit_steps: tuple[CreditStep, ...]
    response_target_minutes: int
    response_calendar: str  # "business" or "always"
    status_page: bool
    client_portal: bool
    maintenance_log: bool
    performance_monitoring: bool


@dataclass(frozen=True)
class Latency:
    """Response times over a span, merged from the hourly rollups (estimates, see history.read)."""

    checks: int
    failures: int
    median_ms: float | None
    p95_ms: float | None
    apdex: float | None


@dataclass(frozen=True)
class DailyLatency:
    day: date
    p50_ms: float | None
    p95_ms: float | None
    checks: int


@dataclass(frozen=True)
class MonitorReport:
    key: str
    url: str
    account: PeriodAccount
    days: tuple[DayAccount, ...]
    daily_latency: tuple[DailyLatency, ...]
    latency: Latency


@dataclass(frozen=True)
class SiteDay:
    """The site on one local day: down while any of its monitors was (see ``account_site``)."""

    day: date
    monitored: timedelta
    downtime: timedelta
    uptime_percent: Decimal | None


@dataclass(frozen=True)
class IncidentRow:
    key: int
    monitor_key: str
    kind: IncidentKind
    first_failed_at: datetime
    confirmed_at: datetime
    notified_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str
    ack_channel: str
    first_client_update_at: datetime | None
    recovered_at: datetime | None
    resolved_at: datetime | None
    duration: timedelta  # first failure to recovery, or to ``now`` while ongoing
    # For an outage, the part of it counted as the site's downtime this month (inside the month,
    # outside maintenance and our own gaps) and the whole seconds printed for it, chosen so that
    # the printed rows add up to the printed total; zero for a slowdown.
    counted: timedelta
    counted_seconds: int
    sla_due_at: datetime | None
    sla_outcome: SlaOutcome
    cause_error_class: str  # the probe's code: the report words it (``incidents.causes``)
    cause_status_code: int | None

    @property
    def partly_counted(self) -> bool:
        """An outage of which only a part counts this month (it crosses the month's edge, or
        maintenance or our own gap cut it)."""
        return self.kind is IncidentKind.DOWN and self.counted != self.duration


@dataclass(frozen=True)
class TaskRow:
    day: date
    category: str  # MaintenanceTask.Category value
    description: str
    site_name: str  # empty: the client as a whole


@dataclass(frozen=True)
class SiteReport:
    name: str
    url: str
    apdex_threshold_ms: int
    monitors: tuple[MonitorReport, ...]
    combined: SiteAccount
    days: tuple[SiteDay, ...]
    latency: Latency
    incidents: tuple[IncidentRow, ...]
    windows: tuple[WindowOccurrence, ...]
    tasks: tuple[TaskRow, ...]
    service_credit_percent: int | None  # on the site's uptime; None without a guarantee
    # CMS versions: the changes of software seen on the site this month (plans with cms_versions).
    software_changes: tuple[ChangeRow, ...] = ()
    # Performance monitoring: where the time goes and lab page metrics; None when the plan has none.
    performance: SitePerformance | None = None
    # Checkers in several regions: each region's figures over the month (empty: one region checked).
    regions: tuple[RegionSummary, ...] = ()

    @property
    def downtime_shown(self) -> timedelta:
        """The site's downtime as printed, in whole seconds."""
        return timedelta(seconds=self.combined.downtime // timedelta(seconds=1))

    @property
    def overlap_shown(self) -> timedelta:
        """Time when two or more outages ran at once, as printed: the printed rows less this
        give the printed total exactly."""
        rows = sum(row.counted_seconds for row in self.incidents)
        return timedelta(seconds=rows) - self.downtime_shown

    @property
    def sla_met(self) -> int:
        return sum(
            1 for row in self.incidents if row.sla_outcome in (SlaOutcome.MET, SlaOutcome.MET_RECOVERED)
        )

    @property
    def sla_breached(self) -> int:
        return sum(1 for row in self.incidents if row.sla_outcome is SlaOutcome.BREACHED)


@dataclass(frozen=True)
class MonthlyReport:
    year: int
    month: int
    period: Period
    now: datetime
    zone: ZoneInfo
    language: str
    agency: Branding
    client_name: str
    plan: PlanSummary
    sites: tuple[SiteReport, ...]
    combined: CombinedAccount
    latency: Latency
    tasks: tuple[TaskRow, ...]  # every task shown to the client this month, the newest last
    incidents_handled: int  # incidents of the month that recovered
    deliverables: tuple[DeliverableLine, ...]  # what the plan did, each line backed by a fact
    # Certificate monitoring (plans with ssl_monitoring): served, renewed, expiring soon.
    certificates: tuple[CertificateLine, ...] = ()

    @property
    def in_progress(self) -> bool:
        """The month is not over: its figures are partial and no credit is decided yet."""
        return self.now < self.period.end

    @property
    def last_day(self) -> date:
        """The last local day the report covers: the month's last, or today while it runs."""
        if not self.in_progress:
            return (self.period.end.astimezone(self.zone) - timedelta(microseconds=1)).date()
        return max(self.first_day, self.now.astimezone(self.zone).date())

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def checks(self) -> int:
        return self.latency.checks

    @property
    def incident_count(self) -> int:
        return self.combined.incident_count


def monthly_report(client: Client, year: int, month: int, now: datetime) -> MonthlyReport:
    """The report of ``client`` for the calendar month ``year``-``month`` in the client's zone."""
    zone = ZoneInfo(client.time_zone)
    period = Period.month(year, month, zone)
    plan = client.plan
    target = plan.uptime_target_percent
    steps = plan.credit_steps()

    sites = list(Site.objects.filter(client=client).order_by("name", "id"))
    monitors = list(Monitor.objects.filter(site__client=client).order_by("key", "id"))
    monitor_ids = [monitor.pk for monitor in monitors]
    gaps = gaps_by_monitor(monitor_ids, period.start, period.end)
    pauses = pauses_by_monitor(monitor_ids, period.start, period.end)
    incidents = incidents_by_monitor(monitor_ids, period.start, period.end)
    blips = blips_by_monitor(monitor_ids, period.start, period.end)
    windows = windows_by_site(client, sites, period.start, period.end, zone)
    tasks = _tasks(client, year, month)
    software = (
        changes_between([site.pk for site in sites], period.start, period.end) if plan.cms_versions else {}
    )
    lab_runs = lab_runs_by_site([site.pk for site in sites], period.start, period.end)

    site_reports = []
    site_accounts: list[SiteAccount] = []
    all_rollups: list[HourRollup] = []
    for site in sites:
        site_monitors = [monitor for monitor in monitors if monitor.site_id == site.pk]
        reports = []
        site_rollups: list[HourRollup] = []
        site_incidents: list[IncidentRow] = []
        for monitor in site_monitors:
            rows = incidents[monitor.pk]
            history = monitor_history(
                monitor,
                windows[site.pk],
                gaps[monitor.pk],
                rows,
                blips[monitor.pk],
                paused=pauses[monitor.pk],
            )
            account = account_period(period, history, now, uptime_target_percent=target, credit_steps=steps)
            # One read of the month's hours serves the month's figures and the daily buckets.
            bounds = read.bucket_bounds(period.start, period.end, "day", client.time_zone)
            hourly = read.hourly_rollups(monitor.pk, bounds[0], bounds[-1])
            month_rollup = combine_all(
                rollup for hour, rollup in hourly.items() if period.start <= hour < period.end
            )
            site_rollups.append(month_rollup)
            buckets = read.buckets_of(hourly, bounds)
            reports.append(
                MonitorReport(
                    key=monitor.key,
                    url=monitor.url,
                    account=account,
                    days=tuple(daily_breakdown(account, zone)),
                    daily_latency=tuple(_daily_latency(buckets, zone, period)),
                    latency=_latency(month_rollup),
                )
            )
            by_key = {row.pk: row for row in rows}
            for record, outcome in zip(account.incidents, account.sla_outcomes, strict=True):
                assert record.key is not None
                counted = counted_downtime(account, record)
                site_incidents.append(_incident_row(by_key[record.key], monitor.key, outcome, now, counted))
        accounts = [report.account for report in reports]
        all_rollups.extend(site_rollups)
        site_combined = account_site(period, now, accounts)
        site_accounts.append(site_combined)
        site_reports.append(
            SiteReport(
                name=site.name,
                url=site.url,
                apdex_threshold_ms=site.apdex_threshold_ms,
                monitors=tuple(reports),
                combined=site_combined,
                days=tuple(_site_days(site_combined, zone)),
                latency=_latency(combine_all(site_rollups)),
                incidents=_with_shown_seconds(site_incidents),
                windows=tuple(windows[site.pk]),
                tasks=tuple(task for task in tasks if task.site_name == site.name),
                # A credit is decided on the whole month: none while the month runs.
                service_credit_percent=None if now < period.end else _credit(target, site_combined, steps),
                software_changes=tuple(software.get(site.pk, ())),
                performance=site_performance(combine_all(site_rollups), lab_runs[site.pk])
                if plan.performance_monitoring
                else None,
                regions=tuple(region_summaries([m.pk for m in site_monitors], period.start, period.end)),
            )
        )
    combined = combine_sites(site_accounts)
    handled = sum(1 for site in site_reports for row in site.incidents if row.recovered_at is not None)
    page = StatusPage.objects.filter(client=client).only("created_at", "visibility").first()
    facts = MonthFacts(
        start=period.start,
        end=period.end,
        checks=sum(rollup.checks for rollup in all_rollups),
        incidents=combined.incident_count,
        incidents_recovered=handled,
        maintenance_log=plan.maintenance_log,
        tasks_logged=len(tasks),
        status_page_created_at=None if page is None else page.created_at,
        status_page_public=page is not None and page.visibility == StatusPage.Visibility.PUBLIC,
        portal_logins=able_to_sign_in_during(client, period.start, period.end) if plan.client_portal else 0,
    )
    return MonthlyReport(
        year=year,
        month=month,
        period=period,
        now=now,
        zone=zone,
        language=client.language,
        agency=Branding.of(client),
        client_name=client.name,
        plan=PlanSummary(
            name=plan.name,
            uptime_target_percent=target,
            credit_steps=steps,
            response_target_minutes=plan.response_target_minutes,
            response_calendar=plan.response_calendar,
            status_page=plan.status_page,
            client_portal=plan.client_portal,
            maintenance_log=plan.maintenance_log,
            performance_monitoring=plan.performance_monitoring,
        ),
        sites=tuple(site_reports),
        combined=combined,
        latency=_latency(combine_all(all_rollups)),
        tasks=tuple(tasks),
        incidents_handled=handled,
        deliverables=deliverables_of_the_month(facts),
        certificates=certificate_lines(client, period.start, period.end, now),
    )


# --- reading the rows (one query per table for the whole client) ------------------------------


def _tasks(client: Client, year: int, month: int) -> list[TaskRow]:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    rows = (
        MaintenanceTask.objects.filter(
            client=client, visible_to_client=True, date__gte=first, date__lt=following
        )
        .select_related("site")
        .order_by("date", "id")
    )
    return [
        TaskRow(row.date, row.category, row.description, row.site.name if row.site else "") for row in rows
    ]


# --- conversions ------------------------------------------------------------------------------


def _incident_row(
    row: Incident, monitor_key: str, outcome: SlaOutcome, now: datetime, counted: timedelta
) -> IncidentRow:
    return IncidentRow(
        key=row.pk,
        monitor_key=monitor_key,
        kind=IncidentKind(row.kind),
        first_failed_at=row.first_failed_at,
        confirmed_at=row.confirmed_at,
        notified_at=row.notified_at,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by_label,
        ack_channel=row.ack_channel,
        first_client_update_at=row.first_client_update_at,
        recovered_at=row.recovered_at,
        resolved_at=row.resolved_at,
        duration=max(timedelta(0), (row.recovered_at or now) - row.first_failed_at),
        sla_due_at=row.sla_due_at,
        sla_outcome=outcome,
        counted=counted,
        counted_seconds=counted // timedelta(seconds=1),
        cause_error_class=row.cause_error_class,
        cause_status_code=row.cause_status_code,
    )


def _latency(rollup: HourRollup) -> Latency:
    return Latency(
        checks=rollup.checks,
        failures=rollup.failures,
        median_ms=rollup.latency.quantile(0.50),
        p95_ms=rollup.latency.quantile(0.95),
        apdex=rollup.apdex,
    )


def _daily_latency(
    buckets: Iterable[read.RollupBucket], zone: ZoneInfo, period: Period
) -> list[DailyLatency]:
    days = []
    for bucket in buckets:
        # A bucket's start is local midnight at the nearest hour: its middle names the day.
        day = (bucket.start + (bucket.end - bucket.start) / 2).astimezone(zone).date()
        if period.start <= bucket.start + (bucket.end - bucket.start) / 2 < period.end:
            days.append(DailyLatency(day, bucket.p50_ms, bucket.p95_ms, bucket.checks))
    return days


def _site_days(site: SiteAccount, zone: ZoneInfo) -> list[SiteDay]:
    if site.monitors == 0:
        return []
    return [
        SiteDay(day.day, day.monitored, day.downtime, day.uptime_percent) for day in site_days(site, zone)
    ]


def _with_shown_seconds(rows: Iterable[IncidentRow]) -> tuple[IncidentRow, ...]:
    """The site's incidents by first failure, each outage with the whole seconds printed for it."""
    ordered = sorted(rows, key=lambda row: (row.first_failed_at, row.key))
    outages = [row for row in ordered if row.kind is IncidentKind.DOWN]
    printed = dict(
        zip((row.key for row in outages), shown_seconds([row.counted for row in outages]), strict=True)
    )
    return tuple(replace(row, counted_seconds=printed.get(row.key, 0)) for row in ordered)


def _credit(target: Decimal | None, combined: SiteAccount, steps: Sequence[CreditStep]) -> int | None:
    if target is None or combined.uptime_percent is None:
        return None
    return credit_due_percent(combined.uptime_percent, tuple(steps))
