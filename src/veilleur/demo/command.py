"""``veilleur demo``: fill a fresh install with a demo agency and its synthetic history."""

from __future__ import annotations

import random
import sys
import time
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from veilleur.accounts.models import Agency, BusinessCalendar, StaffUser
from veilleur.accounts.provisioning import create_agency, first_run_link
from veilleur.certificates.demo import demo_certificates
from veilleur.clients.models import Client, Contact, MaintenanceTask, MaintenanceWindow, Site
from veilleur.demo import catalogue
from veilleur.demo.synth import FAILURES, Failure, MonitorScenario, Outage, Simulation, simulate
from veilleur.domain.holidays import public_holidays
from veilleur.domain.incidents import Blip as BlipEvent
from veilleur.domain.incidents import IncidentOpened, IncidentRecovered
from veilleur.domain.maintenance import Interval, merge, occurrences
from veilleur.domain.resultcodec import ResultRecord, encode_results
from veilleur.domain.rollups import HourRollup, pack_day, rollup_hour
from veilleur.domain.schedule import slot_at_or_after
from veilleur.domain.timezones import utc_to_local
from veilleur.history.jobs import HOUR, floor_hour, raw_retention_days
from veilleur.history.models import ResultBlock, RollupDay
from veilleur.incidents.models import AckChannel, Blip, Incident, IncidentUpdate
from veilleur.incidents.sla import sla_fields
from veilleur.incidents.updates import post_update
from veilleur.monitoring.models import CheckResult, Monitor, MonitorRuntime, NoDataGap
from veilleur.notifications.models import OnCallAddress
from veilleur.plans.models import Plan
from veilleur.statuspages.links import page_url
from veilleur.statuspages.models import StatusComponent, StatusPage

EXIT_OK = 0
EXIT_BAD_INPUT = 2
DEFAULT_SEED = 20260101
DEFAULT_DAYS = 90
BATCH = 500
QUIET_END = timedelta(hours=3)  # nothing planted this close to now: every incident has ended
SPACING = timedelta(hours=2)  # between planted events of one monitor


class DemoRefused(Exception):
    """The install already holds real data."""


@dataclass
class DemoSummary:
    clients: int = 0
    monitors: int = 0
    results: int = 0
    blocks: int = 0
    raw_rows: int = 0
    incidents: int = 0
    blips: int = 0
    gaps: int = 0
    tasks: int = 0
    setup_link: str | None = None
    status_pages: list[str] = field(default_factory=list)  # their addresses
    seconds: float = 0.0
    monitor_ids: list[int] = field(default_factory=list)


