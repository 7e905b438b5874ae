"""The worker's degraded-performance job: open and close DEGRADED incidents from recent checks.

Every :data:`DEGRADED_PERIOD_SECONDS`, for each monitor of a site whose plan has performance
monitoring, the recent regular checks are judged by ``domain.degradation`` and the spans found
become incidents of kind DEGRADED (slow, not down: never downtime, no response SLA clock). The
evaluation is stateless: it starts from the monitor's open DEGRADED incident (its clearing streak
is looked for after its confirmation) or, without one, from the later of the last resolved one and
:func:`lookback` ago, so a run repeated or interrupted at any line finds the same spans again.

Several workers: each monitor is evaluated in its own transaction holding its row
(``FOR NO KEY UPDATE SKIP LOCKED`` on PostgreSQL, which the checker's inserts never wait on;
SQLite's IMMEDIATE transactions serialise writers), the database keeps one open incident per
monitor and kind, and a close is a compare-and-set on ``resolved_at``. The notices (to the
agency's on-call, once each way) are outbox rows written in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Max

from veilleur.domain.degradation import (
    BASELINE_DAYS,
    BASELINE_WINDOW,
    DegradedSpan,
    SlownessRule,
    TimedCheck,
    baseline_p95,
    degraded_spans,
    slowness,
)
from veilleur.domain.histogram import LatencyHistogram
from veilleur.domain.rollups import combine_all, unpack_day
from veilleur.history.models import RollupDay
from veilleur.history.read import MAX_LIMIT, results
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import Monitor
from veilleur.notifications.enqueue import enqueue_performance_notice
from veilleur.notifications.models import OutboxMessage
from veilleur.statuspages.models import bump_pages_of_clients

DEGRADED_PERIOD_SECONDS = 30
# Without an open incident, a slow streak is looked for this far back (at least): long enough
# for the longest streak a plan can ask for, short enough to read little each run.
MIN_LOOKBACK = timedelta(hours=1)
PROOF_CHECKS = 20  # the checks cited in an incident's proof, at most
DEGRADED = Incident.Kind.DEGRADED


@dataclass(frozen=True)
class DegradedReport:
    opened: int
    cleared: int

    def __bool__(self) -> bool:
        return bool(self.opened or self.cleared)


def evaluate_degraded_performance(now: datetime) -> DegradedReport:
    opened = cleared = 0
    watched = Monitor.objects.filter(paused=False, site__client__plan__performance_monitoring=True)
    for monitor in watched.select_related("site__client__plan").order_by("pk"):
        outcome = _evaluate(monitor, now)
        opened += outcome.opened
        cleared += outcome.cleared
    cleared += _close_unwatched(now)
    return DegradedReport(opened, cleared)


def lookback(after_checks: int, interval_seconds: int) -> timedelta:
    return max(MIN_LOOKBACK, timedelta(seconds=2 * after_checks * interval_seconds))


def _evaluate(monitor: Monitor, now: datetime) -> DegradedReport:
    with transaction.atomic():
        held = Monitor.objects.select_for_update(no_key=True, skip_locked=True).filter(pk=monitor.pk)
        if not held.exists():
            return DegradedReport(0, 0)  # another worker is evaluating it right now
        rule = slowness_rule(monitor, now)
        open_incident = Incident.objects.filter(
            monitor=monitor, kind=DEGRADED, resolved_at__isnull=True
        ).first()
        since = _since(monitor, rule, open_incident, now)
        checks = list(regular_checks(monitor.pk, since - BASELINE_WINDOW, now))
        flags = slowness(checks, rule)
        recent = [(check, flag) for check, flag in zip(checks, flags, strict=True) if check.at > since]
        open_span = _span_of(open_incident) if open_incident is not None else None
        spans = degraded_spans(
            [check for check, _ in recent], [flag for _, flag in recent], rule.after_checks, open_span
        )
        return _apply(monitor, rule, open_incident, spans, recent)


def slowness_rule(monitor: Monitor, now: datetime) -> SlownessRule:
    site = monitor.site
    plan = site.client.plan
    return SlownessRule(
        above_ms=site.degraded_above_ms or plan.degraded_above_ms,
        after_checks=plan.degraded_after_checks,
        baseline_factor=float(plan.degraded_baseline_factor),
        baseline_p95_ms=usual_p95(monitor.pk, now.date()),
    )


def usual_p95(monitor_id: int, today: date) -> float | None:
    """The monitor's p95 over the :data:`BASELINE_DAYS` full UTC days before ``today`` (today's
    slowness must not raise its own yardstick), from the daily rollups."""
    days = RollupDay.objects.filter(
        monitor_id=monitor_id, day__gte=today - timedelta(days=BASELINE_DAYS), day__lt=today
    ).values_list("hours", flat=True)
    histograms: list[LatencyHistogram] = [
        combine_all(unpack_day(bytes(packed)).values()).latency for packed in days
    ]
    return baseline_p95(histograms)


def regular_checks(monitor_id: int, start: datetime, end: datetime) -> Iterator[TimedCheck]:
    """The monitor's regular checks outside maintenance in [start, end], oldest first, from raw
    rows and compacted blocks alike."""
    cursor = None
    while True:
        page = results(monitor_id, start, end + timedelta(milliseconds=1), cursor=cursor, limit=MAX_LIMIT)
        for record in page.results:
            if not record.confirmation and not record.in_maintenance:
                yield TimedCheck(at=record.checked_at, ok=record.ok, total_ms=record.total_ms)
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _since(monitor: Monitor, rule: SlownessRule, open_incident: Incident | None, now: datetime) -> datetime:
    if open_incident is not None:
        return open_incident.confirmed_at  # its clearing streak starts after the check that confirmed it
    since = now - lookback(rule.after_checks, monitor.effective_interval_seconds())
    last = Incident.objects.filter(monitor=monitor, kind=DEGRADED).aggregate(last=Max("resolved_at"))["last"]
    return max(since, last) if last is not None else since


def _span_of(incident: Incident) -> DegradedSpan:
    return DegradedSpan(first_slow_at=incident.first_failed_at, confirmed_at=incident.confirmed_at)


def _apply(
    monitor: Monitor,
    rule: SlownessRule,
    open_incident: Incident | None,
    spans: list[DegradedSpan],
    recent: list[tuple[TimedCheck, bool | None]],
) -> DegradedReport:
    opened = cleared = 0
    for span in spans:
        incident = open_incident
        if incident is None or span.first_slow_at != incident.first_failed_at:
            incident = _open(monitor, rule, span, recent)
            opened += 1
        if span.resolved_at is not None and _close(incident, span, recent):
            cleared += 1
        open_incident = None
    if opened or cleared:
        bump_pages_of_clients([monitor.site.client_id])
    return DegradedReport(opened, cleared)


def _open(
    monitor: Monitor, rule: SlownessRule, span: DegradedSpan, recent: list[tuple[TimedCheck, bool | None]]
) -> Incident:
    proof = [check for check, slow in recent if slow and span.first_slow_at <= check.at <= span.confirmed_at]
    incident = Incident.objects.create(
        monitor=monitor,
        kind=DEGRADED,
        first_failed_at=span.first_slow_at,
        confirmed_at=span.confirmed_at,
        cause_error_class="slow",
        cause_message=_why_slow(rule, proof[-1] if proof else None),
        proof=[_proof_entry(check) for check in proof[-PROOF_CHECKS:]],
    )
    enqueue_performance_notice(incident, OutboxMessage.Kind.PERFORMANCE_DEGRADED)
    return incident


def _close(incident: Incident, span: DegradedSpan, recent: list[tuple[TimedCheck, bool | None]]) -> bool:
    assert span.recovered_at is not None and span.resolved_at is not None
    proof = [
        _proof_entry(check)
        for check, slow in recent
        if slow is False and span.recovered_at <= check.at <= span.resolved_at
    ]
    closed = Incident.objects.filter(pk=incident.pk, resolved_at__isnull=True).update(
        recovered_at=span.recovered_at, resolved_at=span.resolved_at, recovery_proof=proof[-PROOF_CHECKS:]
    )
    if closed != 1:
        return False
    incident.refresh_from_db()
    enqueue_performance_notice(incident, OutboxMessage.Kind.PERFORMANCE_RESTORED)
    return True


def _close_unwatched(now: datetime) -> int:
    """A monitor paused, or whose plan no longer monitors performance, has nothing more to say
    about its speed: its open DEGRADED incident ends now, without a notice (nothing recovered)."""
    stale = Incident.objects.filter(kind=DEGRADED, resolved_at__isnull=True, confirmed_at__lt=now).exclude(
        monitor__paused=False, monitor__site__client__plan__performance_monitoring=True
    )
    closed = 0
    for incident in stale.select_related("monitor__site"):
        with transaction.atomic():
            if Incident.objects.filter(pk=incident.pk, resolved_at__isnull=True).update(
                recovered_at=now, resolved_at=now
            ):
                closed += 1
                bump_pages_of_clients([incident.monitor.site.client_id])
    return closed


def _why_slow(rule: SlownessRule, last: TimedCheck | None) -> str:
    """The probe-style detail kept with the incident (for the agency's pages and mails)."""
    if last is not None and last.total_ms is not None and last.total_ms > rule.above_ms:
        return f"{last.total_ms} ms > {rule.above_ms} ms"
    if rule.baseline_limit_ms is not None:
        return f"p95 15 min > {rule.baseline_factor:g} x {rule.baseline_p95_ms:.0f} ms"
    return ""


def _proof_entry(check: TimedCheck) -> dict[str, object]:
    return {
        "at": check.at.isoformat(),
        "ok": check.ok,
        "error_class": "",
        "status_code": None,
        "total_ms": check.total_ms,
        "message": "",
    }
