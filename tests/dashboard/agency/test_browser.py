"""In Chromium, from the keyboard and at phone width: review a draft report, write the agency's
text, publish it (one mail per contact), and open and print the offer sheet."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page

from tests.browser import chromium
from veilleur.accounts.models import Agency
from veilleur.notifications.models import OutboxMessage
from veilleur.reports.models import Report
from veilleur.reports.sending import generate_report

from .conftest import PASSWORD, make_world, previous_month

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 390
# Set to a directory to keep screenshots of every page visited (desktop and phone, FR and EN).
SHOTS = os.environ.get("VEILLEUR_SHOTS_DIR", "")


def fits(page: Page, width: int) -> None:
    layout = page.evaluate("() => [window.innerWidth, document.documentElement.scrollWidth]")
    assert layout == [width, width], f"{page.url}: {layout}"


def shoot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_review_publish_and_offer_sheet(
    chromium_path: str, live_server: Any, make_agency: Callable[..., Agency]
) -> None:
    world = make_world(make_agency, "atelier", "Atelier Lumière")
    assert world.report.pk  # archived before the pages are opened
    base = str(live_server.url)
    with chromium(chromium_path) as browser:
        desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR").new_page()
        desk.goto(f"{base}/login/")
        desk.fill("#id_username", world.owner.email)
        desk.fill("#id_password", PASSWORD)
        desk.keyboard.press("Enter")
        desk.wait_for_url(f"{base}/")

        desk.goto(f"{base}/reports/")
        shoot(desk, "reports-fr-desktop")
        review = f"/reports/{world.report.pk}/review"
        desk.locator(f"a[href='{review}']").focus()
        with desk.expect_navigation():
            desk.keyboard.press("Enter")
        assert desk.url == f"{base}{review}"
        desk.locator("#id_intro").focus()
        desk.keyboard.type("Un mois calme.")
        desk.locator("input[name=hidden_sections][value=incidents]").focus()
        desk.keyboard.press("Space")
        save = desk.locator(f"form[action='/reports/{world.report.pk}/text'] button")
        save.focus()
        with desk.expect_navigation():
            desk.keyboard.press("Enter")
        assert "Un mois calme." in desk.frame_locator("iframe.report-preview").locator("body").inner_text()
        shoot(desk, "review-fr-desktop")
        assert not OutboxMessage.objects.exists()

        publish = desk.locator(f"form[action='/reports/{world.report.pk}/publish'] button")
        publish.focus()
        with desk.expect_navigation():
            desk.keyboard.press("Enter")
        assert desk.locator("p.notice").count() == 1
        assert OutboxMessage.objects.filter(report=world.report).count() == 1
        assert world.client.contacts.get().email in desk.locator("ul.deliveries").inner_text()
        shoot(desk, "review-published-fr-desktop")
        desk.goto(f"{base}/reports/{world.report.pk}/")
        shoot(desk, "report-published-fr-desktop")

        desk.goto(f"{base}/settings/")
        desk.fill("#id_agency-name", "Atelier Soleil")  # the preview follows without saving
        desk.locator("#brand-preview", has_text="Atelier Soleil").wait_for()
        world.agency.refresh_from_db()
        assert world.agency.name == "Atelier Lumière"

        for path, name in (("/team/", "team"), ("/settings/", "settings"), ("/plans/", "plans")):
            desk.goto(f"{base}{path}")
            shoot(desk, f"{name}-fr-desktop")
        for lang in ("fr", "en"):
            desk.goto(f"{base}/offer/?lang={lang}")
            assert desk.locator("#print-offer").is_visible()  # the script ran under the page's CSP
            shoot(desk, f"offer-{lang}-desktop")
        printed = desk.pdf(format="A4", landscape=True)
        assert printed.startswith(b"%PDF")

        phone = browser.new_context(
            viewport={"width": PHONE_WIDTH, "height": 844},
            is_mobile=True,
            has_touch=True,
            locale="en-GB",
            storage_state=desk.context.storage_state(),
        ).new_page()
        for path, name in (
            ("/reports/", "reports"),
            (f"/reports/{world.report.pk}/review", "review-published"),
            (f"/reports/{world.report.pk}/", "report-published"),
            ("/team/", "team"),
            ("/settings/", "settings"),
            ("/plans/", "plans"),
            ("/offer/?lang=en", "offer"),
        ):
            phone.goto(f"{base}{path}")
            fits(phone, PHONE_WIDTH)
            shoot(phone, f"{name}-en-phone")

        # A second draft, read and written at phone width.
        earlier = previous_month(timezone.now()) - timedelta(days=1)
        draft = generate_report(world.client, Report.Kind.MONTHLY, earlier.replace(day=1), timezone.now())
        phone.goto(f"{base}/reports/{draft.pk}/review")
        fits(phone, PHONE_WIDTH)
        phone.fill("#id_next_steps", "Update the theme.")
        with phone.expect_navigation():
            phone.locator(f"form[action='/reports/{draft.pk}/text'] button").click()
        fits(phone, PHONE_WIDTH)
        shoot(phone, "review-draft-en-phone")
        desk.goto(f"{base}/reports/{draft.pk}/review")
        shoot(desk, "review-draft-fr-desktop")
        desk.goto(f"{base}/reports/{draft.pk}/")
        shoot(desk, "report-draft-fr-desktop")
        phone.goto(f"{base}/reports/{draft.pk}/")
        shoot(phone, "report-draft-en-phone")
