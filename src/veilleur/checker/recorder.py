"""Recording a batch of completed checks: results, schedule, state machine, incidents, in one
transaction. A checker killed at any line either committed the whole batch or none of it, and
on restart each monitor's state is exactly what its last stored result left."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from veilleur.checker.work import Completed
from veilleur.domain.incidents import Blip as BlipEvent
from veilleur.domain.incidents import IncidentOpened, IncidentRecovered, MonitorState, Result, step
from veilleur.domain.maintenance import covers
from veilleur.domain.schedule import next_slot, no_data_threshold
from veilleur.incidents.models import Blip, Incident
from veilleur.monitoring.models import CheckResult, Monitor, MonitorRuntime, NoDataGap

MESSAGE_LIMIT = 300


@dataclass(frozen=True)
class BatchOutcome:
    recorded: int
    lost_leases: int
    incidents_opened: int
    incidents_recovered: int


def record_batch(
    owner: str, region: str, batch: list[Completed], now: datetime, confirm_delay: timedelta
) -> BatchOutcome:
    """Store the batch; a check whose lease another checker took meanwhile is dropped (it was
    checked by the other one, so storing it would count the slot twice)."""
    recorded = lost = opened = recovered = 0
    with transaction.atomic():
        results: list[CheckResult] = []
        for item in batch:
            stored = _record_one(owner, item, now, confirm_delay)
            if stored is None:
                lost += 1
                continue
            result, event = stored
            results.append(_result_row(item, region, result))
            recorded += 1
            opened += isinstance(event, IncidentOpened)
            recovered += isinstance(event, IncidentRecovered)
        CheckResult.objects.bulk_create(results, batch_size=500)
    return BatchOutcome(recorded, lost, opened, recovered)


def _record_one(
    owner: str, item: Completed, now: datetime, confirm_delay: timedelta
) -> tuple[Result, object] | None:
    check, seen = item.check, item.observation
    result = Result(
        at=seen.checked_at,
        ok=seen.ok,
        error_class=seen.error_class,
        status_code=seen.status_code,
        message=seen.message[:MESSAGE_LIMIT],
        in_maintenance=covers(check.maintenance, seen.checked_at),
    )
    state, event = step(check.state, result, check.confirmations)
    entry = _proof_entry(result, seen.total_ms)
    proof = _proof_after(check.streak_proof, check.state, state, entry)
    slot = check.next_slot_at
    if not check.is_confirmation:
        slot = next_slot(check.next_slot_at, now, check.monitor_id, check.interval_seconds)
    confirm_at = seen.checked_at + confirm_delay if state.wants_confirmation else None
    if confirm_at is not None and confirm_at >= slot:
        confirm_at = None  # the regular check comes first and confirms just as well
    updated = MonitorRuntime.objects.filter(pk=check.monitor_id, lease_owner=owner).update(
        due_at=min(slot, confirm_at) if confirm_at else slot,
        next_slot_at=slot,
        confirm_at=confirm_at,
        lease_owner="",
        lease_expires_at=None,
        phase=state.phase.value,
        streak=state.streak,
        streak_started_at=state.streak_started_at,
        cause_error_class=state.cause.error_class if state.cause else "",
        cause_status_code=state.cause.status_code if state.cause else None,
        cause_message=state.cause.message if state.cause else "",
        incident_started_at=state.incident_started_at,
        streak_proof=proof,
        last_checked_at=seen.checked_at,
        last_ok=seen.ok,
        last_error_class=seen.error_class,
        last_total_ms=seen.total_ms,
    )
    if updated == 0:
        return None
    _record_gap(check.monitor_id, check.last_checked_at, seen.checked_at, check.interval_seconds)
    _apply_event(check.monitor_id, event, [*check.streak_proof, entry])
    return result, event


def _proof_entry(result: Result, total_ms: int | None) -> dict[str, object]:
    return {
        "at": result.at.isoformat(),
        "ok": result.ok,
        "error_class": result.error_class,
        "status_code": result.status_code,
        "total_ms": total_ms,
        "message": result.message,
    }


def _proof_after(
    proof: list[dict[str, object]], before: MonitorState, after: MonitorState, entry: dict[str, object]
) -> list[dict[str, object]]:
    """The checks of the streak being confirmed, kept with the state so the incident can cite them."""
    if not after.wants_confirmation:
        return []
    if before.phase != after.phase:
        return [entry]
    return [*proof, entry]


def _record_gap(monitor_id: int, previous: datetime | None, current: datetime, interval: int) -> None:
    if previous is not None and current - previous > no_data_threshold(interval):
        NoDataGap.objects.create(monitor_id=monitor_id, started_at=previous, ended_at=current)


def _apply_event(monitor_id: int, event: object, proof: list[dict[str, object]]) -> None:
    if isinstance(event, IncidentOpened):
        Incident.objects.create(
            monitor=Monitor.objects.only("agency_id").get(pk=monitor_id),
            first_failed_at=event.first_failed_at,
            confirmed_at=event.confirmed_at,
            cause_error_class=event.cause.error_class or "other",
            cause_status_code=event.cause.status_code,
            cause_message=event.cause.message,
            proof=proof,
        )
    elif isinstance(event, IncidentRecovered):
        Incident.objects.filter(monitor_id=monitor_id, resolved_at__isnull=True).update(
            recovered_at=event.recovered_at, resolved_at=event.resolved_at, recovery_proof=proof
        )
    elif isinstance(event, BlipEvent):
        Blip.objects.create(
            monitor_id=monitor_id,
            started_at=event.started_at,
            ended_at=event.ended_at,
            error_class=event.cause.error_class or "other",
            status_code=event.cause.status_code,
            message=event.cause.message,
        )


def _result_row(item: Completed, region: str, result: Result) -> CheckResult:
    seen = item.observation
    return CheckResult(
        monitor_id=item.check.monitor_id,
        checked_at=seen.checked_at,
        ok=seen.ok,
        confirmation=item.check.is_confirmation,
        in_maintenance=result.in_maintenance,
        error_class=seen.error_class,
        status_code=seen.status_code,
        dns_ms=seen.dns_ms,
        connect_ms=seen.connect_ms,
        tls_ms=seen.tls_ms,
        ttfb_ms=seen.ttfb_ms,
        total_ms=seen.total_ms,
        message=result.message,
        region=region,
    )
