"""Recording a batch of completed checks: results, schedule, state machine, incidents, in one
transaction. A checker killed at any line either committed the whole batch or none of it, and
on restart each monitor's state is exactly what its last stored result left."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import connection, models, transaction

from veilleur.checker import regions
from veilleur.checker.work import Completed
from veilleur.clients.models import Site
from veilleur.domain.incidents import Blip as BlipEvent
from veilleur.domain.incidents import IncidentOpened, IncidentRecovered, MonitorState, Result, step
from veilleur.domain.maintenance import covers
from veilleur.domain.schedule import next_slot, no_data_threshold
from veilleur.incidents.models import Blip, Incident
from veilleur.incidents.partial import apply_partial_event
from veilleur.incidents.sla import sla_fields
from veilleur.monitoring.models import CheckResult, Monitor, MonitorRuntime, NoDataGap
from veilleur.notifications.enqueue import enqueue_for_event
from veilleur.statuspages.models import bump_pages_of_clients

MESSAGE_LIMIT = 300


@dataclass(frozen=True)
class BatchOutcome:
    recorded: int
    lost_leases: int
    incidents_opened: int
    incidents_recovered: int


def record_batch(
    owner: str,
    region: str,
    batch: list[Completed],
    now: datetime,
    confirm_delay: timedelta,
    alone: bool = False,
) -> BatchOutcome:
    """Store the batch; a check whose lease another checker took meanwhile is dropped (it was
    checked by the other one, so storing it would count the slot twice).

    ``alone``: the checks were made when no other region could be asked (kept while the
    database was away, replay.py): they are judged as a region alone judges its own, whatever
    regions are alive now. Asked now, another region would answer about now, not about then.

    A few statements per batch, not per check: one UPDATE of the runtimes (guarded by the lease),
    one INSERT of the results; the rare no-data gaps and incident events go through the ORM."""
    recorded = lost = opened = recovered = 0
    with transaction.atomic():
        alive = frozenset({region}) if alone else regions.alive_regions(now) | {region}
        results: list[tuple[Completed, Result]] = []
        for run in _unique_runs(batch):
            chains = [_plan_chain(owner, item, now, confirm_delay, region, alive) for item in run]
            kept = _update_runtimes(owner, [chain[-1][1].runtime for chain in chains])
            for chain in chains:
                if chain[0][0].check.monitor_id not in kept:
                    lost += len(chain)
                    continue
                for item, plan in chain:
                    check, seen = item.check, item.observation
                    _record_gap(
                        check.monitor_id, check.last_checked_at, seen.checked_at, check.interval_seconds
                    )
                    _apply_event(check.monitor_id, plan.event, [*check.streak_proof, plan.entry])
                    if plan.partial is not None:
                        apply_partial_event(check.monitor_id, plan.partial, [*check.streak_proof, plan.entry])
                    results.append((item, plan.result))
                    recorded += 1
                    opened += isinstance(plan.event, IncidentOpened)
                    recovered += isinstance(plan.event, IncidentRecovered)
        _insert_results(region, results)
    return BatchOutcome(recorded, lost, opened, recovered)


@dataclass(frozen=True)
class _Plan:
    result: Result
    event: object
    entry: dict[str, object]
    runtime: tuple[Any, ...]  # monitor id, then the values of RUNTIME_COLUMNS
    state: MonitorState
    proof: list[dict[str, object]]
    partial: object = None  # a partial outage's event (checks in several regions)


def _plan_chain(
    owner: str,
    item: Completed,
    now: datetime,
    confirm_delay: timedelta,
    region: str = "",
    alive: frozenset[str] = frozenset(),
) -> list[tuple[Completed, _Plan]]:
    """The plan of a check, then of each re-check made while it ran (``item.confirmations``),
    each stepping from the state the one before left: one runtime row, the last one, is written.

    With another region alive the confirmation is theirs (checker/regions.py): this checker's early
    re-checks are dropped, as they are when the check succeeds."""
    chain = [(item, _plan(owner, item, now, confirm_delay, region, alive))]
    if len(alive) > 1:
        return chain
    for seen in item.confirmations:
        before, plan = chain[-1]
        check = replace(
            before.check,
            is_confirmation=True,
            state=plan.state,
            streak_proof=plan.proof,
            next_slot_at=plan.runtime[1 + RUNTIME_COLUMNS.index("next_slot_at")],
            last_checked_at=before.observation.checked_at,
        )
        confirming = Completed(check, seen)
        chain.append((confirming, _plan(owner, confirming, now, confirm_delay, region, alive)))
    return chain


# The runtime columns a recorded check sets, in the order of _Plan.runtime after the monitor id.
RUNTIME_COLUMNS = (
    "due_at",
    "next_slot_at",
    "confirm_at",
    "lease_owner",
    "lease_expires_at",
    "phase",
    "streak",
    "streak_started_at",
    "cause_error_class",
    "cause_status_code",
    "cause_message",
    "incident_started_at",
    "streak_proof",
    "last_checked_at",
    "last_ok",
    "last_error_class",
    "last_total_ms",
    "served_certificate_sha256",
    "confirm_only_region",
    "confirm_not_regions",
    "partial_regions",
)
RESULT_COLUMNS = (
    "monitor_id",
    "checked_at",
    "ok",
    "confirmation",
    "in_maintenance",
    "error_class",
    "status_code",
    "dns_ms",
    "connect_ms",
    "tls_ms",
    "ttfb_ms",
    "total_ms",
    "message",
    "region",
)
# Rows per statement: ids in one IN list stay under SQLite's oldest limit of 999 parameters, and
# the values of an UPDATE or INSERT well under PostgreSQL's 65,535.
ROWS_PER_STATEMENT = 900


def _unique_runs(batch: list[Completed]) -> list[list[Completed]]:
    """The batch cut where a monitor comes back (two checks of one monitor in a batch happen
    only after an expired lease), so that one UPDATE never sets the same row twice."""
    runs: list[list[Completed]] = [[]]
    seen: set[int] = set()
    for item in batch:
        if item.check.monitor_id in seen:
            runs.append([])
            seen.clear()
        seen.add(item.check.monitor_id)
        runs[-1].append(item)
    return [run for run in runs if run]


def _plan(
    owner: str,
    item: Completed,
    now: datetime,
    confirm_delay: timedelta,
    region: str = "",
    alive: frozenset[str] = frozenset(),
) -> _Plan:
    """The state machine's step for one check and the runtime row it leaves (nothing stored yet).

    With another region alive (``alive``: the live regions, this one included), or a round across
    regions going on, the step is ``domain.quorum``'s (checker/regions.py)."""
    check, seen = item.check, item.observation
    result = Result(
        at=seen.checked_at,
        ok=seen.ok,
        error_class=seen.error_class,
        status_code=seen.status_code,
        message=seen.message[:MESSAGE_LIMIT],
        in_maintenance=covers(check.maintenance, seen.checked_at),
        completed_at=seen.finished_at,
    )
    entry = _proof_entry(result, seen.total_ms)
    regional = regions.regional_step(check, result, region, alive, entry)
    partial: object = None
    if regional is None:
        state, event = step(check.state, result, check.confirmations)
        proof = _proof_after(check.streak_proof, check.state, state, entry)
        asked, failing = ("", ""), regions.encode(check.failing_regions)
    else:
        state, event, partial, entry = regional.state, regional.event, regional.partial, regional.entry
        proof, asked, failing = regional.proof, regional.asked, regional.failing
    slot = check.next_slot_at
    if not check.is_confirmation:
        slot = next_slot(check.next_slot_at, now, check.monitor_id, check.interval_seconds)
    confirm_at = seen.checked_at + confirm_delay if state.wants_confirmation else None
    if confirm_at is not None and confirm_at >= slot:
        confirm_at = None  # the regular check comes first and confirms just as well
    cause = state.cause
    runtime = (
        check.monitor_id,
        min(slot, confirm_at) if confirm_at else slot,  # due_at
        slot,  # next_slot_at
        confirm_at,
        "",  # lease_owner: released
        None,  # lease_expires_at
        state.phase.value,
        state.streak,
        state.streak_started_at,
        cause.error_class if cause else "",
        cause.status_code if cause else None,
        cause.message if cause else "",
        state.incident_started_at,
        proof,
        seen.checked_at,
        seen.ok,
        seen.error_class,
        seen.total_ms,
        seen.certificate_sha256,
        *asked,
        failing,
    )
    return _Plan(result, event, entry, runtime, state, proof, partial)


def _update_runtimes(owner: str, rows: list[tuple[Any, ...]]) -> set[int]:
    """Write the planned runtime rows whose lease ``owner`` still holds; their monitor ids."""
    if not rows:
        return set()
    adapt = _adapters()
    table = connection.ops.quote_name(MonitorRuntime._meta.db_table)
    key = connection.ops.quote_name(MonitorRuntime._meta.pk.column)
    owner_column = connection.ops.quote_name(_column(MonitorRuntime, "lease_owner"))
    columns = [connection.ops.quote_name(_column(MonitorRuntime, name)) for name in RUNTIME_COLUMNS]
    kept: set[int] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[start : start + ROWS_PER_STATEMENT]
            values = [[convert(value) for convert, value in zip(adapt, row, strict=True)] for row in chunk]
            if connection.vendor == "postgresql":
                # One statement: the lease check and the write together, the rows written
                # returned. One array per column, so the statement has a parameter per column, not per value.
                arrays = [list(column) for column in zip(*values, strict=True)]
                arrays[1 + RUNTIME_COLUMNS.index("streak_proof")] = [
                    json.dumps(proof) for proof in arrays[1 + RUNTIME_COLUMNS.index("streak_proof")]
                ]
                casts = ", ".join(f"%s::{cast}[]" for cast in _pg_casts())
                names = ", ".join(["id", *(f"c{i}" for i in range(len(columns)))])
                sets = ", ".join(
                    f"{column} = v.c{i}::jsonb" if name == "streak_proof" else f"{column} = v.c{i}"
                    for i, (name, column) in enumerate(zip(RUNTIME_COLUMNS, columns, strict=True))
                )
                cursor.execute(
                    f"UPDATE {table} AS r SET {sets} FROM unnest({casts}) AS v({names}) "
                    f"WHERE r.{key} = v.id AND r.{owner_column} = %s RETURNING r.{key}",
                    [*arrays, owner],
                )
                kept.update(row[0] for row in cursor.fetchall())
                continue
            # Elsewhere (SQLite, whose transactions here take the write lock when they begin, so
            # nothing changes between the two statements): which leases are still ours, then one
            # prepared UPDATE run for each of those rows.
            ids = [row[0] for row in chunk]
            marks = ", ".join(["%s"] * len(ids))
            cursor.execute(
                f"SELECT {key} FROM {table} WHERE {owner_column} = %s AND {key} IN ({marks})", [owner, *ids]
            )
            ours = {row[0] for row in cursor.fetchall()}
            sets = ", ".join(f"{column} = %s" for column in columns)
            cursor.executemany(
                f"UPDATE {table} SET {sets} WHERE {key} = %s",
                [[*row[1:], row[0]] for row in values if row[0] in ours],
            )
            kept.update(ours)
    return kept


