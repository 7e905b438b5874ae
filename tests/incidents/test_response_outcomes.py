"""One response rule everywhere: over generated incident timelines, the client's report, the staff
pages and the API give every incident the same outcome, and it is the rule's, walked minute by
minute: the clock stops at the first of an acknowledgement or the recovery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as HttpClient
from django.utils import timezone
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.api.conftest import Api, issue_token
from veilleur.accounts.models import StaffUser
from veilleur.clients.models import Client, Site
from veilleur.domain.sla import SlaOutcome
from veilleur.incidents.models import AckChannel, Incident
from veilleur.monitoring.models import Monitor
from veilleur.plans.models import Plan
from veilleur.reports.data import monthly_report

minute = timedelta(minutes=1)


@dataclass(frozen=True)
class Timeline:
    """Minutes before now of each instant; None for what has not happened."""

    failed: int
    confirmed_after: int
    target: int | None
    acknowledged_after: int | None  # after the confirmation
    recovered_after: int | None  # after the confirmation


timelines = st.builds(
    Timeline,
    failed=st.integers(10, 3 * 24 * 60),
    confirmed_after=st.integers(0, 5),
    target=st.none() | st.sampled_from([30, 60, 240]),
    acknowledged_after=st.none() | st.integers(0, 600),
    recovered_after=st.none() | st.integers(1, 600),
)


def oracle(
    due: datetime | None, acknowledged: datetime | None, recovered: datetime | None, now: datetime
) -> SlaOutcome:
    """The rule as a walk: minute after minute from the confirmation, has anything stopped the
    clock yet? The first thing that did, and whether that was by the due time, decides."""
    if due is None:
        return SlaOutcome.NONE
    instant = min(at for at in (due, acknowledged, recovered, now) if at is not None) - minute
    while True:
        acked = acknowledged is not None and acknowledged <= instant
        back = recovered is not None and recovered <= instant
        if acked or back:
            if instant > due:
                return SlaOutcome.BREACHED
            return SlaOutcome.MET if acked else SlaOutcome.MET_RECOVERED
        if instant >= now:
            return SlaOutcome.PENDING if now < due else SlaOutcome.BREACHED
        instant += minute


@pytest.fixture
def monitor(owner: StaffUser) -> Monitor:
    client = Client.objects.create(
        agency=owner.agency,
        key="boulangerie",
        name="Boulangerie Martin",
        time_zone="Europe/Paris",
        plan=Plan.objects.get(agency=owner.agency, key="premium"),
    )
    site = Site.objects.create(client=client, key="www", name="Site", url="https://boulangerie.example/")
    return Monitor.objects.create(site=site, key="home", url=site.url)


def store(monitor: Monitor, timeline: Timeline, now: datetime) -> Incident:
    failed = now - timeline.failed * minute
    confirmed = failed + timeline.confirmed_after * minute
    recovered = None if timeline.recovered_after is None else confirmed + timeline.recovered_after * minute
    acknowledged = (
        None if timeline.acknowledged_after is None else confirmed + timeline.acknowledged_after * minute
    )
    due = None if timeline.target is None else confirmed + timeline.target * minute
    # Nothing has happened after now, and the due time is not within a minute of it (the three
    # readers each take their own "now", a few milliseconds apart).
    assume(all(at is None or at <= now for at in (confirmed, recovered, acknowledged)))
    assume(due is None or abs(due - now) >= minute)
    return Incident.objects.create(
        monitor=monitor,
        first_failed_at=failed,
        confirmed_at=confirmed,
        acknowledged_at=acknowledged,
        acknowledged_by_label="astreinte@atelier.example" if acknowledged else "",
        ack_channel=AckChannel.EMAIL_LINK if acknowledged else "",
        recovered_at=recovered,
        resolved_at=None if recovered is None else min(now, recovered + minute),
        cause_error_class="http_status",
        cause_status_code=503,
        sla_target_minutes=timeline.target,
        sla_calendar="always" if timeline.target else "",
        sla_started_at=confirmed if due else None,
        sla_due_at=due,
    )


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(timeline=timelines)
def test_report_staff_pages_and_api_agree_with_the_rule(
    timeline: Timeline, monitor: Monitor, owner: StaffUser, client: HttpClient
) -> None:
    Incident.objects.all().delete()
    now = timezone.now().replace(microsecond=0)
    incident = store(monitor, timeline, now)
    expected = oracle(incident.sla_due_at, incident.acknowledged_at, incident.recovered_at, now)

    local = incident.first_failed_at.astimezone(ZoneInfo(monitor.site.client.time_zone))
    report = monthly_report(monitor.site.client, local.year, local.month, timezone.now())
    (row,) = report.sites[0].incidents

    client.force_login(owner)
    listed = {listed.pk: response for listed, response in client.get("/incidents/").context["rows"]}
    detail = client.get(f"/incidents/{incident.pk}/").context["response"]

    api = Api(issue_token(owner.agency, name=f"property {incident.pk}"))
    answer = api.get(f"/incidents/{incident.pk}")
    assert answer.status_code == 200

    outcomes = {
        "report": row.sla_outcome,
        "staff list": listed[incident.pk].outcome,
        "staff page": detail.outcome,
        "API": SlaOutcome(answer.json()["sla"]["outcome"]),
    }
    assert outcomes == dict.fromkeys(outcomes, expected)
    # "Overdue" only while nothing has stopped the clock and the due time has passed.
    still_running = incident.acknowledged_at is None and incident.recovered_at is None
    assert (
        listed[incident.pk].overdue == detail.overdue == (still_running and expected is SlaOutcome.BREACHED)
    )
