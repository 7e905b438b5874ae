"""Two clients of one agency, each with a status page, and a third client of another agency.

The "bakery" page shows two sites; the "florist" client's site and incidents must never appear
on it (nor the other agency's).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from veilleur.accounts.models import Agency
from veilleur.clients.models import Client, Site
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import Monitor
from veilleur.plans.models import Plan
from veilleur.statuspages.models import StatusComponent, StatusPage, bump_pages_of_clients


@dataclass
class PageWorld:
    page: StatusPage
    shop: Site
    blog: Site
    shop_monitor: Monitor
    blog_monitor: Monitor
    other_page: StatusPage
    other_site: Site
    other_monitor: Monitor


def make_client_with_page(
    agency: Agency, key: str, name: str, sites: list[tuple[str, str]], *, plan: str = "standard"
) -> tuple[StatusPage, list[Site], list[Monitor]]:
    client = Client.objects.create(
        agency=agency, key=key, name=name, plan=Plan.objects.get(agency=agency, key=plan), language="en"
    )
    page = StatusPage.objects.create(client=client, slug=key, title=f"{name} status", language="en")
    made_sites, monitors = [], []
    for position, (site_key, site_name) in enumerate(sites):
        site = Site.objects.create(
            client=client, key=site_key, name=site_name, url=f"https://{site_key}.example"
        )
        monitor = Monitor.objects.create(site=site, key="home", url=f"https://{site_key}.example/")
        # Monitored for the whole 90 days the page shows.
        Monitor.objects.filter(pk=monitor.pk).update(created_at=timezone.now() - timedelta(days=120))
        monitor.refresh_from_db()
        StatusComponent.objects.create(
            page=page, site=site, public_name=f"{site_name} (public)", position=position
        )
        made_sites.append(site)
        monitors.append(monitor)
    return page, made_sites, monitors


@pytest.fixture
def world(agency: Agency, make_agency: Callable[..., Agency]) -> PageWorld:
    page, (shop, blog), (shop_monitor, blog_monitor) = make_client_with_page(
        agency, "bakery", "Bakery", [("shop", "Web shop"), ("blog", "Bakery blog")]
    )
    other_page, (other_site,), (other_monitor,) = make_client_with_page(
        agency, "florist", "Florist", [("flowers", "Flower catalogue")]
    )
    return PageWorld(page, shop, blog, shop_monitor, blog_monitor, other_page, other_site, other_monitor)


@pytest.fixture(autouse=True)
def empty_page_cache() -> None:
    """Each test starts with no cached rendering (test databases reuse ids and versions)."""
    cache.clear()


def open_incident(monitor: Monitor, started: datetime, *, recovered: datetime | None = None) -> Incident:
    """An incident as the checker records it: with the page's version bumped in the same step."""
    incident = Incident.objects.create(
        monitor=monitor,
        first_failed_at=started,
        confirmed_at=started + timedelta(seconds=30),
        recovered_at=recovered,
        resolved_at=recovered + timedelta(seconds=30) if recovered else None,
        cause_error_class="http_status",
        cause_status_code=503,
        cause_message="internal detail that stays private",
    )
    bump_pages_of_clients([monitor.site.client_id])
    return incident
