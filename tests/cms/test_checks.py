"""The worker looks at each site's home page once a day and records each change once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from tests.cms.cms_site import CmsSite
from veilleur.accounts.models import Agency
from veilleur.clients.models import Client, Site
from veilleur.cms.checks import check_software
from veilleur.cms.models import SoftwareChange, SoftwareCheck
from veilleur.plans.models import Plan

T0 = datetime(2026, 11, 12, 6, 0, tzinfo=UTC)
DAY = timedelta(days=1)
allow_private = override_settings(VEILLEUR_ALLOW_PRIVATE_TARGETS=True)


@pytest.fixture
def web() -> Iterator[CmsSite]:
    server = CmsSite()
    yield server
    server.stop()


def add_site(agency: Agency, url: str, plan: str = "premium") -> Site:
    client = Client.objects.create(
        agency=agency,
        key=f"client-{plan}",
        name="Boulangerie Martin",
        plan=Plan.objects.get(agency=agency, key=plan),
    )
    return Site.objects.create(client=client, key="www", name="Boutique", url=url)


def changes(site: Site) -> list[tuple[str, str, str, str]]:
    return [
        (row.previous_product, row.previous_version, row.product, row.version)
        for row in SoftwareChange.objects.filter(site=site).order_by("detected_at")
    ]


@allow_private
@pytest.mark.django_db
def test_a_version_change_between_two_days_is_recorded_once(agency: Agency, web: CmsSite) -> None:
    site = add_site(agency, web.url)
    web.shows("WordPress 6.8.1")
    assert check_software(T0).changed == [site.pk]
    web.shows("WordPress 6.9")
    check_software(T0 + timedelta(hours=12))  # not due: the site is looked at once a day
    assert web.hits == ["/"]
    assert check_software(T0 + DAY).changed == [site.pk]
    check_software(T0 + 2 * DAY)
    assert changes(site) == [("", "", "WordPress", "6.8.1"), ("WordPress", "6.8.1", "WordPress", "6.9")]
    last = SoftwareChange.objects.filter(site=site).first()
    assert last is not None and last.detected_at == T0 + DAY and last.evidence == "meta generator"
    check = SoftwareCheck.objects.get(site=site)
    assert (check.product, check.version, check.checked_at) == ("WordPress", "6.9", T0 + 2 * DAY)
    assert len(web.hits) == 3


@allow_private
@pytest.mark.django_db
def test_headers_name_the_cms_and_a_hidden_version_is_not_a_change(agency: Agency, web: CmsSite) -> None:
    site = add_site(agency, web.url)
    web.shows(headers=[("X-Generator", "Drupal 10 (https://www.drupal.org)")])
    check_software(T0)
    web.shows(headers=[("X-Drupal-Cache", "HIT")])
    assert not check_software(T0 + DAY).changed
    assert changes(site) == [("", "", "Drupal", "10")]
    assert SoftwareCheck.objects.get(site=site).version == "10"


@allow_private
@pytest.mark.django_db
def test_a_new_cms_is_a_change(agency: Agency, web: CmsSite) -> None:
    site = add_site(agency, web.url)
    web.shows("Joomla! - Open Source Content Management")
    check_software(T0)
    web.shows(headers=[("X-ShopId", "88")])
    check_software(T0 + DAY)
    assert changes(site) == [("", "", "Joomla", ""), ("Joomla", "", "Shopify", "")]


@allow_private
@pytest.mark.django_db
def test_only_plans_with_cms_versions_are_looked_at(agency: Agency, web: CmsSite) -> None:
    add_site(agency, web.url, plan="standard")
    assert not check_software(T0)
    assert web.hits == []


@allow_private
@pytest.mark.django_db
def test_a_site_that_cannot_be_fetched_keeps_what_was_seen(agency: Agency, web: CmsSite) -> None:
    site = add_site(agency, web.url)
    web.shows("WordPress 6.8.1")
    check_software(T0)
    web.status = 503
    assert check_software(T0 + DAY).failed == [site.pk]
    check = SoftwareCheck.objects.get(site=site)
    assert (check.product, check.version) == ("WordPress", "6.8.1")
    assert "HTTP 503" in check.error
    assert check.next_check_at == T0 + 2 * DAY


@allow_private
@pytest.mark.django_db
def test_a_huge_home_page_is_read_only_as_far_as_needed(agency: Agency, web: CmsSite) -> None:
    site = add_site(agency, web.url)
    web.shows("Ghost 5.82", page="x" * (3 * 1024 * 1024))
    check_software(T0)
    assert changes(site) == [("", "", "Ghost", "5.82")]


@override_settings(VEILLEUR_ALLOW_PRIVATE_TARGETS=False)
@pytest.mark.django_db
def test_the_home_page_is_fetched_through_the_ssrf_guard(agency: Agency, web: CmsSite) -> None:
    site = add_site(agency, web.url)
    check_software(T0)
    assert web.hits == []
    assert "127.0.0.1" in SoftwareCheck.objects.get(site=site).error