def _insert_results(region: str, results: list[tuple[Completed, Result]]) -> None:
    if not results:
        return
    table = connection.ops.quote_name(CheckResult._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(_column(CheckResult, name)) for name in RESULT_COLUMNS)
    marks = ", ".join(["%s"] * len(RESULT_COLUMNS))
    as_datetime = connection.ops.adapt_datetimefield_value
    rows = []
    for item, result in results:
        seen = item.observation
        rows.append(
            (
                item.check.monitor_id,
                as_datetime(seen.checked_at),
                seen.ok,
                item.check.is_confirmation,
                result.in_maintenance,
                seen.error_class,
                seen.status_code,
                seen.dns_ms,
                seen.connect_ms,
                seen.tls_ms,
                seen.ttfb_ms,
                seen.total_ms,
                result.message,
                region,
            )
        )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            casts = ", ".join(f"%s::{cast}[]" for cast in _pg_result_casts())
            for start in range(0, len(rows), ROWS_PER_STATEMENT):
                chunk = rows[start : start + ROWS_PER_STATEMENT]
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({casts})",
                    [list(column) for column in zip(*chunk, strict=True)],
                )
        else:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def _column(model: type[models.Model], name: str) -> str:
    return str(model._meta.get_field(name).column)  # type: ignore[union-attr]


