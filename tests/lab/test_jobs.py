"""The lab job: one page a run for sites whose plan has performance monitoring, claimed once per
day, taken over after a crash, and a clean "not measured" where Chromium is missing."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone, translation

from tests.probes.lab_site import PAGE_REQUESTS, LabSite
from veilleur.accounts.models import Agency
from veilleur.clients.models import Client, Site
from veilleur.lab.jobs import LEASE, measure_next_site
from veilleur.lab.models import LabRun, LabStatus
from veilleur.monitoring.models import Monitor
from veilleur.plans.models import Plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def page() -> Iterator[LabSite]:
    server = LabSite()
    server.start()
    yield server
    server.stop()


def make_site(agency: Agency, plan_key: str, url: str, key: str = "www") -> Site:
    plan = Plan.objects.get(agency=agency, key=plan_key)
    client, _ = Client.objects.get_or_create(
        agency=agency, key=f"client-{plan_key}", defaults={"name": f"Client {plan_key}", "plan": plan}
    )
    site = Site.objects.create(client=client, key=key, name=f"Site {key}", url=url)
    Monitor.objects.create(site=site, key="home", url=url)
    return site


def test_sites_with_performance_monitoring_are_measured_once_a_day(
    agency: Agency, page: LabSite, chromium_path: str
) -> None:
    premium = make_site(agency, "premium", page.url)
    make_site(agency, "basic", page.url, key="basic")  # its plan has no performance monitoring
    now = timezone.now()
    with override_settings(VEILLEUR_CHROMIUM_PATH=chromium_path):
        outcome = measure_next_site(now)
        assert outcome is not None and outcome.site_id == premium.pk and not outcome.unfinished
        assert measure_next_site(now + timedelta(minutes=1)) is None  # done for today
    run = LabRun.objects.get()
    assert (run.site, run.day, run.status, run.error) == (premium, now.date(), LabStatus.MEASURED, "")
    assert run.request_count == PAGE_REQUESTS
    assert run.lcp_ms is not None and run.lcp_ms > 0
    assert run.cls is not None and run.cls > 0
    assert run.transferred_bytes is not None and run.transferred_bytes > len(page.hero)
    assert run.finished_at is not None and run.finished_at >= run.started_at


def test_a_paused_site_is_not_measured(agency: Agency, page: LabSite) -> None:
    site = make_site(agency, "premium", page.url)
    Monitor.objects.filter(site=site).update(paused=True)
    with override_settings(VEILLEUR_CHROMIUM_PATH="/nowhere/chromium"):
        assert measure_next_site(timezone.now()) is None
    assert not LabRun.objects.exists()


def test_without_chromium_sites_are_marked_not_measured_with_one_log_line(
    agency: Agency, page: LabSite, caplog: pytest.LogCaptureFixture
) -> None:
    make_site(agency, "premium", page.url)
    make_site(agency, "premium", page.url, key="shop")
    now = timezone.now()
    with override_settings(VEILLEUR_CHROMIUM_PATH="/nowhere/chromium"), caplog.at_level(logging.INFO):
        outcome = measure_next_site(now)
        assert outcome is not None and not outcome.unfinished
        assert measure_next_site(now + timedelta(minutes=1)) is None
    runs = list(LabRun.objects.all())
    assert [run.status for run in runs] == [LabStatus.NO_BROWSER] * 2
    assert all("Chromium is not installed at /nowhere/chromium" in run.error for run in runs)
    lines = [r for r in caplog.records if r.name == "veilleur.lab"]
    assert len(lines) == 1 and "2 site(s)" in lines[0].getMessage()
    assert page.requests == []
    with translation.override("en"):
        assert str(LabStatus.NO_BROWSER.label) == "not measured: Chromium not installed"


def test_a_claim_left_by_a_crashed_worker_is_taken_over_after_its_lease(
    agency: Agency, page: LabSite, chromium_path: str
) -> None:
    site = make_site(agency, "premium", page.url)
    now = timezone.now()
    LabRun.objects.create(
        site=site, day=now.date(), started_at=now - LEASE + timedelta(minutes=1), url=site.url
    )
    with override_settings(VEILLEUR_CHROMIUM_PATH=chromium_path):
        assert measure_next_site(now) is None  # still held by the other worker
        outcome = measure_next_site(now + timedelta(minutes=2))
    assert outcome is not None and outcome.site_id == site.pk
    assert LabRun.objects.get().status == LabStatus.MEASURED


def test_an_unreachable_page_is_recorded_as_failed(agency: Agency, chromium_path: str) -> None:
    make_site(agency, "premium", "http://127.0.0.1:9/")  # discard port: nothing listens
    with override_settings(VEILLEUR_CHROMIUM_PATH=chromium_path):
        measure_next_site(timezone.now())
    run = LabRun.objects.get()
    assert run.status == LabStatus.FAILED
    assert run.error.startswith("the page could not be loaded")
    assert run.lcp_ms is None
