"""The SLA clock of stored incidents: set when an incident is confirmed, read everywhere."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext_lazy

from veilleur.accounts.models import BusinessCalendar as StoredCalendar
from veilleur.domain.businesstime import BusinessCalendar, NoOpeningError
from veilleur.domain.sla import SlaOutcome, clock_running, clock_stopped_at, sla_clock, sla_outcome
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import Monitor
from veilleur.plans.models import Plan

log = logging.getLogger("veilleur.incidents")


def sla_outcome_of(incident: Incident, now: datetime) -> SlaOutcome:
    return sla_outcome(incident.sla_due_at, incident.acknowledged_at, incident.recovered_at, now)


def sla_fields(monitor: Monitor, confirmed_at: datetime) -> dict[str, Any]:
    """The SLA columns of an incident confirmed at ``confirmed_at`` on ``monitor``, from its
    client's plan and the agency's calendar as they are now (the version is kept with them)."""
    plan: Plan = monitor.site.client.plan
    stored = StoredCalendar.objects.filter(agency_id=monitor.agency_id).first()
    if plan.response_calendar == Plan.ResponseCalendar.ALWAYS or stored is None:
        calendar = BusinessCalendar.always_open()
        kind, version = Plan.ResponseCalendar.ALWAYS, None
    else:
        calendar = BusinessCalendar.from_stored(stored.time_zone, stored.weekly_hours, stored.holidays)
        kind, version = Plan.ResponseCalendar.BUSINESS, stored.version
    fields: dict[str, Any] = {
        "sla_target_minutes": plan.response_target_minutes,
        "sla_calendar": kind.value,
        "sla_calendar_version": version,
    }
    try:
        clock = sla_clock(confirmed_at, timedelta(minutes=plan.response_target_minutes), calendar)
    except NoOpeningError:
        # A calendar with no opening hours at all cannot make a due time: say so, count nothing.
        log.warning(
            "agency %s: its calendar never opens, so incidents get no response due time", monitor.agency_id
        )
        return fields
    return {
        **fields,
        "sla_started_at": clock.started_at,
        "sla_warn_at": clock.warn_at,
        "sla_due_at": clock.due_at,
    }


@dataclass(frozen=True)
class ResponseState:
    """Where an incident's response stands at ``now``: what the staff pages show."""

    outcome: SlaOutcome
    clock_running: bool  # neither an acknowledgement nor the recovery has stopped it yet
    recovered: bool  # the site is back: whatever the outcome is, it can no longer change
    stopped_by_recovery: bool  # the recovery came before any acknowledgement

    @property
    def overdue(self) -> bool:
        """Only a clock still running past its due time is overdue."""
        return self.clock_running and self.outcome is SlaOutcome.BREACHED

    @property
    def pending(self) -> bool:
        return self.outcome is SlaOutcome.PENDING

    @property
    def label(self) -> str:
        return str(OUTCOME_LABELS[self.outcome])


# The same words as the client's report.
OUTCOME_LABELS = {
    SlaOutcome.NONE: gettext_lazy("no commitment"),
    SlaOutcome.PENDING: gettext_lazy("pending"),
    SlaOutcome.MET: gettext_lazy("met"),
    SlaOutcome.MET_RECOVERED: gettext_lazy("met (recovered before the deadline)"),
    SlaOutcome.BREACHED: gettext_lazy("missed"),
}


def response_state(incident: Incident, now: datetime) -> ResponseState:
    recovered_at, acknowledged_at = incident.recovered_at, incident.acknowledged_at
    return ResponseState(
        outcome=sla_outcome_of(incident, now),
        clock_running=clock_running(acknowledged_at, recovered_at, now),
        recovered=recovered_at is not None,
        stopped_by_recovery=recovered_at is not None
        and clock_stopped_at(acknowledged_at, recovered_at) == recovered_at
        and recovered_at != acknowledged_at,
    )
