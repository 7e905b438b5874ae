"""The Content-Security-Policies in a real browser (headless Chromium): the pages still work
under them — the status page's script and brand colours, the sign-in page, the admin, the API
reference page — and Chromium reports no violation; a badge with a hostile name runs nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client as HttpClient
from django.utils import timezone
from playwright.sync_api import Browser, ConsoleMessage, Page

from tests.browser import chromium
from tests.statuspages.conftest import make_client_with_page, open_incident
from veilleur.accounts.models import Agency, StaffUser
from veilleur.monitoring.models import Monitor
from veilleur.statuspages.models import StatusPage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser(chromium_path: str) -> Iterator[Browser]:
    with chromium(chromium_path) as browser:
        yield browser


@pytest.fixture
def page_of_bakery(agency: Agency) -> StatusPage:
    cache.clear()
    page, _sites, _monitors = make_client_with_page(agency, "bakery", "Bakery", [("shop", "Web shop")])
    page.primary_color = "#7c2d12"
    page.save()
    return page


class Violations:
    """What Chromium says about the Content-Security-Policy while a page loads and is used."""

    def __init__(self, page: Page) -> None:
        self.messages: list[str] = []
        page.on("console", self._heard)

    def _heard(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.messages.append(message.text)


def open_page(browser: Browser, url: str) -> tuple[Page, Violations]:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
    violations = Violations(page)
    response = page.goto(url)
    assert response is not None and response.status < 500, url
    page.wait_for_load_state("networkidle")
    return page, violations


def test_status_page_brand_colours_and_day_strips_work(
    browser: Browser, live_server: Any, page_of_bakery: StatusPage
) -> None:
    page, violations = open_page(browser, f"{live_server.url}/s/bakery/")
    brand = page.evaluate("() => getComputedStyle(document.documentElement).getPropertyValue('--brand')")
    assert brand.strip() == "#7c2d12"  # the inline <style> with the page's colours applied
    strip = page.locator("a.strip svg").first
    assert strip.bounding_box() is not None  # the 90 days drawn, as an inline SVG the policy allows
    page.locator("a.strip").first.click()  # the strip leads to the component's days
    page.wait_for_selector("#days-heading")
    assert "/components/" in page.url
    assert violations.messages == []


@pytest.mark.parametrize("path", ["/login/", "/admin/login/", "/api/v1/docs"])
def test_application_pages_load_without_violations(
    browser: Browser, live_server: Any, agency: Agency, path: str
) -> None:
    page, violations = open_page(browser, f"{live_server.url}{path}")
    if path == "/api/v1/docs":  # drawn by the Swagger UI script, from the API's schema
        page.wait_for_selector(".swagger-ui .info .title")
    assert violations.messages == []


def test_a_badge_opened_in_the_browser_runs_nothing(
    browser: Browser, live_server: Any, page_of_bakery: StatusPage
) -> None:
    StatusPage.objects.filter(pk=page_of_bakery.pk).update(
        title="x\" onload=\"document.title='ran'\" y=\"<script>document.title='ran'</script>"
    )
    cache.clear()
    page, _violations = open_page(browser, f"{live_server.url}/s/bakery/badge/status.svg")
    assert page.title() != "ran"
    assert page.evaluate("() => document.documentElement.getAttribute('onload')") is None


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/incidents/",
        "/incidents/{incident}/",
        "/admin/",
        "/admin/statuspages/statuspage/add/",
        "/admin/statuspages/statuspage/{page}/change/",
    ],
)
def test_signed_in_staff_pages_work_without_violations(
    browser: Browser, live_server: Any, owner: StaffUser, page_of_bakery: StatusPage, path: str
) -> None:
    monitor = Monitor.objects.filter(site__client=page_of_bakery.client).get()
    incident = open_incident(monitor, timezone.now() - timedelta(minutes=10))
    http = HttpClient()
    http.force_login(owner)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.add_cookies(
        [{"name": "sessionid", "value": http.cookies["sessionid"].value, "url": str(live_server.url)}]
    )
    page = context.new_page()
    violations = Violations(page)
    url = f"{live_server.url}{path.format(incident=incident.pk, page=page_of_bakery.pk)}"
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    assert "/login/" not in page.url
    page.wait_for_load_state("networkidle")
    assert violations.messages == []
    context.close()
