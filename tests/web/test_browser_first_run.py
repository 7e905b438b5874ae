"""The first-run path and sign-in, as a person does them in a browser (headless Chromium)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser import chromium
from veilleur.accounts.models import Agency
from veilleur.accounts.provisioning import first_run_link

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser(chromium_path: str) -> Iterator[Browser]:
    with chromium(chromium_path) as browser:
        yield browser


def test_owner_sets_password_then_signs_in(
    browser: Browser, live_server: object, agency: Agency, tmp_path: Path
) -> None:
    base = str(live_server)
    link = first_run_link(agency, base)
    assert link is not None
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="fr-FR")
    page.goto(link)
    page.fill("#id_agency_name", "Atelier Lumière")
    page.fill("#id_name", "Camille Martin")
    page.fill("#id_email", "camille@atelier.example")
    page.fill("#id_password1", "lanterne-magique-42")
    page.fill("#id_password2", "not-the-same-42")
    # The refused form comes back at the same address: wait for that answer, not for a URL change.
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.locator(".errorlist").first.is_visible()
    page.screenshot(path=str(tmp_path / "setup-error-phone.png"), full_page=True)

    page.fill("#id_password1", "lanterne-magique-42")
    page.fill("#id_password2", "lanterne-magique-42")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    assert "Atelier Lumière" in page.inner_text("header")

    page.click("text=Se déconnecter")
    page.wait_for_url(f"{base}/login/")
    page.fill("#id_username", "camille@atelier.example")
    page.fill("#id_password", "lanterne-magique-42")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=str(tmp_path / "home-desktop.png"), full_page=True)
    assert page.locator("h1").inner_text() == "Vue d’ensemble"
