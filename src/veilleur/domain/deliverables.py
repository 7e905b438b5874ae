"""What a monthly report may say the plan delivered: only what the month's facts back.

A plan *including* a feature is not a fact about the month: a status page is mentioned only when
the client had one during the month, a portal only when the client had a login to it, maintenance
work with the number of tasks actually logged. Each line carries the figures its sentence states.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Deliverable(StrEnum):
    CHECKS = "checks"
    INCIDENTS = "incidents"
    MAINTENANCE_TASKS = "maintenance_tasks"
    STATUS_PAGE = "status_page"
    PORTAL = "portal"


@dataclass(frozen=True)
class MonthFacts:
    """What happened for one client in one period [start, end), read from the database."""

    start: datetime
    end: datetime
    checks: int
    incidents: int
    incidents_recovered: int
    maintenance_log: bool  # the plan keeps a maintenance log shown to the client
    tasks_logged: int  # tasks shown to the client, dated inside the period
    status_page_created_at: datetime | None  # None: the client has no status page
    status_page_public: bool  # False: protected by a password
    portal_logins: int  # client users able to sign in to a portal during the period


@dataclass(frozen=True)
class DeliverableLine:
    kind: Deliverable
    count: int = 0
    other_count: int = 0  # incidents: how many of them recovered
    since: datetime | None = None  # status page created during the period: from when
    public: bool = True  # status page: open to anyone, or behind a password


def deliverables_of_the_month(facts: MonthFacts) -> tuple[DeliverableLine, ...]:
    """The lines of "what your plan did this month", each backed by ``facts``."""
    lines = [
        DeliverableLine(Deliverable.CHECKS, count=facts.checks),
        DeliverableLine(Deliverable.INCIDENTS, count=facts.incidents, other_count=facts.incidents_recovered),
    ]
    if facts.maintenance_log:
        lines.append(DeliverableLine(Deliverable.MAINTENANCE_TASKS, count=facts.tasks_logged))
    page = _status_page_line(facts)
    if page is not None:
        lines.append(page)
    if facts.portal_logins > 0:
        lines.append(DeliverableLine(Deliverable.PORTAL, count=facts.portal_logins))
    return tuple(lines)


def _status_page_line(facts: MonthFacts) -> DeliverableLine | None:
    created = facts.status_page_created_at
    if created is None or created >= facts.end:
        return None  # no page, or one made after the period: it showed nothing then
    since = created if created > facts.start else None
    return DeliverableLine(Deliverable.STATUS_PAGE, since=since, public=facts.status_page_public)