def run_demo(
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    out: Callable[[str], None] = print,
) -> DemoSummary:
    """Create the demo agency and ``days`` of history ending ``now``; refuses an install with clients."""
    if days < 1:
        raise ValueError("--days must be at least 1")
    if Client.objects.exists():
        raise DemoRefused(
            "this install already has clients: the demo only fills a fresh data directory "
            "(point VEILLEUR_DATA_DIR at an empty directory and run 'veilleur demo' again)"
        )
    began = time.perf_counter()
    end = (now or timezone.now()).astimezone(UTC)
    end = end.replace(microsecond=(end.microsecond // 1000) * 1000)
    start = end - timedelta(days=days)
    rng = random.Random(seed)
    summary = DemoSummary()
    with transaction.atomic():
        agency = _agency(start, end)
        owner = _owner(agency)
        stopped = _checker_stop(start, end, rng)
        for spec in catalogue.CLIENTS:
            _client(agency, owner, spec, start, end, stopped, rng, summary)
    _quarterly_reviews(agency, end)
    summary.setup_link = first_run_link(agency, settings.VEILLEUR_BASE_URL)
    summary.seconds = time.perf_counter() - began
    _print_summary(summary, days, out)
    return summary


def _quarterly_reviews(agency: Agency, now: datetime) -> None:
    """Each client whose plan includes the quarterly review gets the review of the last quarter
    that ended, published (the demo's clients are never mailed)."""
    from veilleur.domain.quarters import Quarter
    from veilleur.reports.models import Report
    from veilleur.reports.sending import generate_report, publish_report

    for client in Client.objects.filter(agency=agency, plan__quarterly_review=True).select_related("plan"):
        zone = ZoneInfo(client.time_zone)
        first = Quarter.of(now.astimezone(zone).date()).previous.first_day
        # The draft's PDF is never read: publishing draws the final one at once.
        draft = generate_report(client, Report.Kind.QUARTERLY, first, now, to_pdf=lambda _html: b"")
        publish_report(draft, now)


# --- the agency ------------------------------------------------------------------------------


def _agency(start: datetime, end: datetime) -> Agency:
    agency = Agency.objects.first()
    if agency is None:
        agency = create_agency(key=catalogue.AGENCY_KEY, name=catalogue.AGENCY_NAME)
    calendar = BusinessCalendar.objects.get(agency=agency)
    calendar.time_zone = agency.time_zone
    calendar.weekly_hours = catalogue.WEEKLY_HOURS
    years = range(start.year, end.year + 2)
    known = set(calendar.holidays)
    known.update(day.isoformat() for day in public_holidays(agency.country, years))
    calendar.holidays = sorted(known)
    calendar.save()
    OnCallAddress.objects.get_or_create(agency=agency, email=catalogue.ON_CALL_EMAIL)
    return agency


def _owner(agency: Agency) -> StaffUser:
    owner = StaffUser.objects.filter(agency=agency, role=StaffUser.Role.OWNER).first()
    if owner is None:
        owner = StaffUser.objects.create_user(
            email=catalogue.OWNER_EMAIL, agency=agency, role=StaffUser.Role.OWNER, name=catalogue.OWNER_NAME
        )
    return owner


def _checker_stop(start: datetime, end: datetime, rng: random.Random) -> tuple[Interval, ...]:
    """Our own outage: the checker stopped for 10 to 20 minutes, a no-data gap on every monitor."""
    at = start + (end - start) * rng.uniform(0.55, 0.65)
    at = at.replace(second=0, microsecond=0)
    return ((at, at + timedelta(minutes=rng.randint(10, 20))),)


# --- a client and its history ----------------------------------------------------------------


def _client(
    agency: Agency,
    owner: StaffUser,
    spec: catalogue.ClientSpec,
    start: datetime,
    end: datetime,
    stopped: tuple[Interval, ...],
    rng: random.Random,
    summary: DemoSummary,
) -> None:
    plan = Plan.objects.get(agency=agency, key=spec.plan)
    client = Client.objects.create(
        agency=agency,
        key=spec.key,
        name=spec.name,
        plan=plan,
        time_zone=agency.time_zone,
        created_at=start,
        demo=True,
    )
    summary.clients += 1
    for name, email, notices in spec.contacts:
        Contact.objects.create(client=client, name=name, email=email, receives_incident_notices=notices)
    sites = {
        site.key: Site.objects.create(
            client=client,
            key=site.key,
            name=site.name,
            url=site.url,
            apdex_threshold_ms=site.apdex_threshold_ms,
            created_at=start,
        )
        for site in spec.sites
    }
    zone = ZoneInfo(client.time_zone)
    maintenance: dict[str, list[Interval]] = defaultdict(list)
    planned_outages: dict[str, list[Interval]] = defaultdict(list)
    for window_spec in spec.windows:
        window = _window(client, window_spec, sites, start, end, zone)
        rule = window.rule(zone)
        spans = occurrences(rule, start, end)
        for key in window_spec.site_keys or tuple(sites):
            maintenance[key].extend(spans)
            if window_spec.outage_inside and spans:
                begins = spans[0][0] + timedelta(minutes=12)
                planned_outages[key].append((begins, begins + timedelta(minutes=15)))
    _tasks(client, spec, sites, start, end, zone, rng, summary)
    for site_spec in spec.sites:
        site = sites[site_spec.key]
        slow_days = {
            day: rng.uniform(1.6, 2.8) for day in range((end - start).days + 1) if rng.random() < 0.07
        }
        for monitor_spec in site_spec.monitors:
            monitor = Monitor.objects.create(
                site=site,
                key=monitor_spec.key,
                url=site_spec.url + monitor_spec.path,
                created_at=start,
            )
            scenario = _scenario(
                monitor,
                plan,
                site_spec,
                monitor_spec,
                start,
                end,
                tuple(merge(maintenance[site_spec.key])),
                planned_outages[site_spec.key],
                stopped,
                slow_days,
                rng,
            )
            simulation = simulate(scenario, start, end, rng)
            _store(monitor, owner, simulation, end, rng, summary)
    if plan.ssl_monitoring:
        demo_certificates(list(sites.values()), start, end, rng)
    if plan.status_page:
        summary.status_pages.append(_status_page(client, list(sites.values())))


def _window(
    client: Client,
    spec: catalogue.WindowSpec,
    sites: dict[str, Site],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
) -> MaintenanceWindow:
    if spec.rrule:
        first = utc_to_local(start, zone).date()
        first += timedelta(days=(spec.weekday - first.weekday()) % 7)
    else:
        first = utc_to_local(start + (end - start) * 0.4, zone).date()
    window = MaintenanceWindow.objects.create(
        client=client,
        key=spec.key,
        title=spec.title,
        start_date=first,
        start_time=datetime.min.time().replace(hour=spec.hour),
        duration_minutes=spec.duration_minutes,
        rrule=spec.rrule,
    )
    if spec.site_keys:
        window.sites.set([sites[key] for key in spec.site_keys])
    return window


def _tasks(
    client: Client,
    spec: catalogue.ClientSpec,
    sites: dict[str, Site],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    rng: random.Random,
    summary: DemoSummary,
) -> None:
    """The maintenance log: a task every week or so, shown to the client."""
    first_day = utc_to_local(start, zone).date()
    last_day = utc_to_local(end, zone).date()
    day = first_day + timedelta(days=rng.randint(0, min(4, (last_day - first_day).days)))
    site = next(iter(sites.values()))
    major, minor, patch = (6, 8, 1) if spec.cms == "WordPress" else (8, 2, 0)
    rotation = 0
    tasks = []
    while day <= last_day:
        kind = rotation % 4
        if kind == 0:
            before = f"{major}.{minor}.{patch}"
            patch += 1
            category = MaintenanceTask.Category.CMS_CORE
            text = f"{spec.cms} {before} → {major}.{minor}.{patch}"
        elif kind == 1:
            names = rng.sample(spec.plugins, k=min(2, len(spec.plugins))) if spec.plugins else ["extensions"]
            category = MaintenanceTask.Category.PLUGIN
            text = "Mise à jour des extensions : " + ", ".join(names)
        elif kind == 2:
            category = MaintenanceTask.Category.BACKUP
            text = "Sauvegarde complète vérifiée (fichiers et base de données), restauration testée"
        else:
            category = MaintenanceTask.Category.SECURITY
            text = "Analyse de sécurité : aucun fichier modifié, comptes administrateurs revus"
        tasks.append(
            MaintenanceTask(
                client=client,
                agency_id=client.agency_id,
                site=site,
                date=day,
                category=category,
                description=text,
                visible_to_client=True,
            )
        )
        rotation += 1
        day += timedelta(days=rng.randint(5, 10))
    MaintenanceTask.objects.bulk_create(tasks)
    summary.tasks += len(tasks)


def _scenario(
    monitor: Monitor,
    plan: Plan,
    site: catalogue.SiteSpec,
    spec: catalogue.MonitorSpec,
    start: datetime,
    end: datetime,
    maintenance: tuple[Interval, ...],
    outages_in_maintenance: list[Interval],
    stopped: tuple[Interval, ...],
    slow_days: dict[int, float],
    rng: random.Random,
) -> MonitorScenario:
    """Where this monitor's incidents and blips happen, away from each other and from the
    maintenance spans and the checker's stop (the planted in-maintenance outage excepted)."""
    days = (end - start).total_seconds() / 86_400
    busy: list[Interval] = sorted([*maintenance, *stopped])
    outages = [Outage(begins, ends, FAILURES[0]) for begins, ends in outages_in_maintenance]
    blips: list[tuple[datetime, Failure]] = []
    incidents = max(1, round(spec.incidents_per_90_days * days / 90))
    blip_count = max(1, round(days * 0.15))
    for wanted, kind in ((incidents, "incident"), (blip_count, "blip")):
        for _ in range(wanted):
            for _attempt in range(50):
                length = _outage_length(rng) if kind == "incident" else timedelta(seconds=1)
                at = (
                    start
                    + timedelta(hours=2)
                    + (end - QUIET_END - start - timedelta(hours=2) - length) * rng.random()
                )
                at = at.replace(microsecond=0)
                if _free(busy, at - SPACING, at + length + SPACING):
                    break
            else:
                continue
            busy = sorted([*busy, (at, at + length)])
            failure = rng.choice(FAILURES)
            if kind == "incident":
                outages.append(Outage(at, at + length, failure))
            else:
                blips.append((at, failure))
    return MonitorScenario(
        monitor_id=monitor.pk,
        interval_seconds=monitor.effective_interval_seconds(),
        confirmations=plan.confirmation_checks,
        median_ms=site.median_ms,
        spread=site.spread,
        outages=tuple(sorted(outages, key=lambda o: o.start)),
        blips=tuple(sorted(blips, key=lambda b: b[0])),
        maintenance=maintenance,
        checker_stopped=stopped,
        slow_days=slow_days,
    )


def _outage_length(rng: random.Random) -> timedelta:
    """A few minutes mostly, sometimes a quarter of an hour, now and then close to an hour."""
    draw = rng.random()
    if draw < 0.5:
        return timedelta(minutes=rng.uniform(3, 8))
    if draw < 0.8:
        return timedelta(minutes=rng.uniform(10, 25))
    return timedelta(minutes=rng.uniform(30, 60))


def _free(busy: list[Interval], begins: datetime, ends: datetime) -> bool:
    return all(ends <= b or begins >= e for b, e in busy)


# --- storing a monitor's history -------------------------------------------------------------


def _store(
    monitor: Monitor,
    owner: StaffUser,
    sim: Simulation,
    now: datetime,
    rng: random.Random,
    summary: DemoSummary,
) -> None:
    summary.monitors += 1
    summary.monitor_ids.append(monitor.pk)
    summary.results += len(sim.records)
    blips = [event for event in sim.events if isinstance(event, BlipEvent)]
    Blip.objects.bulk_create(
        [
            Blip(
                monitor=monitor,
                started_at=event.started_at,
                ended_at=event.ended_at,
                error_class=event.cause.error_class or "other",
                status_code=event.cause.status_code,
                message=event.cause.message,
            )
            for event in blips
        ],
        batch_size=BATCH,
    )
    summary.blips += len(blips)
    NoDataGap.objects.bulk_create(
        [NoDataGap(monitor=monitor, started_at=begins, ended_at=ends) for begins, ends in sim.gaps]
    )
    summary.gaps += len(sim.gaps)
    summary.incidents += _incidents(monitor, owner, sim, now, rng)
    _history(monitor, sim.records, blips, now, summary)
    _runtime(monitor, sim, now)


def _incidents(monitor: Monitor, owner: StaffUser, sim: Simulation, now: datetime, rng: random.Random) -> int:
    times = [record.checked_at for record in sim.records]
    opened: IncidentOpened | None = None
    count = 0
    monitor = Monitor.objects.select_related("site__client__plan").get(pk=monitor.pk)
    for event in sim.events:
        if isinstance(event, IncidentOpened):
            opened = event
        elif isinstance(event, IncidentRecovered) and opened is not None:
            _incident(monitor, owner, opened, event, sim.records, times, now, count, rng)
            opened, count = None, count + 1
    if opened is not None:
        _incident(monitor, owner, opened, None, sim.records, times, now, count, rng)
        count += 1
    return count


def _incident(
    monitor: Monitor,
    owner: StaffUser,
    opened: IncidentOpened,
    recovered: IncidentRecovered | None,
    records: list[ResultRecord],
    times: list[datetime],
    now: datetime,
    number: int,
    rng: random.Random,
) -> None:
    sla = sla_fields(monitor, opened.confirmed_at)
    incident = Incident(
        monitor=monitor,
        **sla,
        first_failed_at=opened.first_failed_at,
        confirmed_at=opened.confirmed_at,
        notified_at=opened.confirmed_at + timedelta(seconds=rng.randint(1, 4)),
        cause_error_class=opened.cause.error_class or "other",
        cause_status_code=opened.cause.status_code,
        cause_message=opened.cause.message,
        proof=_proof(records, times, opened.first_failed_at, opened.confirmed_at),
    )
    if recovered is not None:
        incident.recovered_at = recovered.recovered_at
        incident.resolved_at = recovered.resolved_at
        incident.recovery_proof = _proof(records, times, recovered.recovered_at, recovered.resolved_at)
    _acknowledge(incident, owner, now, number, rng)
    _sla_notices(incident, now)
    incident.save()


def _proof(
    records: list[ResultRecord], times: list[datetime], begins: datetime, ends: datetime
) -> list[dict[str, object]]:
    """The checks from ``begins`` to ``ends``, as the checker cites them on an incident."""
    return [
        {
            "at": record.checked_at.isoformat(),
            "ok": record.ok,
            "error_class": record.error_class,
            "status_code": record.status_code,
            "total_ms": record.total_ms,
            "message": record.message,
        }
        for record in records[bisect_left(times, begins) : bisect_right(times, ends)]
    ]


def _acknowledge(
    incident: Incident, owner: StaffUser, now: datetime, number: int, rng: random.Random
) -> None:
    """In turn: acknowledged on time, late, on time, not at all (the clock may still be met)."""
    style = number % 4
    started, due = incident.sla_started_at, incident.sla_due_at
    if style == 3 or started is None or due is None or incident.sla_target_minutes is None:
        return
    if style == 1:
        at = due + timedelta(minutes=rng.uniform(5, 90))
        channel, by, label = AckChannel.EMAIL_LINK, None, catalogue.ON_CALL_EMAIL
    else:
        at = started + timedelta(minutes=incident.sla_target_minutes * rng.uniform(0.1, 0.6))
        channel, by, label = AckChannel.STAFF_PAGE, owner, catalogue.OWNER_NAME
    at = max(at, incident.confirmed_at).replace(microsecond=0) + timedelta(seconds=1)
    if at > now:
        return
    incident.acknowledged_at = at
    incident.acknowledged_by = by
    incident.acknowledged_by_label = label
    incident.ack_channel = channel


def _sla_notices(incident: Incident, now: datetime) -> None:
    """The warning and breach notices the worker would have sent already, marked as sent, so
    that starting Veilleur does not send them about the demo's past."""
    ack, recovered = incident.acknowledged_at, incident.recovered_at
    for instant, stamp in (
        (incident.sla_warn_at, "sla_warning_sent_at"),
        (incident.sla_due_at, "sla_breach_sent_at"),
    ):
        if instant is None or instant > now:
            continue
        if (ack is None or ack > instant) and (recovered is None or recovered > instant):
            setattr(incident, stamp, instant)


def _history(
    monitor: Monitor, records: list[ResultRecord], blips: list[BlipEvent], now: datetime, summary: DemoSummary
) -> None:
    """Finished hours as the worker leaves them (a block within the raw retention, a rollup for
    every hour), the current hour as raw rows."""
    current_hour = floor_hour(now)
    keep_blocks_from = floor_hour(now - timedelta(days=raw_retention_days()))
    threshold = monitor.site.apdex_threshold_ms
    blips_per_hour: dict[datetime, int] = defaultdict(int)
    for blip in blips:
        blips_per_hour[floor_hour(blip.started_at)] += 1
    days: dict[date, dict[int, HourRollup]] = defaultdict(dict)
    blocks: list[ResultBlock] = []
    raw: list[ResultRecord] = []
    for hour_start, hour_records in _by_hour(records):
        if hour_start >= current_hour:
            raw.extend(hour_records)
            continue
        days[hour_start.date()][hour_start.hour] = rollup_hour(
            hour_records, threshold, blips_per_hour.get(hour_start, 0)
        )
        if hour_start >= keep_blocks_from:
            blocks.append(
                ResultBlock(
                    monitor=monitor,
                    hour_start=hour_start,
                    count=len(hour_records),
                    failures=sum(not record.ok for record in hour_records),
                    data=encode_results(hour_records),
                )
            )
    ResultBlock.objects.bulk_create(blocks, batch_size=BATCH)
    RollupDay.objects.bulk_create(
        [RollupDay(monitor=monitor, day=day, hours=pack_day(hours)) for day, hours in days.items()],
        batch_size=BATCH,
    )
    CheckResult.objects.bulk_create(
        [
            CheckResult(
                monitor=monitor,
                checked_at=r.checked_at,
                ok=r.ok,
                confirmation=r.confirmation,
                in_maintenance=r.in_maintenance,
                error_class=r.error_class,
                status_code=r.status_code,
                dns_ms=r.dns_ms,
                connect_ms=r.connect_ms,
                tls_ms=r.tls_ms,
                ttfb_ms=r.ttfb_ms,
                total_ms=r.total_ms,
                message=r.message,
                region=r.region,
            )
            for r in raw
        ],
        batch_size=BATCH,
    )
    summary.blocks += len(blocks)
    summary.raw_rows += len(raw)


def _by_hour(records: list[ResultRecord]) -> list[tuple[datetime, list[ResultRecord]]]:
    groups: list[tuple[datetime, list[ResultRecord]]] = []
    boundary: datetime | None = None
    for record in records:
        if boundary is None or record.checked_at >= boundary:
            hour_start = floor_hour(record.checked_at)
            boundary = hour_start + HOUR
            groups.append((hour_start, []))
        groups[-1][1].append(record)
    return groups


def _runtime(monitor: Monitor, sim: Simulation, now: datetime) -> None:
    """The checker's state as the last result left it: `veilleur up` goes on from the next slot."""
    interval = monitor.effective_interval_seconds()
    slot = slot_at_or_after(now + timedelta(milliseconds=1), monitor.pk, interval)
    state = sim.state
    last = sim.records[-1] if sim.records else None
    MonitorRuntime.objects.create(
        monitor=monitor,
        due_at=slot,
        next_slot_at=slot,
        phase=state.phase.value,
        streak=state.streak,
        streak_started_at=state.streak_started_at,
        cause_error_class=state.cause.error_class if state.cause else "",
        cause_status_code=state.cause.status_code if state.cause else None,
        cause_message=state.cause.message if state.cause else "",
        incident_started_at=state.incident_started_at,
        last_checked_at=last.checked_at if last else None,
        last_ok=last.ok if last else None,
        last_error_class=last.error_class if last else "",
        last_total_ms=last.total_ms if last else None,
    )


def _status_page(client: Client, sites: list[Site]) -> str:
    """The client's public page with every site, and the agency's public notes on its last two
    outages, as an agency would have written them."""
    page = StatusPage.objects.create(
        client=client, slug=client.key, title=client.name, language=client.language
    )
    for position, site in enumerate(sites):
        StatusComponent.objects.create(page=page, site=site, position=position)
    outages = Incident.objects.filter(monitor__site__client=client, recovered_at__isnull=False)
    for incident in outages.order_by("-first_failed_at")[:2]:
        confirmed = incident.confirmed_at
        post_update(
            incident,
            IncidentUpdate.Status.IDENTIFIED,
            "Le serveur ne répond plus ; nous redémarrons le service.",
            at=confirmed + timedelta(minutes=4),
        )
        post_update(
            incident,
            IncidentUpdate.Status.RESOLVED,
            "Le site répond de nouveau normalement. Merci de votre patience.",
            at=max(confirmed + timedelta(minutes=5), incident.recovered_at or confirmed),
        )
    return page_url(page)


# --- output ----------------------------------------------------------------------------------


def _print_summary(summary: DemoSummary, days: int, out: Callable[[str], None]) -> None:
    out(f"Demo agency ready: {days} day(s) of history in {summary.seconds:.1f} s.")
    out(f"  clients            {summary.clients}")
    out(f"  monitors           {summary.monitors}")
    stored = f"{summary.blocks} hourly blocks, {summary.raw_rows} raw rows"
    out(f"  results written    {summary.results} ({stored})")
    out(f"  incidents          {summary.incidents}")
    out(f"  blips              {summary.blips}")
    out(f"  no-data gaps       {summary.gaps}")
    out(f"  maintenance tasks  {summary.tasks}")
    out("Start it with 'veilleur up', then open /incidents/ to see the history.")
    out(
        "The demo's sites are made up (.example): the checker records healthy checks for them "
        "instead of probing, and nothing is mailed to their made-up contacts."
    )
    for address in summary.status_pages:
        out(f"  status page: {address}")
    if summary.setup_link:
        out(f"Set the owner's password with this one-time link: {summary.setup_link}")


def demo_command(days: int = DEFAULT_DAYS, seed: int = DEFAULT_SEED) -> int:
    if not 1 <= days <= 366:
        print(f"error: --days must be between 1 and 366, got {days}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        run_demo(days=days, seed=seed)
    except DemoRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK
