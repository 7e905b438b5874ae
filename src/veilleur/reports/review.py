"""What a client's quarterly review says, gathered from the database into plain dataclasses.

Every uptime figure comes from ``domain.accounting``, the engine of the monthly report and the
status page, applied to the calendar quarter in the client's zone (``domain.quarters``): the
quarter's downtime is its three months' downtime added up and its uptime their uptime weighted by
monitored time. Rows are read once per quarter, in a fixed number of queries (one per table, plus
the rollups of each monitor); the months, the sites and the client are cut from them.

The review states facts only: every highlight, pattern and recommendation below is computed from
those rows, and a sentence whose fact does not hold is simply not in the review.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from veilleur.accounts.models import BusinessCalendar as StoredCalendar
from veilleur.certificates.models import CertificateChange, CertificateTarget
from veilleur.clients.models import Client, MaintenanceTask, Site
from veilleur.cms.facts import ChangeRow, changes_between, software_facts
from veilleur.domain.accounting import (
    CombinedAccount,
    DurationStats,
    IncidentKind,
    Period,
    PeriodAccount,
    SiteAccount,
    account_period,
    account_site,
    combine_sites,
    counted_downtime,
    handling_stats,
)
from veilleur.domain.businesstime import BusinessCalendar
from veilleur.domain.plans import credit_due_percent
from veilleur.domain.quarters import Quarter
from veilleur.domain.recommendations import (
    HAND_RENEWED_DAYS,
    SLOWER_PERCENT,
    Expiry,
    LatencyShift,
    LongCertificate,
    Recommendation,
    RecurringCause,
    ReviewFacts,
    SiteFlakiness,
    recommend,
)
from veilleur.domain.rollups import PHASES, HourRollup, combine_all
from veilleur.domain.sla import SlaOutcome
from veilleur.domains.facts import domain_facts
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
from veilleur.lab.models import LabRun
from veilleur.monitoring.models import Monitor
from veilleur.plans.models import Plan
from veilleur.reports.data import (
    Branding,
    IncidentRow,
    Latency,
    PlanSummary,
    TaskRow,
    _incident_row,  # the monthly report's row, so both documents print an incident alike
    _latency,
    _with_shown_seconds,
)
from veilleur.reports.performance import LabMonth, lab_month, lab_runs_by_site

LONGEST_SHOWN = 3  # the longest outages listed under "incident patterns"
LONG_OUTAGE = timedelta(minutes=30)  # an outage this long is named in "what did not go well"
FASTER_PERCENT = 10  # a p95 this much lower than last quarter's is named in "what went well"


@dataclass(frozen=True)
class SpanFigures:
    """The client's headline over one span (a quarter or one of its months)."""

    first_day: date
    period: Period
    combined: CombinedAccount
    outages: int  # confirmed DOWN incidents overlapping the span
    incidents: int  # of every kind
    mtta: DurationStats | None
    mttr: DurationStats | None
    latency: Latency
    # Where the time of a check went (mean per sampled check; None: no sample) and the lab page
    # metrics (medians of the days measured), for plans with performance monitoring.
    phase_ms: tuple[tuple[str, float | None], ...] = ()
    lab: LabMonth | None = None

    @property
    def has_data(self) -> bool:
        return self.combined.uptime is not None


@dataclass(frozen=True)
class MonthCredit:
    first_day: date
    decided: bool  # the month is over
    uptime_percent: Decimal | None
    credit_percent: int | None  # None: nothing monitored, or not decided yet


