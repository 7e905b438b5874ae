"""The quarterly review's figures are the accounting engine's, and equal its three months combined."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.reports.review.conftest import NOW, UPDATE_DAY
from veilleur.clients.models import Client
from veilleur.domain.accounting import IncidentKind, uptime_of
from veilleur.plans.models import Plan
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


@pytest.mark.django_db
def test_certificates_domains_and_software_come_from_their_checks(client_with_a_quarter: Client) -> None:
    review = quarterly_review(client_with_a_quarter, 2026, 4, NOW)
    [watch] = review.watch
    [line] = watch.certificates
    assert line.lifetime_days == 365 and line.expires_soon  # 20 February 2027: next quarter
    assert [kind for _day, kind in line.changes] == ["renewed"]
    assert watch.domain == "boulangerie.example" and not watch.domain_expires_soon
    assert watch.software == "WordPress 7.0" and len(watch.software_changes) == 1
    rules = {r.rule: r.evidence for r in review.recommendations}
    assert "certificate_renewed_by_hand" in rules and "certificate_expires_next_quarter" in rules
    assert "domain_expires_next_quarter" not in rules
    # A plan without certificate monitoring: no certificate, no domain, no advice about them.
    Plan.objects.filter(pk=client_with_a_quarter.plan_id).update(ssl_monitoring=False, cms_versions=False)
    client = Client.objects.select_related("plan", "agency").get(pk=client_with_a_quarter.pk)
    plain = quarterly_review(client, 2026, 4, NOW)
    assert plain.watch == ()
    assert not {"certificate_renewed_by_hand", "certificate_expires_next_quarter"} & {
        r.rule for r in plain.recommendations
    }
