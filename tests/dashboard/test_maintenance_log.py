"""The maintenance log: one task logged for several sites at once, by any staff member, all or
nothing; and in Chromium, signed in, logged from the keyboard and then read on the site page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client as Browser
from django.urls import reverse
from playwright.sync_api import Page

from tests.browser import chromium
from tests.dashboard.conftest import World, build_world
from veilleur.accounts.models import StaffUser
from veilleur.clients.models import MaintenanceTask, Site

PASSWORD = "correct horse battery"
PHONE_WIDTH = 390


def _entry(*sites: Site, description: str = "WordPress 6.8 → 6.9, 14 plugins updated") -> dict[str, Any]:
    return {
        "date": "2026-11-20",
        "category": "cms_core",
        "description": description,
        "visible_to_client": "on",
        "sites": [site.pk for site in sites],
    }


@pytest.mark.django_db
def test_a_member_logs_one_task_for_sites_of_two_clients(world: World, member_browser: Browser) -> None:
    other = build_world(world.agency, key="cabinet")
    response = member_browser.post(reverse("maintenance-log"), _entry(world.site, other.site))
    assert response.status_code == 302
    logged = MaintenanceTask.objects.filter(description__startswith="WordPress 6.8")
    assert {(task.client_id, task.site_id) for task in logged} == {
        (world.client.pk, world.site.pk),
        (other.client.pk, other.site.pk),
    }
    assert {str(task.date) for task in logged} == {"2026-11-20"}
    page = member_browser.get(reverse("maintenance-log")).content.decode()
    assert page.count("<td>WordPress 6.8 → 6.9") == 2


@pytest.mark.django_db
def test_bad_entries_are_refused_at_their_field_and_write_nothing(
    world: World, owner_browser: Browser
) -> None:
    before = MaintenanceTask.objects.count()
    no_site = owner_browser.post(reverse("maintenance-log"), _entry(), headers={"Accept-Language": "en"})
    assert no_site.status_code == 400
    assert no_site.context["form"].errors == {"sites": ["Tick at least one site."]}
    control = owner_browser.post(
        reverse("maintenance-log"),
        _entry(world.site, description="bell\x07"),
        headers={"Accept-Language": "en"},
    )
    assert control.status_code == 400
    assert list(control.context["form"].errors) == ["description"]
    assert MaintenanceTask.objects.count() == before


@pytest.fixture
def desktop(chromium_path: str) -> Iterator[Page]:
    with chromium(chromium_path) as browser:
        yield browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_log_a_task_for_two_sites_and_read_it_on_the_site_page(
    desktop: Page, live_server: Any, owner: StaffUser, agency: Any
) -> None:
    world = build_world(agency)
    second = Site.objects.create(
        agency=agency, client=world.client, key="blog", name="Blog", url="https://blog.example"
    )
    owner.set_password(PASSWORD)
    owner.save()
    base = str(live_server.url)
    page = desktop
    page.goto(f"{base}/login/")
    page.fill("#id_username", owner.email)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/maintenance/")
    page.fill("#id_description", "WordPress 6.8 → 6.9, 14 plugins updated")
    for site in (world.site, second):  # ticked from the keyboard
        page.locator(f"input[name=sites][value='{site.pk}']").focus()
        page.keyboard.press("Space")
    page.locator("form.edit button[type=submit]").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/maintenance/")
    assert page.locator("[role=status]").inner_text().startswith("Logged for 2 sites: WordPress 6.8 → 6.9")

    for site in (world.site, second):
        page.goto(f"{base}/sites/{site.pk}/")
        assert (
            page.locator("section[aria-labelledby=log-title]").get_by_text("WordPress 6.8 → 6.9").count() == 1
        )

    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    for path in ("/maintenance/", f"/sites/{second.pk}/", f"/clients/{world.client.pk}/", "/clients/"):
        page.goto(base + path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width == PHONE_WIDTH, f"{path} is {width} px wide on a phone"
