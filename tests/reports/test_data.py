"""The report carries exactly the accounting engine's figures for the rows in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.reports.conftest import NOW
from veilleur.clients.models import Client
from veilleur.domain.accounting import (
    IncidentKind,
    IncidentRecord,
    MonitorHistory,
    Period,
    account_period,
    account_site,
    daily_breakdown,
)
from veilleur.domain.sla import SlaOutcome
from veilleur.reports.data import monthly_report

PARIS = ZoneInfo("Europe/Paris")


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.django_db
def test_figures_equal_the_engine_on_the_same_facts(client_with_history: Client) -> None:
    report = monthly_report(client_with_history, 2026, 10, NOW)

    period = Period.month(2026, 10, PARIS)
    expected = account_period(
        period,
        MonitorHistory(
            created_at=_utc(2026, 9, 1),
            maintenance=[(_utc(2026, 10, 20, 20), _utc(2026, 10, 20, 21))],  # 22:00 in Paris (CEST)
            no_data_gaps=[(_utc(2026, 10, 25, 3), _utc(2026, 10, 25, 5))],
            incidents=[
                IncidentRecord(
                    IncidentKind.DOWN,
                    _utc(2026, 10, 5, 10),
                    _utc(2026, 10, 5, 10, 1),
                    acknowledged_at=_utc(2026, 10, 5, 10, 9),
                    recovered_at=_utc(2026, 10, 5, 10, 45),
                    sla_due_at=_utc(2026, 10, 5, 10, 31),
                ),
                IncidentRecord(
                    IncidentKind.DEGRADED,
                    _utc(2026, 10, 12, 14),
                    _utc(2026, 10, 12, 14, 2),
                    recovered_at=_utc(2026, 10, 12, 14, 20),
                    sla_due_at=_utc(2026, 10, 12, 14, 32),
                ),
            ],
        ),
        NOW,
        uptime_target_percent=Decimal("99.9"),
        credit_steps=client_with_history.plan.credit_steps(),
    )
    (site,) = report.sites
    (monitor,) = site.monitors
    account = monitor.account
    assert account.monitored == expected.monitored
    assert account.monitored == period.length - timedelta(hours=3)
    assert account.downtime == expected.downtime == timedelta(minutes=45)
    assert account.uptime_percent == expected.uptime_percent
    assert account.coverage_percent == expected.coverage_percent
    assert account.service_credit_percent == expected.service_credit_percent
    assert account.sla_outcomes == expected.sla_outcomes == (SlaOutcome.MET, SlaOutcome.MET_RECOVERED)
    assert [(d.day, d.uptime_percent) for d in monitor.days] == [
        (d.day, d.uptime_percent) for d in daily_breakdown(expected, PARIS)
    ]
    assert len(monitor.days) == 31
    site_expected = account_site(period, NOW, [expected])
    assert (site.combined.monitored, site.combined.downtime, site.combined.uptime_percent) == (
        site_expected.monitored,
        site_expected.downtime,
        site_expected.uptime_percent,
    )
    assert site.combined.downtime_intervals == site_expected.downtime_intervals
    assert report.combined.uptime_percent == expected.uptime_percent
    assert site.service_credit_percent == expected.service_credit_percent

    # Every timestamp of the incident table, and the month's other listings.
    first = site.incidents[0]
    assert first.notified_at == _utc(2026, 10, 5, 10, 1, 30)
    assert first.first_client_update_at == _utc(2026, 10, 5, 10, 20)
    assert first.resolved_at == _utc(2026, 10, 5, 11)
    assert first.acknowledged_by == "Camille"
    assert first.duration == timedelta(minutes=45)
    assert [w.start for w in site.windows] == [_utc(2026, 10, 20, 20)]
    assert [t.description for t in report.tasks] == ["Sauvegarde hors site vérifiée", "WordPress 6.8 → 6.9"]
    assert [t.description for t in site.tasks] == ["WordPress 6.8 → 6.9"]

    # Checks and response times come from the rollups: one check every 30 minutes.
    assert (
        report.checks == sum(day.checks for day in monitor.daily_latency) == 745 * 2
    )  # October 2026 lasts 745 hours in Paris
    assert report.latency.median_ms is not None and 150 <= report.latency.median_ms <= 560
    assert report.latency.apdex is not None and 0.5 < report.latency.apdex <= 1
    assert len(monitor.daily_latency) == 31
    assert report.incidents_handled == 2


@pytest.mark.django_db
def test_queries_do_not_grow_with_the_days(client_with_history: Client) -> None:
    with CaptureQueriesContext(connection) as queries:
        monthly_report(client_with_history, 2026, 10, NOW)
    assert len(queries) < 25


@pytest.mark.django_db
def test_a_month_before_the_monitor_existed_is_not_applicable(client_with_history: Client) -> None:
    report = monthly_report(client_with_history, 2026, 8, NOW)
    assert report.combined.uptime_percent is None
    assert report.sites[0].service_credit_percent is None
    assert report.sites[0].incidents == ()


@pytest.mark.django_db
def test_the_month_in_progress_decides_no_credit(client_with_history: Client) -> None:
    over = monthly_report(client_with_history, 2026, 10, NOW)
    assert not over.in_progress and over.sites[0].service_credit_percent  # a credit is due once over
    running = monthly_report(client_with_history, 2026, 10, _utc(2026, 10, 6, 12))
    assert running.in_progress and running.last_day.day == 6
    assert running.sites[0].service_credit_percent is None
    assert running.sites[0].combined.downtime == timedelta(minutes=45)
