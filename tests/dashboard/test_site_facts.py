"""Software and domain on the client and site pages (next to the maintenance log) and the
overview's domain column: facts the worker recorded, escaped, and only where the plan has them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from tests.dashboard.conftest import World, build_world
from veilleur.accounts.models import StaffUser
from veilleur.cms.models import SoftwareChange, SoftwareCheck
from veilleur.domains.models import DomainRegistration

pytestmark = pytest.mark.django_db


@pytest.fixture
def premium(world: World) -> World:
    return build_world(world.agency, plan_key="premium", key="cabinet")


def seen(
    world: World, product: str, version: str, when: datetime, before: tuple[str, str] = ("", "")
) -> None:
    SoftwareCheck.objects.update_or_create(
        site=world.site,
        defaults={"agency": world.agency, "checked_at": when, "product": product, "version": version},
    )
    SoftwareChange.objects.create(
        agency=world.agency,
        site=world.site,
        product=product,
        version=version,
        previous_product=before[0],
        previous_version=before[1],
        detected_at=when,
        evidence="meta generator",
    )


def test_the_site_page_shows_the_version_change_and_the_registration(
    premium: World, owner_browser: Browser
) -> None:
    seen(premium, "WordPress", "6.8.1", datetime(2026, 10, 2, 9, tzinfo=UTC))
    seen(premium, "WordPress", "6.9", datetime(2026, 11, 12, 9, tzinfo=UTC), ("WordPress", "6.8.1"))
    expires = timezone.now() + timedelta(days=12, hours=2)
    DomainRegistration.objects.create(
        domain="shop.example", state="found", expires_at=expires, registrar="OVH SAS"
    )

    page = owner_browser.get(reverse("site-detail", args=[premium.site.pk])).content.decode()
    assert "Software and domain" in page
    assert "WordPress 6.9" in page
    assert "WordPress 6.8.1 → 6.9 on 12 November" in page
    assert "WordPress 6.8.1 seen on 2 October" in page
    assert "12 days" in page and 'class="soon"' in page
    assert "OVH SAS" in page
    assert page.index("Maintenance log") < page.index("Software and domain")


def test_the_client_page_shows_each_sites_latest_change(premium: World, owner_browser: Browser) -> None:
    seen(premium, "Drupal", "10", datetime(2026, 11, 3, 9, tzinfo=UTC))
    DomainRegistration.objects.create(domain="shop.example", state="not_published")
    page = owner_browser.get(reverse("client-detail", args=[premium.client.pk])).content.decode()
    assert "Drupal 10 seen on 3 November" in page
    assert "does not publish an expiry date" in page


def test_hostile_values_are_escaped(premium: World, owner_browser: Browser) -> None:
    DomainRegistration.objects.create(
        domain="shop.example",
        state="found",
        expires_at=timezone.now() + timedelta(days=300),
        registrar='<script>alert("x")</script>',
    )
    page = owner_browser.get(reverse("site-detail", args=[premium.site.pk])).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page


def test_plans_without_either_feature_show_no_section(world: World, owner_browser: Browser) -> None:
    page = owner_browser.get(reverse("site-detail", args=[world.site.pk])).content.decode()
    assert "Software and domain" not in page


def test_the_overview_shows_days_to_expiry_or_why_not(premium: World, owner_browser: Browser) -> None:
    DomainRegistration.objects.create(
        domain="shop.example", state="found", expires_at=timezone.now() + timedelta(days=45, hours=1)
    )
    page = owner_browser.get(reverse("home")).content.decode()
    assert "45 days" in page
    DomainRegistration.objects.filter(domain="shop.example").update(state="not_published", expires_at=None)
    page = owner_browser.get(reverse("home")).content.decode()
    assert "not published" in page


def test_the_french_pages_say_it_in_french(premium: World, owner: StaffUser) -> None:
    seen(premium, "WordPress", "6.9", datetime(2026, 11, 12, 9, tzinfo=UTC), ("WordPress", "6.8.1"))
    DomainRegistration.objects.create(domain="shop.example", state="not_published")
    browser = Browser(headers={"Accept-Language": "fr"})
    browser.force_login(owner)
    page = browser.get(reverse("site-detail", args=[premium.site.pk])).content.decode()
    assert "Logiciel et domaine" in page
    assert "WordPress 6.8.1 → 6.9 le 12 novembre" in page
    assert "ne publie pas de date d’expiration" in page
    overview = browser.get(reverse("home")).content.decode()
    assert "non publiée" in overview
