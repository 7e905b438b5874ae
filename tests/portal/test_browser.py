"""The portal in headless Chromium: the invitation mail (real SMTP sink) → choosing a password →
the overview → last month's PDF → a real loopback site going down shows on the overview; the
magic-link sign-in; every page at desktop and phone widths, in English and French, with
screenshots kept for a person to look at."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, ViewportSize

from tests.browser import chromium
from tests.checker.test_runner import run_checker_until
from tests.notifications.mailsink import MailSink
from tests.targets import Target
from veilleur.accounts.models import Agency
from veilleur.clients.models import Client, Contact, MaintenanceTask, Site
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import Monitor
from veilleur.plans.models import Plan
from veilleur.portal.mail import send_invitation
from veilleur.portal.staff import invite
from veilleur.reports.models import Report
from veilleur.reports.sending import generate_report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = ViewportSize(width=1280, height=900)
PHONE = ViewportSize(width=390, height=844)
PASSWORD = "a long portal password"
SHOTS = Path(os.environ.get("VEILLEUR_SHOTS_DIR", "/tmp/veilleur-shots/portal"))


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Browser]:
    with chromium(chromium_path) as browser:
        yield browser


def link_in(sink: MailSink, address: str) -> str:
    body = sink.to(address)[-1].message.get_body(("plain",))
    assert body is not None
    found = re.search(r"http://\S+/portal/\S+", body.get_content())
    assert found, body.get_content()
    return found.group(0)


def no_horizontal_overflow(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def check_until(condition: Callable[[], bool]) -> None:
    """The checker, on a thread of its own: Playwright's event loop runs on this one."""
    thread = threading.Thread(target=run_checker_until, args=(condition,))
    thread.start()
    thread.join()
    assert condition()


def last_month(now: Any) -> tuple[int, int]:
    first = now.date().replace(day=1) - timedelta(days=1)
    return first.year, first.month


def test_invitation_to_overview_pdf_and_a_site_going_down(
    browser: Browser, live_server: Any, sink: MailSink, target: Target, agency: Agency
) -> None:
    agency.base_url = str(live_server.url)
    agency.save()
    client = Client.objects.create(
        agency=agency,
        key="bakery",
        name="Bakery",
        plan=Plan.objects.get(agency=agency, key="standard"),
        language="en",
    )
    site = Site.objects.create(
        client=client, key="shop", name="Web shop", url=f"http://127.0.0.1:{target.port}/"
    )
    monitor = Monitor.objects.create(
        site=site, key="home", url=site.url, interval_seconds=1, timeout_seconds=2
    )
    Contact.objects.create(client=client, email="boss@bakery.example", name="Boss")
    MaintenanceTask.objects.create(
        client=client,
        site=site,
        date=timezone.localdate(),
        category="plugin",
        description="WooCommerce 9.1 → 9.2",
    )
    year, month = last_month(timezone.now())
    report = generate_report(client, Report.Kind.MONTHLY, date(year, month, 1), timezone.now(), draft=False)
    # Published, as the client's portal shows only published reports (the mail is not the point here).
    Report.objects.filter(pk=report.pk).update(state=Report.State.PUBLISHED, published_at=timezone.now())
    check_until(lambda: Monitor.objects.filter(pk=monitor.pk, results__ok=True).exists())

    user, token = invite(client, "anna@bakery.example", "Anna")
    send_invitation(user, token)
    invitation = link_in(sink, "anna@bakery.example")

    context = browser.new_context(viewport=DESKTOP, locale="en-GB", accept_downloads=True)
    page = context.new_page()
    page.goto(invitation)
    shoot(page, "invitation-en-desktop")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/$"))
    assert "Up and running" in page.inner_text("main")
    shoot(page, "overview-en-desktop")

    page.click("nav >> text=Reports")
    with page.expect_download() as download_info:
        page.click(f"a[href='/portal/reports/{report.pk}/pdf']")
    download = download_info.value
    assert download.suggested_filename == f"report-{year}-{month:02d}-bakery.pdf"
    assert Path(download.path()).read_bytes()[:5] == b"%PDF-"

    target.healthy = False
    check_until(lambda: Incident.objects.filter(monitor=monitor).exists())
    page.goto(f"{live_server.url}/portal/")
    main = page.inner_text("main")
    assert "Down: we are on it" in main and "Happening now" in main
    shoot(page, "overview-down-en-desktop")
    context.close()

    pages = [
        "/portal/",
        f"/portal/sites/{site.pk}/",
        "/portal/reports/",
        "/portal/plan/",
        "/portal/notifications/",
    ]
    for language in ("en", "fr"):
        Client.objects.filter(pk=client.pk).update(language=language)
        for width_name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            context = browser.new_context(viewport=viewport, locale="en-GB", is_mobile=viewport == PHONE)
            page = context.new_page()
            page.goto(f"{live_server.url}/portal/sign-in/")
            page.fill("#id_username", "anna@bakery.example")
            page.fill("#id_password", PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_url(re.compile(r"/portal/$"))
            for path in pages:
                page.goto(f"{live_server.url}{path}")
                assert page.evaluate("document.documentElement.lang") == language
                assert no_horizontal_overflow(page), (language, width_name, path)
                name = path.strip("/").replace("/", "-").replace(str(site.pk), "site") or "portal"
                shoot(page, f"{name}-{language}-{width_name}")
            context.close()


def test_magic_link_sign_in(browser: Browser, live_server: Any, sink: MailSink, agency: Agency) -> None:
    agency.base_url = str(live_server.url)
    agency.save()
    client = Client.objects.create(
        agency=agency,
        key="florist",
        name="Florist",
        plan=Plan.objects.get(agency=agency, key="standard"),
        language="en",
    )
    invite(client, "flora@florist.example")
    context = browser.new_context(viewport=PHONE, locale="en-GB", is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/portal/sign-in/")
    shoot(page, "sign-in-en-phone")
    page.click("text=Sign in with a link by e-mail")
    page.fill("#id_email", "flora@florist.example")
    with page.expect_navigation():  # the answer to the form, before reading it
        page.click("button[type=submit]")
    assert "a link is on its way" in page.inner_text("main")
    page.goto(link_in(sink, "flora@florist.example"))
    shoot(page, "magic-link-en-phone")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/$"))
    assert "Your sites, Florist" in page.inner_text("h1")
    assert no_horizontal_overflow(page)
    context.close()
