"""The on-call person of a 24/7 plan on a phone (headless Chromium, 390 px, touch): the staff
home, the incident list and the incident page fit the screen, and the incident is acknowledged
with a tap."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser import chromium
from tests.incidents.test_staff_pages import make_incident
from veilleur.accounts.models import StaffUser
from veilleur.clients.models import Client, Site
from veilleur.incidents.models import AckChannel, Incident
from veilleur.monitoring.models import Monitor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 390
PASSWORD = "correct horse battery"


@pytest.fixture
def phone(chromium_path: str) -> Iterator[Page]:
    with chromium(chromium_path) as browser:
        context = browser.new_context(
            viewport={"width": PHONE_WIDTH, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="fr-FR",
        )
        yield context.new_page()


def long_named_incident(owner: StaffUser) -> Incident:
    """An open incident whose client, site and address are as long as real ones get."""
    incident = make_incident(owner.agency, "oenotheque", minutes_ago=12)
    Client.objects.filter(pk=incident.monitor.site.client_id).update(
        name="Œnothèque Rousseau & Fils — Vins, Spiritueux et Épicerie Fine"
    )
    Site.objects.filter(pk=incident.monitor.site_id).update(name="Boutique en ligne et espace professionnels")
    Monitor.objects.filter(pk=incident.monitor_id).update(
        url="https://boutique.oenotheque-rousseau-et-fils.example/mon-compte/commandes/historique?page=1"
    )
    return incident


def assert_fits_the_phone(page: Page) -> None:
    layout: dict[str, int] = page.evaluate(
        "() => ({viewport: window.innerWidth, document: document.documentElement.scrollWidth})"
    )
    assert layout == {"viewport": PHONE_WIDTH, "document": PHONE_WIDTH}, f"{page.url}: {layout}"


def test_on_call_person_acknowledges_from_a_phone(phone: Page, live_server: Any, owner: StaffUser) -> None:
    owner.set_password(PASSWORD)
    owner.save()
    incident = long_named_incident(owner)
    base = str(live_server.url)
    phone.goto(f"{base}/login/")
    assert_fits_the_phone(phone)
    phone.fill("#id_username", owner.email)
    phone.fill("#id_password", PASSWORD)
    phone.locator("main button[type=submit]").tap()
    phone.wait_for_url(f"{base}/")
    assert_fits_the_phone(phone)

    phone.goto(f"{base}/incidents/")
    assert_fits_the_phone(phone)
    phone.locator(f"a[href='/incidents/{incident.pk}/']").tap()
    phone.wait_for_url(f"{base}/incidents/{incident.pk}/")
    assert_fits_the_phone(phone)

    button = phone.locator(f"form[action='/incidents/{incident.pk}/ack'] button")
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH
    assert box["height"] >= 40, "a thumb needs a target at least 40 px high"
    with phone.expect_navigation():
        button.tap()
    assert_fits_the_phone(phone)
    incident.refresh_from_db()
    assert incident.acknowledged_at is not None
    assert incident.ack_channel == AckChannel.STAFF_PAGE
