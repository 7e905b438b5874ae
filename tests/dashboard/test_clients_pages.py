"""The client list, client page and site page: what they show, who may change what, and that
another agency's objects answer 404 on every page and every POST, changing nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.dashboard.conftest import World, build_world
from veilleur.clients.models import Client, Contact, MaintenanceTask, MaintenanceWindow, Site
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import Monitor
from veilleur.statuspages.models import StatusPage

pytestmark = pytest.mark.django_db


def test_client_list_searches_by_site_and_filters_by_plan(world: World, owner_browser: Browser) -> None:
    other = build_world(world.agency, plan_key="premium", key="cabinet")
    Site.objects.filter(pk=other.site.pk).update(name="Cabinet dentaire")

    page = owner_browser.get(reverse("client-list"), {"q": "dentaire"}).content.decode()
    assert other.client.name in page and world.client.name not in page

    page = owner_browser.get(reverse("client-list"), {"plan": world.client.plan_id}).content.decode()
    assert world.client.name in page and other.client.name not in page


def test_client_page_shows_plan_sites_states_and_everything_it_holds(
    world: World, owner_browser: Browser
) -> None:
    now = timezone.now()
    Incident.objects.create(
        agency=world.agency,
        monitor=world.monitor,
        first_failed_at=now - timedelta(minutes=5),
        confirmed_at=now - timedelta(minutes=4),
        cause_error_class="refused",
    )
    page = owner_browser.get(reverse("client-detail", args=[world.client.pk])).content.decode()
    assert world.client.plan.name in page
    assert "Branded status page" in page  # the Standard plan includes one; Basic would not say so
    assert "state-down" in page  # the site with an open outage
    for shown in (world.site.name, world.contact.email, world.window.title, world.task.description):
        assert shown in page
    assert page.count("<rect") >= 90  # the 90 day bars
    assert reverse("site-detail", args=[world.site.pk]) in page
    assert reverse("client-edit", args=[world.client.pk]) in page


def test_site_page_draws_the_response_time_chart_per_hour_and_per_day(
    world: World, owner_browser: Browser
) -> None:
    Monitor.objects.filter(pk=world.monitor.pk).update(paused=True)
    hourly = owner_browser.get(reverse("site-detail", args=[world.site.pk]), {"range": "24h"})
    daily = owner_browser.get(reverse("site-detail", args=[world.site.pk]), {"range": "90d"})
    assert hourly.status_code == daily.status_code == 200
    assert 'class="latency"' in hourly.content.decode()
    assert "state-paused" in hourly.content.decode()
    assert 'aria-current="page">90' in daily.content.decode()


def test_members_read_but_do_not_change(world: World, member_browser: Browser) -> None:
    page = member_browser.get(reverse("client-detail", args=[world.client.pk])).content.decode()
    assert world.site.name in page
    assert reverse("client-edit", args=[world.client.pk]) not in page
    assert member_browser.get(reverse("client-edit", args=[world.client.pk])).status_code == 404
    response = member_browser.post(reverse("site-delete", args=[world.site.pk]))
    assert response.status_code == 404
    assert Site.objects.filter(pk=world.site.pk).exists()


def _addresses(world: World) -> list[tuple[str, list[int]]]:
    """Every address of this area that names an object, with the ids it takes."""
    return [
        ("client-detail", [world.client.pk]),
        ("client-edit", [world.client.pk]),
        ("client-delete", [world.client.pk]),
        ("contact-create", [world.client.pk]),
        ("site-create", [world.client.pk]),
        ("window-create", [world.client.pk]),
        ("status-page-settings", [world.client.pk]),
        ("contact-edit", [world.contact.pk]),
        ("contact-delete", [world.contact.pk]),
        ("site-detail", [world.site.pk]),
        ("site-edit", [world.site.pk]),
        ("site-delete", [world.site.pk]),
        ("monitor-create", [world.site.pk]),
        ("monitor-edit", [world.monitor.pk]),
        ("monitor-delete", [world.monitor.pk]),
        ("window-edit", [world.window.pk]),
        ("window-delete", [world.window.pk]),
        ("task-delete", [world.task.pk]),
    ]


def _snapshot(world: World) -> list[object]:
    rows: list[Callable[[], object]] = [
        lambda: list(Client.objects.filter(pk=world.client.pk).values()),
        lambda: list(Site.objects.filter(pk=world.site.pk).values()),
        lambda: list(Monitor.objects.filter(pk=world.monitor.pk).values()),
        lambda: list(Contact.objects.filter(pk=world.contact.pk).values()),
        lambda: list(MaintenanceWindow.objects.filter(pk=world.window.pk).values()),
        lambda: list(MaintenanceTask.objects.filter(client=world.client).values()),
        lambda: list(StatusPage.objects.filter(client=world.client).values()),
    ]
    return [row() for row in rows]


def test_another_agencys_objects_answer_404_on_every_page_and_post(
    world: World, other_world: World, owner_browser: Browser
) -> None:
    before = _snapshot(other_world)
    hostile = {
        "name": "Pris",
        "key": "pris",
        "email": "x@example.com",
        "url": "https://x.example",
        "title": "Pris",
        "description": "pris",
        "sites": [other_world.site.pk],
    }
    for name, args in _addresses(other_world):
        url = reverse(name, args=args)
        assert owner_browser.get(url).status_code == 404, url
        assert owner_browser.post(url, hostile).status_code == 404, url
    # The quick entry refuses another agency's site too: it is not one of the choices.
    response = owner_browser.post(
        reverse("maintenance-log"),
        {"date": "2026-11-04", "category": "plugin", "description": "pris", "sites": [other_world.site.pk]},
    )
    assert response.status_code == 400
    assert _snapshot(other_world) == before


@pytest.mark.parametrize("page", ["client-list", "client-detail", "site-detail"])
def test_queries_per_page_do_not_grow_with_rows(world: World, owner_browser: Browser, page: str) -> None:
    def count() -> int:
        args = {"client-list": [], "client-detail": [world.client.pk], "site-detail": [world.site.pk]}[page]
        with CaptureQueriesContext(connection) as queries:
            assert owner_browser.get(reverse(page, args=args)).status_code == 200
        return len(queries)

    few = count()
    for index in range(4):
        extra = build_world(world.agency, key=f"extra-{index}")
        site = Site.objects.create(
            agency=world.agency,
            client=world.client,
            key=f"s{index}",
            name=f"Site {index}",
            url="https://s.example",
        )
        Monitor.objects.create(agency=world.agency, site=site, key="home", url=site.url)
        Monitor.objects.create(agency=world.agency, site=world.site, key=f"m{index}", url=world.site.url)
        assert extra.client.pk
    assert count() == few


def test_owner_creates_edits_and_deletes_from_the_pages(world: World, owner_browser: Browser) -> None:
    plan = world.client.plan
    response = owner_browser.post(
        reverse("client-create"),
        {
            "name": "Fleuriste Aubert",
            "key": "fleuriste",
            "plan": plan.pk,
            "language": "en",
            "time_zone": "Europe/Brussels",
        },
    )
    client = Client.objects.get(agency=world.agency, key="fleuriste")
    assert response.url == reverse("client-detail", args=[client.pk])

    owner_browser.post(
        reverse("site-create", args=[client.pk]),
        {"name": "Vitrine", "key": "www", "url": "https://fleurs.example/", "apdex_threshold_ms": 400},
    )
    site = Site.objects.get(client=client)
    assert [(m.key, m.url) for m in Monitor.objects.filter(site=site)] == [
        ("home", "https://fleurs.example/")
    ]

    owner_browser.post(
        reverse("window-create", args=[client.pk]),
        {
            "title": "Mardi",
            "key": "mardi",
            "start_date": "2026-12-08",
            "start_time": "21:30",
            "duration_minutes": 45,
            "rrule": "FREQ=WEEKLY;BYDAY=TU",
            "sites": [site.pk],
        },
    )
    window = MaintenanceWindow.objects.get(client=client)
    assert (str(window.start_time), window.rrule, list(window.sites.all())) == (
        "21:30:00",
        "FREQ=WEEKLY;BYDAY=TU",
        [site],
    )

    owner_browser.post(
        reverse("status-page-settings", args=[client.pk]),
        {
            "title": "État des services",
            "slug": "fleuriste",
            "language": "fr",
            "visibility": "password",
            "password": "assez-long",
        },
    )
    page = StatusPage.objects.get(client=client)
    assert page.check_password("assez-long") and [c.site for c in page.components.all()] == [site]

    owner_browser.post(
        reverse("client-edit", args=[client.pk]),
        {
            "name": "Fleuriste Aubert & Fils",
            "key": "fleuriste",
            "plan": plan.pk,
            "language": "fr",
            "time_zone": "Europe/Paris",
        },
    )
    assert Client.objects.get(pk=client.pk).name == "Fleuriste Aubert & Fils"

    assert "Delete" in owner_browser.get(reverse("client-delete", args=[client.pk])).content.decode()
    assert Client.objects.filter(pk=client.pk).exists()  # asking is not deleting
    owner_browser.post(reverse("client-delete", args=[client.pk]))
    assert not Client.objects.filter(pk=client.pk).exists()
    assert not Monitor.objects.filter(site__client_id=client.pk).exists()


def test_a_plan_without_a_status_page_offers_none(world: World, owner_browser: Browser) -> None:
    basic = build_world(world.agency, plan_key="basic", key="petit")
    response = owner_browser.post(
        reverse("status-page-settings", args=[basic.client.pk]),
        {"title": "x", "slug": "petit", "language": "fr", "visibility": "public"},
    )
    assert response.status_code == 404
    assert not StatusPage.objects.filter(client=basic.client).exists()