def _adapters() -> list[Callable[[Any], Any]]:
    """For each value of a planned runtime row, what turns it into a database parameter."""
    ops = connection.ops
    fields = [MonitorRuntime._meta.pk, *(MonitorRuntime._meta.get_field(name) for name in RUNTIME_COLUMNS)]
    adapters: list[Callable[[Any], Any]] = []
    for field in fields:
        if connection.vendor == "postgresql":
            adapters.append(_same)  # psycopg adapts datetimes; the JSON column goes as text
        elif isinstance(field, models.DateTimeField):
            adapters.append(ops.adapt_datetimefield_value)
        elif isinstance(field, models.JSONField):
            adapters.append(partial(ops.adapt_json_value, encoder=field.encoder))
        else:
            adapters.append(_same)
    return adapters


def _same(value: Any) -> Any:
    return value


def _pg_casts() -> list[str]:
    """The PostgreSQL type of each value of a runtime row (a NULL in VALUES has none otherwise)."""
    fields = [MonitorRuntime._meta.pk, *(MonitorRuntime._meta.get_field(name) for name in RUNTIME_COLUMNS)]
    return [_pg_type(field.db_type(connection) or "text") for field in fields]  # type: ignore[union-attr]


def _pg_result_casts() -> list[str]:
    fields = [CheckResult._meta.get_field(name.removesuffix("_id")) for name in RESULT_COLUMNS]
    return [_pg_type(field.db_type(connection) or "text") for field in fields]  # type: ignore[union-attr]


def _pg_type(db_type: str) -> str:
    """The array element type for a column type: text for strings and JSON (cast where set)."""
    if db_type.startswith("varchar") or db_type == "jsonb":
        return "text"
    return db_type


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
        monitor = Monitor.objects.select_related("site__client__plan").get(pk=monitor_id)
        Incident.objects.create(
            monitor=monitor,
            **sla_fields(monitor, event.confirmed_at),
            first_failed_at=event.first_failed_at,
            confirmed_at=event.confirmed_at,
            cause_error_class=event.cause.error_class or "other",
            cause_status_code=event.cause.status_code,
            cause_message=event.cause.message,
            proof=proof,
        )
    elif isinstance(event, IncidentRecovered):
        open_down = Incident.objects.filter(
            monitor_id=monitor_id, kind=Incident.Kind.DOWN, resolved_at__isnull=True
        )
        open_down.update(recovered_at=event.recovered_at, resolved_at=event.resolved_at, recovery_proof=proof)
    elif isinstance(event, BlipEvent):
        Blip.objects.create(
            monitor_id=monitor_id,
            started_at=event.started_at,
            ended_at=event.ended_at,
            error_class=event.cause.error_class or "other",
            status_code=event.cause.status_code,
            message=event.cause.message,
        )
    if isinstance(event, (IncidentOpened, IncidentRecovered)):
        # The client's status page changes with the incident, in the same transaction.
        bump_pages_of_clients(Site.objects.filter(monitors=monitor_id).values("client_id"))
    # The incident's notices join this transaction: committed with the event, or not at all.
    enqueue_for_event(monitor_id, event)
