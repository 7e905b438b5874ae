"""In Chromium: a real site on loopback goes down while the overview is open, and the row turns
DOWN without a reload (the real checker probing it); then the on-call person, on a 390 px phone,
ticks the open incidents and acknowledges them with one button."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from playwright.sync_api import Browser, Page, expect

from tests.browser import chromium
from tests.dashboard.conftest import add_site
from tests.targets import Target
from veilleur.accounts.models import StaffUser
from veilleur.checker.probing import HttpProber
from veilleur.checker.runner import Checker, CheckerSettings
from veilleur.clients.models import Client, Site
from veilleur.dashboard import overview_views
from veilleur.incidents.models import AckChannel, Incident
from veilleur.monitoring.models import CheckResult, Monitor
from veilleur.plans.models import Plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"
PHONE_WIDTH = 390


class CheckerThread:
    """The checker role on its own thread and event loop, probing for real, until stopped."""

    def __init__(self) -> None:
        settings = CheckerSettings(region="test", confirm_delay=timedelta(milliseconds=200), idle_sleep=0.05)
        self.checker = Checker(HttpProber(allow_private=True), settings)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.loop.run_until_complete(self.checker.run())
        finally:
            connection.close()

    def __enter__(self) -> CheckerThread:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.checker.stop)
        self.thread.join(30)
        assert not self.thread.is_alive()


@pytest.fixture
def browser(chromium_path: str) -> Iterator[Browser]:
    with chromium(chromium_path) as browser:
        yield browser


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def test_a_site_going_down_shows_without_reload_then_is_acknowledged_from_a_phone(
    browser: Browser, live_server: Any, owner: StaffUser, target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(overview_views, "REFRESH_SECONDS", 1)
    owner.set_password(PASSWORD)
    owner.save()
    base = str(live_server.url)
    client = Client.objects.create(
        agency=owner.agency,
        key="boulangerie",
        name="Boulangerie Martin",
        plan=Plan.objects.get(key="premium"),
    )
    site = Site.objects.create(
        client=client, key="shop", name="Boutique", url=f"http://127.0.0.1:{target.port}/"
    )
    monitor = Monitor.objects.create(
        site=site, key="home", url=site.url, interval_seconds=1, timeout_seconds=1
    )

    desktop = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
    sign_in(desktop, base, owner.email)
    row = desktop.locator(f"tr[data-site='{site.pk}']")
    with CheckerThread():
        expect(row.locator(".state")).to_have_text("up", timeout=20_000)
        desktop.evaluate("() => { window.notReloaded = true; }")
        target.healthy = False
        expect(row.locator(".state")).to_have_text("down", timeout=30_000)
    assert desktop.evaluate("() => window.notReloaded") is True
    # A second outage of the same morning, on a site the checker did not probe here.
    other = Incident.objects.get(monitor=add_site(owner.agency, "fleuriste", down_since=timedelta(minutes=4)))
    assert CheckResult.objects.filter(monitor=monitor, ok=False).exists()
    expect(row).to_contain_text("left")  # the response clock of the new incident

    phone = browser.new_context(
        viewport={"width": PHONE_WIDTH, "height": 844}, is_mobile=True, has_touch=True, locale="fr-FR"
    ).new_page()
    sign_in(phone, base, owner.email)
    phone.goto(f"{base}/incidents/?status=open")
    opened = Incident.objects.get(monitor=monitor)
    for incident in (opened, other):
        phone.locator(f"#pick-{incident.pk}").tap()
    button = phone.locator("#bulk-ack button[type=submit]")
    box = button.bounding_box()
    assert (
        box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH and box["height"] >= 40
    )
    with phone.expect_navigation():
        button.tap()
    expect(phone.locator("p.notice").first).to_contain_text("2")
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width == PHONE_WIDTH
    for incident in (opened, other):
        incident.refresh_from_db()
        assert incident.ack_channel == AckChannel.STAFF_PAGE and incident.acknowledged_by == owner