@dataclass(frozen=True)
class SiteQuarter:
    name: str
    url: str
    apdex_threshold_ms: int
    combined: SiteAccount
    credits: tuple[MonthCredit, ...]  # one per month of the quarter; empty without a guarantee
    latency: Latency
    incidents: tuple[IncidentRow, ...]  # the quarter's, with the seconds counted in the quarter
    windows: tuple[WindowOccurrence, ...]
    tasks: tuple[TaskRow, ...]

    @property
    def downtime_shown(self) -> timedelta:
        return timedelta(seconds=self.combined.downtime // timedelta(seconds=1))

    @property
    def credit_total_percent(self) -> int:
        """The months' credits added up, each a share of that month's fee (credits are monthly)."""
        return sum(credit.credit_percent or 0 for credit in self.credits)


@dataclass(frozen=True)
class CertificateLine:
    """A certificate a site serves, as last audited, and what changed during the quarter."""

    address: str
    issuer: str
    valid_until: date | None  # in the client's zone
    lifetime_days: int | None
    changes: tuple[tuple[date, str], ...]  # (day, CertificateChange kind) within the quarter
    expires_soon: bool  # before the end of the next quarter


@dataclass(frozen=True)
class SiteWatch:
    """What the certificate, domain and software checks stored for a site (empty when the plan
    does not include them)."""

    site: str
    certificates: tuple[CertificateLine, ...] = ()
    domain: str = ""
    domain_until: date | None = None
    domain_expires_soon: bool = False
    software: str = ""  # "WordPress 6.9", as last seen
    software_changes: tuple[ChangeRow, ...] = ()  # within the quarter

    @property
    def is_empty(self) -> bool:
        return not (self.certificates or self.domain_until or self.software or self.software_changes)


@dataclass(frozen=True)
class CauseCount:
    cause: str  # the probe's error class
    status_code: int | None
    outages: int


@dataclass(frozen=True)
class LongOutage:
    site: str
    row: IncidentRow


@dataclass(frozen=True)
class Patterns:
    """When and why the quarter's outages happened, in the client's zone."""

    by_weekday: tuple[int, ...]  # seven counts, Monday first, by local day of the first failure
    by_hour: tuple[int, ...]  # 24 counts, by local hour of the first failure
    causes: tuple[CauseCount, ...]  # the most frequent first
    longest: tuple[LongOutage, ...]
    outside_hours: int | None  # confirmed while the agency was closed; None on a 24/7 plan

    @property
    def outages(self) -> int:
        return sum(self.by_weekday)


@dataclass(frozen=True)
class Highlight:
    """One point of the summary ("what went well", "what did not"): a key the renderer words,
    and the figures it states."""

    key: str
    evidence: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class QuarterlyReview:
    quarter: Quarter
    period: Period
    now: datetime
    zone: ZoneInfo
    language: str
    agency: Branding
    client_name: str
    plan: PlanSummary
    figures: SpanFigures
    months: tuple[SpanFigures, ...]
    previous: SpanFigures
    previous_months: tuple[SpanFigures, ...]
    last_year: SpanFigures
    sites: tuple[SiteQuarter, ...]
    watch: tuple[SiteWatch, ...]  # certificates, domains and software, site by site
    patterns: Patterns
    tasks: tuple[TaskRow, ...]
    responses_met: int
    responses_missed: int
    went_well: tuple[Highlight, ...]
    went_badly: tuple[Highlight, ...]
    facts: ReviewFacts
    recommendations: tuple[Recommendation, ...]

    @property
    def in_progress(self) -> bool:
        return self.now < self.period.end

    @property
    def months_below_target(self) -> tuple[SpanFigures, ...]:
        target = self.plan.uptime_target_percent
        if target is None:
            return ()
        return tuple(
            month
            for month in self.months
            if month.combined.uptime_percent is not None and month.combined.uptime_percent < target
        )


# --- One quarter's rows and accounts ----------------------------------------------------------


@dataclass(frozen=True)
class _MonitorQuarter:
    monitor: Monitor
    quarter: PeriodAccount
    months: tuple[PeriodAccount, ...]
    hours: dict[datetime, HourRollup]  # the quarter's, by UTC hour
    month_rollups: tuple[HourRollup, ...]  # the hours of each month combined, read once
    rows: dict[int, Incident]  # by id


@dataclass(frozen=True)
class _QuarterData:
    quarter: Quarter
    period: Period
    months: tuple[Period, ...]
    monitors: dict[int, list[_MonitorQuarter]]  # by site id
    windows: dict[int, list[WindowOccurrence]]
    lab_runs: tuple[LabRun, ...]


def _read_quarter(client: Client, sites: Sequence[Site], quarter: Quarter, now: datetime) -> _QuarterData:
    zone = ZoneInfo(client.time_zone)
    period = quarter.period(zone)
    months = quarter.month_periods(zone)
    plan = client.plan
    monitors = list(Monitor.objects.filter(site__client=client).order_by("key", "id"))
    ids = [monitor.pk for monitor in monitors]
    gaps = gaps_by_monitor(ids, period.start, period.end)
    pauses = pauses_by_monitor(ids, period.start, period.end)
    incidents = incidents_by_monitor(ids, period.start, period.end)
    blips = blips_by_monitor(ids, period.start, period.end)
    windows = windows_by_site(client, sites, period.start, period.end, zone)
    target, steps = plan.uptime_target_percent, plan.credit_steps()
    by_site: dict[int, list[_MonitorQuarter]] = {site.pk: [] for site in sites}
    for monitor in monitors:
        rows = incidents[monitor.pk]
        history = monitor_history(
            monitor,
            windows[monitor.site_id],
            gaps[monitor.pk],
            rows,
            blips[monitor.pk],
            paused=pauses[monitor.pk],
        )
        hours = read.hourly_rollups(monitor.pk, period.start, period.end) if period.start < now else {}
        by_site[monitor.site_id].append(
            _MonitorQuarter(
                monitor=monitor,
                quarter=account_period(
                    period, history, now, uptime_target_percent=target, credit_steps=steps
                ),
                months=tuple(account_period(month, history, now) for month in months),
                hours=hours,
                month_rollups=tuple(
                    combine_all(rollup for hour, rollup in hours.items() if month.start <= hour < month.end)
                    for month in months
                ),
                rows={row.pk: row for row in rows},
            )
        )
    lab = lab_runs_by_site(list(by_site), period.start, period.end) if plan.performance_monitoring else {}
    runs = tuple(run for site_runs in lab.values() for run in site_runs)
    return _QuarterData(quarter, period, months, by_site, windows, runs)


def _span(
    first_day: date, period: Period, now: datetime, data: _QuarterData, index: int | None
) -> SpanFigures:
    """The client's figures over the quarter (``index`` None) or its month ``index``."""

    def account(monitor: _MonitorQuarter) -> PeriodAccount:
        return monitor.quarter if index is None else monitor.months[index]

    site_accounts = [
        account_site(period, now, [account(monitor) for monitor in monitors])
        for monitors in data.monitors.values()
    ]
    incidents = [
        incident for monitors in data.monitors.values() for m in monitors for incident in account(m).incidents
    ]
    mtta, mttr = handling_stats(incidents)
    rollups = [
        rollup
        for monitors in data.monitors.values()
        for monitor in monitors
        for rollup in (monitor.month_rollups if index is None else monitor.month_rollups[index : index + 1])
    ]
    combined_rollup = combine_all(rollups)
    return SpanFigures(
        first_day=first_day,
        period=period,
        combined=combine_sites(site_accounts),
        outages=sum(1 for incident in incidents if incident.kind is IncidentKind.DOWN),
        incidents=len(incidents),
        mtta=mtta,
        mttr=mttr,
        latency=_latency(combined_rollup),
        phase_ms=tuple(
            (phase, combined_rollup.phase_share_ms(phase) if combined_rollup.phases[phase].count else None)
            for phase in PHASES
        ),
        lab=lab_month(
            [run for run in data.lab_runs if run.finished_at and period.start <= run.finished_at < period.end]
        ),
    )


def _quarter_figures(data: _QuarterData, now: datetime) -> tuple[SpanFigures, tuple[SpanFigures, ...]]:
    quarter = _span(data.quarter.first_day, data.period, now, data, None)
    months = tuple(
        _span(date(year, month, 1), period, now, data, index)
        for index, ((year, month), period) in enumerate(zip(data.quarter.months, data.months, strict=True))
    )
    return quarter, months


# --- The review -------------------------------------------------------------------------------


def quarterly_review(client: Client, year: int, quarter_number: int, now: datetime) -> QuarterlyReview:
    """The review of ``client`` for calendar quarter ``quarter_number`` of ``year`` in its zone."""
    quarter = Quarter(year, quarter_number)
    zone = ZoneInfo(client.time_zone)
    plan = client.plan
    sites = list(Site.objects.filter(client=client).order_by("name", "id"))
    current = _read_quarter(client, sites, quarter, now)
    before = _read_quarter(client, sites, quarter.previous, now)
    figures, months = _quarter_figures(current, now)
    previous, previous_months = _quarter_figures(before, now)
    last_year, _months = _quarter_figures(_read_quarter(client, sites, quarter.same_last_year, now), now)
    tasks = _tasks(client, quarter)
    site_quarters = [_site_quarter(site, current, before, tasks, now, client) for site in sites]
    outages = [
        (site.name, row) for site in site_quarters for row in site.incidents if row.kind is IncidentKind.DOWN
    ]
    calendar = _closed_hours_calendar(client, plan)
    patterns = _patterns(outages, zone, calendar)
    outcomes = [row.sla_outcome for site in site_quarters for row in site.incidents]
    met = sum(1 for outcome in outcomes if outcome in (SlaOutcome.MET, SlaOutcome.MET_RECOVERED))
    missed = outcomes.count(SlaOutcome.BREACHED)
    summary = PlanSummary(
        name=plan.name,
        uptime_target_percent=plan.uptime_target_percent,
        credit_steps=plan.credit_steps(),
        response_target_minutes=plan.response_target_minutes,
        response_calendar=plan.response_calendar,
        status_page=plan.status_page,
        client_portal=plan.client_portal,
        maintenance_log=plan.maintenance_log,
        performance_monitoring=plan.performance_monitoring,
    )
    watch = _watch(client, sites, current.period, quarter.following.period(zone), now)
    names = {site.pk: site.name for site in sites}
    facts = _facts(client, plan, figures, months, patterns, site_quarters, names, current, before, tasks)
    if figures.has_data:  # what the checks stored is today's state: it speaks for a quarter watched
        facts = _with_watch(facts, plan, watch)

    return QuarterlyReview(
        quarter=quarter,
        period=current.period,
        now=now,
        zone=zone,
        language=client.language,
        agency=Branding.of(client),
        client_name=client.name,
        plan=summary,
        figures=figures,
        months=months,
        previous=previous,
        previous_months=previous_months,
        last_year=last_year,
        sites=tuple(site_quarters),
        watch=watch,
        patterns=patterns,
        tasks=tuple(tasks),
        responses_met=met,
        responses_missed=missed,
        went_well=_went_well(summary, figures, months, previous, met, missed, tasks),
        went_badly=_went_badly(summary, figures, months, previous, missed, patterns),
        facts=facts,
        recommendations=recommend(facts),
    )


def _site_quarter(
    site: Site,
    current: _QuarterData,
    before: _QuarterData,
    tasks: Sequence[TaskRow],
    now: datetime,
    client: Client,
) -> SiteQuarter:
    monitors = current.monitors[site.pk]
    combined = account_site(current.period, now, [monitor.quarter for monitor in monitors])
    rows = []
    for monitor in monitors:
        for record, outcome in zip(monitor.quarter.incidents, monitor.quarter.sla_outcomes, strict=True):
            assert record.key is not None
            counted = counted_downtime(monitor.quarter, record)
            rows.append(_incident_row(monitor.rows[record.key], monitor.monitor.key, outcome, now, counted))
    return SiteQuarter(
        name=site.name,
        url=site.url,
        apdex_threshold_ms=site.apdex_threshold_ms,
        combined=combined,
        credits=_credits(client.plan, current, monitors, now),
        latency=_latency(combine_all(rollup for monitor in monitors for rollup in monitor.month_rollups)),
        incidents=_with_shown_seconds(rows),
        windows=tuple(current.windows.get(site.pk, ())),
        tasks=tuple(task for task in tasks if task.site_name == site.name),
    )


def _credits(
    plan: Plan, data: _QuarterData, monitors: Sequence[_MonitorQuarter], now: datetime
) -> tuple[MonthCredit, ...]:
    """Per month, as the monthly report decides it: on the site's uptime of that whole month."""
    target = plan.uptime_target_percent
    if target is None:
        return ()
    credits = []
    for index, ((year, month), period) in enumerate(zip(data.quarter.months, data.months, strict=True)):
        site = account_site(period, now, [monitor.months[index] for monitor in monitors])
        decided = now >= period.end
        credit = None
        if decided and site.uptime_percent is not None:
            credit = credit_due_percent(site.uptime_percent, plan.credit_steps())
        credits.append(MonthCredit(date(year, month, 1), decided, site.uptime_percent, credit))
    return tuple(credits)


def _tasks(client: Client, quarter: Quarter) -> list[TaskRow]:
    rows = (
        MaintenanceTask.objects.filter(
            client=client, visible_to_client=True, date__gte=quarter.first_day, date__lt=quarter.end_day
        )
        .select_related("site")
        .order_by("date", "id")
    )
    return [
        TaskRow(row.date, row.category, row.description, row.site.name if row.site else "") for row in rows
    ]


def _closed_hours_calendar(client: Client, plan: Plan) -> BusinessCalendar | None:
    """The agency's opening hours when the plan's commitment follows them; None on a 24/7 plan."""
    if plan.response_calendar != Plan.ResponseCalendar.BUSINESS:
        return None
    stored = StoredCalendar.objects.filter(agency_id=client.agency_id).first()
    if stored is None:
        return None
    return BusinessCalendar.from_stored(stored.time_zone, stored.weekly_hours, stored.holidays)


def _patterns(
    outages: Sequence[tuple[str, IncidentRow]], zone: ZoneInfo, calendar: BusinessCalendar | None
) -> Patterns:
    weekdays = [0] * 7
    hours = [0] * 24
    causes: Counter[tuple[str, int | None]] = Counter()
    for _site, row in outages:
        local = row.first_failed_at.astimezone(zone)
        weekdays[local.weekday()] += 1
        hours[local.hour] += 1
        causes[(row.cause_error_class, row.cause_status_code)] += 1
    longest = sorted(outages, key=lambda pair: (-pair[1].duration, pair[1].first_failed_at))[:LONGEST_SHOWN]
    return Patterns(
        by_weekday=tuple(weekdays),
        by_hour=tuple(hours),
        causes=tuple(
            CauseCount(cause, status, count)
            for (cause, status), count in sorted(causes.items(), key=lambda item: (-item[1], item[0][0]))
        ),
        longest=tuple(LongOutage(site, row) for site, row in longest),
        outside_hours=None
        if calendar is None
        else sum(1 for _site, row in outages if not calendar.is_open(row.confirmed_at)),
    )


# --- Certificates, domains and software (stored by their own checks) --------------------------


def _watch(
    client: Client, sites: Sequence[Site], period: Period, following: Period, now: datetime
) -> tuple[SiteWatch, ...]:
    zone = ZoneInfo(client.time_zone)
    plan = client.plan
    if not (plan.ssl_monitoring or plan.cms_versions):
        return ()
    ids = [site.pk for site in sites]
    targets: dict[int, list[CertificateTarget]] = {site_id: [] for site_id in ids}
    changes: dict[int, list[tuple[date, str]]] = {}
    if plan.ssl_monitoring:
        for target in CertificateTarget.objects.filter(site_id__in=ids).order_by("host", "port"):
            targets[target.site_id].append(target)
        for change in CertificateChange.objects.filter(
            target__site_id__in=ids, seen_at__gte=period.start, seen_at__lt=period.end
        ).order_by("seen_at", "id"):
            changes.setdefault(change.target_id, []).append(
                (change.seen_at.astimezone(zone).date(), change.kind)
            )
    software = changes_between(ids, period.start, period.end) if plan.cms_versions else {}
    watched = []
    for site in sites:
        domain = domain_facts(site, now) if plan.ssl_monitoring else None
        current = software_facts(site, changes=0) if plan.cms_versions else None
        domain_until = (
            domain.expires_at.astimezone(zone).date() if domain is not None and domain.expires_at else None
        )
        watched.append(
            SiteWatch(
                site=site.name,
                certificates=tuple(
                    _certificate_line(target, changes.get(target.pk, []), following, zone)
                    for target in targets.get(site.pk, [])
                ),
                domain=(domain.domain or "") if domain is not None and domain_until else "",
                domain_until=domain_until,
                domain_expires_soon=domain is not None
                and domain.expires_at is not None
                and domain.expires_at < following.end,
                software=current.current() if current is not None else "",
                software_changes=tuple(software.get(site.pk, ())),
            )
        )
    return tuple(watched)


def _certificate_line(
    target: CertificateTarget, changes: Sequence[tuple[date, str]], following: Period, zone: ZoneInfo
) -> CertificateLine:
    lifetime = None
    if target.not_before is not None and target.not_after is not None:
        lifetime = (target.not_after - target.not_before) // timedelta(days=1)
    return CertificateLine(
        address=target.host if target.port == 443 else f"{target.host}:{target.port}",
        issuer=target.issuer_cn or target.issuer,
        valid_until=target.not_after.astimezone(zone).date() if target.not_after else None,
        lifetime_days=lifetime,
        changes=tuple(changes),
        expires_soon=target.not_after is not None and target.not_after < following.end,
    )


def _with_watch(facts: ReviewFacts, plan: Plan, watch: Sequence[SiteWatch]) -> ReviewFacts:
    """The certificate and domain facts, known only on plans whose checks store them. Whether a
    site's software is out of date is not stored anywhere: that fact stays unknown."""
    if not plan.ssl_monitoring:
        return facts
    certificates = [line for site in watch for line in site.certificates]
    return replace(
        facts,
        certificates_renewed_by_hand=tuple(
            LongCertificate(line.address, line.issuer, line.lifetime_days)
            for line in certificates
            if line.lifetime_days is not None and line.lifetime_days > HAND_RENEWED_DAYS
        ),
        certificates_expiring=tuple(
            Expiry(line.address, line.valid_until)
            for line in certificates
            if line.expires_soon and line.valid_until is not None
        ),
        domains_expiring=tuple(
            Expiry(site.domain, site.domain_until)
            for site in watch
            if site.domain_expires_soon and site.domain_until is not None
        ),
    )


# --- Facts for the summary and the recommendations ---------------------------------------------


def _p95_shift(
    site: str,
    before: Iterable[HourRollup],
    after: Iterable[HourRollup],
    since: date | None = None,
    change: str = "",
) -> LatencyShift | None:
    first, second = combine_all(before), combine_all(after)
    p95_before, p95_after = first.latency.quantile(0.95), second.latency.quantile(0.95)
    if p95_before is None or p95_after is None or p95_before <= 0:
        return None
    return LatencyShift(site, p95_before, p95_after, first.checks, second.checks, since, change)


def _facts(
    client: Client,
    plan: Plan,
    figures: SpanFigures,
    months: Sequence[SpanFigures],
    patterns: Patterns,
    sites: Sequence[SiteQuarter],
    names: Mapping[int, str],
    current: _QuarterData,
    before: _QuarterData,
    tasks: Sequence[TaskRow],
) -> ReviewFacts:
    target = plan.uptime_target_percent
    with_data = [month for month in months if month.has_data]
    after_update: list[LatencyShift] = []
    since_last_quarter: list[LatencyShift] = []
    for site_id, monitors in current.monitors.items():
        name = names[site_id]
        updates = [task for task in tasks if task.site_name == name and task.category == "cms_core"]
        if updates:
            hours = [item for monitor in monitors for item in monitor.hours.items()]
            update = updates[-1]
            split = Period.local_days(
                update.day, update.day + timedelta(days=1), ZoneInfo(client.time_zone)
            ).start
            shift = _p95_shift(
                name,
                (rollup for hour, rollup in hours if hour < split),
                (rollup for hour, rollup in hours if hour >= split),
                since=update.day,
                change=update.description,
            )
            if shift is not None:
                after_update.append(shift)
        earlier = [rollup for monitor in before.monitors.get(site_id, []) for rollup in monitor.month_rollups]
        shift = _p95_shift(
            name, earlier, (rollup for monitor in monitors for rollup in monitor.month_rollups)
        )
        if shift is not None:
            since_last_quarter.append(shift)
    causes: Counter[tuple[str, str, int | None]] = Counter()
    for site in sites:
        for row in site.incidents:
            if row.kind is IncidentKind.DOWN:
                causes[(site.name, row.cause_error_class, row.cause_status_code)] += 1
    round_the_clock = (
        Plan.objects.filter(agency_id=client.agency_id, response_calendar=Plan.ResponseCalendar.ALWAYS)
        .exclude(pk=plan.pk)
        .order_by("response_target_minutes", "name")
        .values_list("name", flat=True)
        .first()
    )
    return ReviewFacts(
        months_with_data=len(with_data),
        months_below_target=None
        if target is None
        else sum(
            1
            for m in with_data
            if m.combined.uptime_percent is not None and m.combined.uptime_percent < target
        ),
        uptime_target_percent=target,
        business_hours_plan=plan.response_calendar == Plan.ResponseCalendar.BUSINESS,
        outages_outside_hours=patterns.outside_hours or 0,
        round_the_clock_plan=round_the_clock or "",
        flaky_sites=tuple(
            SiteFlakiness(
                site.name,
                site.combined.blip_count,
                sum(1 for r in site.incidents if r.kind is IncidentKind.DOWN),
            )
            for site in sites
        ),
        recurring_causes=tuple(
            RecurringCause(site, cause, status, count)
            for (site, cause, status), count in sorted(
                causes.items(), key=lambda item: (-item[1], item[0][0], item[0][1])
            )
        ),
        slower_after_update=tuple(after_update),
        slower_than_last_quarter=tuple(since_last_quarter),
        apdex=figures.latency.apdex,
        performance_monitoring=plan.performance_monitoring,
    )


def _went_well(
    plan: PlanSummary,
    figures: SpanFigures,
    months: Sequence[SpanFigures],
    previous: SpanFigures,
    met: int,
    missed: int,
    tasks: Sequence[TaskRow],
) -> tuple[Highlight, ...]:
    points: list[Highlight] = []
    if not figures.has_data:
        return ()
    target = plan.uptime_target_percent
    with_data = [month for month in months if month.has_data]
    if target is not None and all(
        m.combined.uptime_percent is not None and m.combined.uptime_percent >= target for m in with_data
    ):
        points.append(Highlight("target_met", {"target": target, "months": len(with_data)}))
    if figures.outages == 0:
        points.append(Highlight("no_outage"))
    elif previous.has_data and figures.outages < previous.outages:
        points.append(Highlight("fewer_outages", {"now": figures.outages, "before": previous.outages}))
    if met and not missed:
        points.append(Highlight("responses_met", {"met": met}))
    p95, earlier = figures.latency.p95_ms, previous.latency.p95_ms
    if p95 is not None and earlier and (earlier - p95) * 100 >= FASTER_PERCENT * earlier:
        points.append(Highlight("faster", {"now": p95, "before": earlier}))
    if tasks:
        points.append(Highlight("work_done", {"tasks": len(tasks)}))
    return tuple(points)


def _went_badly(
    plan: PlanSummary,
    figures: SpanFigures,
    months: Sequence[SpanFigures],
    previous: SpanFigures,
    missed: int,
    patterns: Patterns,
) -> tuple[Highlight, ...]:
    points: list[Highlight] = []
    target = plan.uptime_target_percent
    if target is not None:
        below = [
            m for m in months if m.combined.uptime_percent is not None and m.combined.uptime_percent < target
        ]
        if below:
            points.append(
                Highlight("target_missed", {"months": tuple(m.first_day for m in below), "target": target})
            )
    if missed:
        points.append(Highlight("responses_missed", {"missed": missed}))
    if patterns.longest and patterns.longest[0].row.duration >= LONG_OUTAGE:
        longest = patterns.longest[0]
        points.append(Highlight("long_outage", {"site": longest.site, "row": longest.row}))
    if previous.has_data and figures.outages > previous.outages:
        points.append(Highlight("more_outages", {"now": figures.outages, "before": previous.outages}))
    p95, earlier = figures.latency.p95_ms, previous.latency.p95_ms
    if p95 is not None and earlier and (p95 - earlier) * 100 >= SLOWER_PERCENT * earlier:
        points.append(Highlight("slower", {"now": p95, "before": earlier}))
    return tuple(points)
