"""A report says a deliverable was there only when the month's facts say so."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from veilleur.domain.deliverables import Deliverable, MonthFacts, deliverables_of_the_month

START = datetime(2026, 10, 1, tzinfo=UTC)
END = datetime(2026, 11, 1, tzinfo=UTC)
NOTHING = MonthFacts(
    start=START,
    end=END,
    checks=0,
    incidents=0,
    incidents_recovered=0,
    maintenance_log=False,
    tasks_logged=0,
    status_page_created_at=None,
    status_page_public=True,
    portal_logins=0,
)


def kinds(facts: MonthFacts) -> list[Deliverable]:
    return [line.kind for line in deliverables_of_the_month(facts)]


def test_a_plan_feature_without_a_fact_is_not_mentioned() -> None:
    assert kinds(NOTHING) == [Deliverable.CHECKS, Deliverable.INCIDENTS]


def test_no_portal_login_no_portal_sentence() -> None:
    assert Deliverable.PORTAL not in kinds(NOTHING)
    assert Deliverable.PORTAL in kinds(replace(NOTHING, portal_logins=1))


def test_status_page_of_the_whole_month() -> None:
    facts = replace(NOTHING, status_page_created_at=datetime(2026, 9, 3, tzinfo=UTC))
    (page,) = [line for line in deliverables_of_the_month(facts) if line.kind is Deliverable.STATUS_PAGE]
    assert page.since is None and page.public


def test_status_page_made_during_the_month_says_since_when() -> None:
    made = datetime(2026, 10, 14, 9, tzinfo=UTC)
    facts = replace(NOTHING, status_page_created_at=made, status_page_public=False)
    (page,) = [line for line in deliverables_of_the_month(facts) if line.kind is Deliverable.STATUS_PAGE]
    assert page.since == made and not page.public


def test_status_page_made_after_the_month_is_not_mentioned() -> None:
    assert Deliverable.STATUS_PAGE not in kinds(replace(NOTHING, status_page_created_at=END))


def test_maintenance_tasks_counted_as_logged() -> None:
    lines = deliverables_of_the_month(replace(NOTHING, maintenance_log=True, tasks_logged=3))
    assert [line.count for line in lines if line.kind is Deliverable.MAINTENANCE_TASKS] == [3]


@given(
    checks=st.integers(0, 10**6),
    incidents=st.integers(0, 50),
    log=st.booleans(),
    tasks=st.integers(0, 20),
    page_day=st.none() | st.integers(-40, 40),
    logins=st.integers(0, 3),
)
def test_every_line_is_backed_by_a_fact(
    checks: int, incidents: int, log: bool, tasks: int, page_day: int | None, logins: int
) -> None:
    page = (
        None
        if page_day is None
        else datetime(2026, 10, 1, tzinfo=UTC).replace(day=1) + ((END - START) * page_day / 31)
    )
    facts = replace(
        NOTHING,
        checks=checks,
        incidents=incidents,
        incidents_recovered=incidents // 2,
        maintenance_log=log,
        tasks_logged=tasks,
        status_page_created_at=page,
        portal_logins=logins,
    )
    lines = {line.kind: line for line in deliverables_of_the_month(facts)}
    assert lines[Deliverable.CHECKS].count == checks
    assert lines[Deliverable.INCIDENTS].count == incidents
    assert (Deliverable.MAINTENANCE_TASKS in lines) == log
    assert (Deliverable.STATUS_PAGE in lines) == (page is not None and page < END)
    assert (Deliverable.PORTAL in lines) == (logins > 0)
