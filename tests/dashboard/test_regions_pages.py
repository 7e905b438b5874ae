"""Checkers in several regions on the staff pages: the site page's per-region table, partial
outages on the overview, the incident list and the incident page — and nothing new with one
region. In Chromium: axe-core, the phone's width and the Nu Html Checker on the pages changed,
French and English, desktop and phone (screenshots kept when VEILLEUR_SHOTS_DIR is set)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as Browser
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from tests.browser import chromium
from tests.dashboard.conftest import World, build_world
from veilleur.accounts.models import Agency, StaffUser
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import CheckerHeartbeat, CheckResult, MonitorRuntime

SHOTS = os.environ.get("VEILLEUR_SHOTS_DIR", "")


def two_regions(world: World) -> Incident:
    """The last hours checked from eu-west (fast, fine) and ap-south (slow, failing lately), with
    the partial outage from ap-south still open."""
    now = timezone.now()
    rows = []
    for n in range(60):
        at = now - timedelta(minutes=2 * n + 1)
        rows.append(
            CheckResult(monitor=world.monitor, checked_at=at, ok=True, total_ms=120 + n, region="eu-west")
        )
        failing = n < 10
        rows.append(
            CheckResult(
                monitor=world.monitor,
                checked_at=at + timedelta(seconds=30),
                ok=not failing,
                error_class="timeout" if failing else "",
                total_ms=None if failing else 640 + 3 * n,
                region="ap-south",
            )
        )
    CheckResult.objects.bulk_create(rows)
    for region in ("eu-west", "ap-south"):
        CheckerHeartbeat.objects.create(owner=f"{region}:1", region=region, last_seen=now)
    MonitorRuntime.objects.create(
        monitor=world.monitor,
        due_at=now + timedelta(seconds=30),
        next_slot_at=now + timedelta(seconds=30),
        last_checked_at=now - timedelta(seconds=30),
        last_ok=True,
        last_total_ms=121,
        partial_regions=",ap-south,",
    )
    started = now - timedelta(minutes=20)
    proof = [
        {
            "at": (started + timedelta(seconds=s)).isoformat(),
            "ok": ok,
            "region": region,
            "round": True,
            "error_class": "" if ok else "timeout",
            "status_code": None,
            "message": "" if ok else "no answer in 10 s",
            "total_ms": 130 if ok else None,
        }
        for s, ok, region in (
            (0, False, "ap-south"),
            (3, True, "eu-west"),
            (6, False, "ap-south"),
            (9, False, "ap-south"),
        )
    ]
    return Incident.objects.create(
        monitor=world.monitor,
        kind=Incident.Kind.PARTIAL,
        first_failed_at=started,
        confirmed_at=started + timedelta(seconds=10),
        cause_error_class="timeout",
        cause_message="no answer in 10 s",
        regions="ap-south",
        proof=proof,
    )


@pytest.mark.django_db
def test_the_site_page_shows_each_regions_figures_and_the_partial_outage(
    world: World, owner_browser: Browser
) -> None:
    incident = two_regions(world)
    page = owner_browser.get(reverse("site-detail", args=[world.site.pk])).content.decode()
    assert "By region, last 24 hours" in page
    assert "eu-west" in page and "ap-south" in page
    assert "Partial outage: failing from ap-south while the other regions succeed." in page
    assert 'class="state state-partial"' in page
    overview = owner_browser.get(reverse("home")).content.decode()
    assert "state-partial" in overview
    listed = owner_browser.get(reverse("incident-list")).content.decode()
    assert "partial outage, not down" in listed
    detail = owner_browser.get(reverse("incident-detail", args=[incident.pk])).content.decode()
    assert "Failing regions" in detail and "ap-south" in detail
    assert "Partial outage confirmed (failing from ap-south): incident opened" in detail
    assert "(region eu-west)" in detail


@pytest.mark.django_db
def test_one_region_shows_nothing_new(world: World, owner_browser: Browser) -> None:
    CheckResult.objects.create(monitor=world.monitor, checked_at=timezone.now(), ok=True, total_ms=90)
    CheckerHeartbeat.objects.create(owner="solo:1", region="", last_seen=timezone.now())
    page = owner_browser.get(reverse("site-detail", args=[world.site.pk])).content.decode()
    assert "By region" not in page
    overview = owner_browser.get(reverse("home")).content.decode()
    assert "partial" not in overview.lower()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_pages_in_chromium_pass_the_validators(
    chromium_path: str, live_server: Any, agency: Agency, owner: StaffUser, tmp_path: Path
) -> None:
    from tests.gate.validators import PHONE_WIDTH, axe_findings, missing_tools, vnu_findings, width_findings

    if missing_tools():
        pytest.skip("; ".join(missing_tools()))
    world = build_world(agency)
    incident = two_regions(world)
    http = HttpClient()
    http.force_login(owner)
    pages = {
        "site": reverse("site-detail", args=[world.site.pk]),
        "incident": reverse("incident-detail", args=[incident.pk]),
        "overview": reverse("home"),
    }
    findings = []
    documents: dict[Path, str] = {}
    with chromium(chromium_path) as browser:
        for language, locale in (("fr", "fr-FR"), ("en", "en-GB")):
            for width, device in ((1280, "desktop"), (PHONE_WIDTH, "phone")):
                context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
                context.add_cookies(
                    [
                        {
                            "name": "sessionid",
                            "value": http.cookies["sessionid"].value,
                            "url": str(live_server.url),
                        }
                    ]
                )
                page = context.new_page()
                for name, path in pages.items():
                    response = page.goto(f"{live_server.url}{path}")
                    assert response is not None and response.status == 200, path
                    where = f"{path} {language} {device}"
                    findings += axe_findings(page, where)
                    if width == PHONE_WIDTH:
                        findings += width_findings(page, where)
                    else:
                        document = tmp_path / f"{name}-{language}.html"
                        document.write_text(page.content(), encoding="utf-8")
                        documents[document] = where
                    if SHOTS:
                        Path(SHOTS).mkdir(parents=True, exist_ok=True)
                        page.screenshot(path=f"{SHOTS}/{name}-{language}-{device}.png", full_page=True)
                context.close()
    findings += vnu_findings(documents)
    assert not findings, "\n".join(str(finding) for finding in findings)
