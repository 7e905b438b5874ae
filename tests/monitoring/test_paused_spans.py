"""Pausing is a span: stored when it begins and ends, and subtracted from the monitored time of
every report, page and API figure (DESIGN.md §5), never counted as up or down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from veilleur.accounts.models import Agency
from veilleur.clients.models import Client, Site
from veilleur.domain.accounting import Period
from veilleur.history.accounting import site_account
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import Monitor, PausedSpan, set_paused
from veilleur.plans.models import Plan

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 2, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def monitor(agency: Agency) -> Monitor:
    plan = Plan.objects.get(agency=agency, key="premium")
    client = Client.objects.create(agency=agency, key="boulangerie", name="Boulangerie", plan=plan)
    site = Site.objects.create(client=client, key="www", name="Site", url="https://boulangerie.example")
    return Monitor.objects.create(site=site, key="home", url="https://boulangerie.example/", created_at=DAY)


def _spans(monitor: Monitor) -> list[tuple[datetime, datetime | None]]:
    return list(monitor.pauses.order_by("started_at").values_list("started_at", "ended_at"))


def test_pausing_and_resuming_through_save_records_one_span(monitor: Monitor) -> None:
    before = timezone.now()
    monitor.paused = True
    monitor.save()
    monitor.save()  # saving again while paused is not a second pause
    assert [end for _start, end in _spans(monitor)] == [None]

    fresh = Monitor.objects.get(pk=monitor.pk)
    fresh.paused = False
    fresh.save()
    [(started, ended)] = _spans(monitor)
    assert before <= started <= ended <= timezone.now()


def test_a_monitor_created_paused_starts_its_pause_at_once(monitor: Monitor) -> None:
    other = Monitor.objects.create(
        site=monitor.site, key="shop", url="https://boulangerie.example/shop", paused=True
    )
    assert [end for _start, end in _spans(other)] == [None]
    assert _spans(monitor) == []


def test_bulk_pause_counts_and_records_only_the_monitors_it_changed(monitor: Monitor) -> None:
    other = Monitor.objects.create(site=monitor.site, key="shop", url="https://boulangerie.example/shop")
    set_paused([monitor.pk], True)

    assert set_paused([monitor.pk, other.pk], True) == 1
    assert PausedSpan.objects.filter(ended_at__isnull=True).count() == 2
    assert set_paused([monitor.pk, other.pk], False) == 2
    assert PausedSpan.objects.filter(ended_at__isnull=True).count() == 0
    assert set_paused([monitor.pk], False) == 0


def test_a_paused_hour_is_not_monitored_time(monitor: Monitor) -> None:
    PausedSpan.objects.create(monitor=monitor, started_at=DAY + 2 * HOUR, ended_at=DAY + 3 * HOUR)

    account = site_account(monitor.site, Period(DAY, DAY + 10 * HOUR), DAY + 10 * HOUR)

    assert account.monitored == 9 * HOUR
    assert account.downtime == timedelta(0)
    assert account.coverage == pytest.approx(0.9)


def test_a_pause_still_running_is_excluded_up_to_now(monitor: Monitor) -> None:
    PausedSpan.objects.create(monitor=monitor, started_at=DAY + 6 * HOUR)

    account = site_account(monitor.site, Period(DAY, DAY + 24 * HOUR), DAY + 10 * HOUR)

    assert account.monitored == 6 * HOUR
    assert account.elapsed == 10 * HOUR


def test_an_outage_stops_counting_while_the_monitor_is_paused(monitor: Monitor) -> None:
    Incident.objects.create(
        monitor=monitor,
        first_failed_at=DAY + HOUR,
        confirmed_at=DAY + HOUR + timedelta(minutes=1),
        recovered_at=DAY + 4 * HOUR,
        resolved_at=DAY + 4 * HOUR,
        cause_error_class="refused",
    )
    PausedSpan.objects.create(monitor=monitor, started_at=DAY + 2 * HOUR, ended_at=DAY + 3 * HOUR)

    account = site_account(monitor.site, Period(DAY, DAY + 10 * HOUR), DAY + 10 * HOUR)

    assert account.downtime == 2 * HOUR  # 01:00–02:00 and 03:00–04:00; the paused hour is not counted
    assert account.monitored == 9 * HOUR
