"""The quarterly review's figures are the accounting engine's, and equal its three months combined."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.reports.review.conftest import NOW, UPDATE_DAY
from veilleur.clients.models import Client
from veilleur.domain.accounting import IncidentKind, uptime_of
from veilleur.reports.data import monthly_report
from veilleur.reports.review import quarterly_review


@pytest.mark.django_db
def test_the_quarter_is_its_three_monthly_reports_combined(client_with_a_quarter: Client) -> None:
    review = quarterly_review(client_with_a_quarter, 2026, 4, NOW)
    reports = [monthly_report(client_with_a_quarter, 2026, month, NOW) for month in (10, 11, 12)]

    for month, report in zip(review.months, reports, strict=True):
        assert month.combined == report.combined
        assert month.period == report.period
    downtime = sum((report.combined.downtime for report in reports), timedelta(0))
    monitored = sum((report.combined.monitored for report in reports), timedelta(0))
    assert review.figures.combined.downtime == downtime
    assert review.figures.combined.monitored == monitored
    assert review.figures.combined.uptime == uptime_of(monitored, downtime)
    assert review.figures.latency.checks == sum(report.latency.checks for report in reports)
    # Site by site, and the incident across the month's edge counted once in the quarter.
    [site] = review.sites
    assert site.combined.downtime == sum(
        (report.sites[0].combined.downtime for report in reports), timedelta(0)
    )
    keys = {row.key for report in reports for row in report.sites[0].incidents}
    assert {row.key for row in site.incidents} == keys
    assert len(site.incidents) < sum(len(report.sites[0].incidents) for report in reports)
    assert sum(row.counted_seconds for row in site.incidents if row.kind is IncidentKind.DOWN) == sum(
        row.counted_seconds for report in reports for row in report.sites[0].incidents
    )


@pytest.mark.django_db
def test_credits_are_those_of_each_month(client_with_a_quarter: Client) -> None:
    review = quarterly_review(client_with_a_quarter, 2026, 4, NOW)
    reports = [monthly_report(client_with_a_quarter, 2026, month, NOW) for month in (10, 11, 12)]
    [site] = review.sites
    assert [credit.credit_percent for credit in site.credits] == [
        report.sites[0].service_credit_percent for report in reports
    ]
    assert site.credit_total_percent == sum(report.sites[0].service_credit_percent or 0 for report in reports)


@pytest.mark.django_db
def test_patterns_responses_and_recommendations_follow_the_rows(client_with_a_quarter: Client) -> None:
    review = quarterly_review(client_with_a_quarter, 2026, 4, NOW)
    outages = [row for row in review.sites[0].incidents if row.kind is IncidentKind.DOWN]
    assert review.patterns.outages == len(outages) == review.figures.outages
    assert sum(review.patterns.by_hour) == len(outages)
    assert review.patterns.longest[0].row.duration == max(row.duration for row in outages)
    assert review.responses_missed == 1
    assert review.responses_met == sum(
        1 for row in review.sites[0].incidents if row.sla_outcome.value in ("met", "met_recovered")
    )
    rules = [recommendation.rule for recommendation in review.recommendations]
    assert "slower_after_update" in rules
    shift = next(r for r in review.recommendations if r.rule == "slower_after_update").evidence["shift"]
    assert shift.since == UPDATE_DAY  # type: ignore[attr-defined]
    assert review.previous.has_data
    assert not review.last_year.has_data
