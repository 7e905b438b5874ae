"""The portal's site page: the software the site runs and its changes, and the domain's
registration, in the client's words and zone, only where the plan includes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.portal.conftest import World, signed_in
from veilleur.cms.models import SoftwareChange, SoftwareCheck
from veilleur.domains.models import DomainRegistration
from veilleur.plans.models import Plan

pytestmark = pytest.mark.django_db


def premium(world: World) -> None:
    client = world.clients[0].client
    client.plan = Plan.objects.get(agency=client.agency, key="premium")
    client.time_zone = "Pacific/Auckland"
    client.save()


def test_the_client_reads_its_software_and_its_domain(world: World) -> None:
    premium(world)
    mine = world.clients[0]
    SoftwareCheck.objects.create(
        agency=mine.client.agency, site=mine.site, product="WordPress", version="6.9"
    )
    SoftwareChange.objects.create(
        agency=mine.client.agency,
        site=mine.site,
        product="WordPress",
        version="6.9",
        previous_product="WordPress",
        previous_version="6.8.1",
        # Still the 11th in Paris, already the 12th in Auckland: the client's zone decides.
        detected_at=datetime(2026, 11, 11, 20, 0, tzinfo=UTC),
        evidence="meta generator",
    )
    DomainRegistration.objects.create(
        domain="bakery.example", state="found", expires_at=timezone.now() + timedelta(days=200)
    )
    page = signed_in(world.user_a).get(reverse("portal-site", args=[mine.site.pk])).content.decode()
    assert "Your site runs WordPress 6.9" in page
    assert "WordPress 6.8.1 → 6.9 on 12 November" in page
    assert "Your domain name bakery.example is registered until" in page


def test_without_the_features_nothing_is_said(world: World) -> None:
    mine = world.clients[0]
    DomainRegistration.objects.create(domain="bakery.example", state="not_published")
    page = signed_in(world.user_a).get(reverse("portal-site", args=[mine.site.pk])).content.decode()
    assert "Software and domain name" not in page
    assert "registry" not in page


def test_another_clients_site_is_a_404(world: World) -> None:
    premium(world)
    response = signed_in(world.user_a).get(reverse("portal-site", args=[world.clients[1].site.pk]))
    assert response.status_code == 404
