"""The public page through real requests: routing by path and Host, content, isolation, cache."""

from __future__ import annotations

import json
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.statuspages.conftest import PageWorld, open_incident
from veilleur.clients.models import MaintenanceWindow
from veilleur.incidents.updates import post_update
from veilleur.monitoring.models import Monitor
from veilleur.plans.models import Plan
from veilleur.statuspages.models import StatusPage

pytestmark = pytest.mark.django_db


def get(path: str, host: str = "127.0.0.1", **extra: str) -> tuple[int, str]:
    response = HttpClient().get(path, HTTP_HOST=host, **extra)
    return response.status_code, response.content.decode()


def test_public_page_shows_its_components_with_90_day_strips(world: PageWorld) -> None:
    status, body = get("/s/bakery/")
    assert status == 200
    assert "All systems operational" in body
    assert "Web shop (public)" in body and "Bakery blog (public)" in body
    assert body.count('<svg viewBox="0 0 90 1"') == 2
    assert "Bakery status" in body


def test_slug_without_slash_redirects_and_unknown_slug_is_404(world: PageWorld) -> None:
    response = HttpClient().get("/s/bakery", HTTP_HOST="127.0.0.1")
    assert response.status_code == 301 and response["Location"] == "/s/bakery/"
    status, body = get("/s/nobody/")
    assert status == 404 and "Bakery" not in body
    status, _ = get("/s/bakery/no-such-thing/")
    assert status == 404


def test_page_of_a_plan_without_status_page_is_not_served(world: PageWorld) -> None:
    client = world.page.client
    client.plan = Plan.objects.get(agency=client.agency, key="basic")
    client.save()
    status, body = get("/s/bakery/")
    assert status == 404 and "Web shop" not in body


def test_outage_shows_on_the_component_and_overall(world: PageWorld) -> None:
    open_incident(world.shop_monitor, timezone.now() - timedelta(minutes=10))
    status, body = get("/s/bakery/")
    assert status == 200
    assert "Partial outage" in body  # one component of two is down: the page as a whole
    assert "Major outage" in body  # the shop, whose only monitor is down
    assert "We are aware of the problem and investigating." in body
    assert "internal detail" not in body and "503" not in body


def test_one_card_per_affected_site_however_many_of_its_monitors_fail(world: PageWorld) -> None:
    now = timezone.now()
    checkout = Monitor.objects.create(site=world.shop, key="checkout", url="https://shop.example/checkout")
    home = open_incident(world.shop_monitor, now - timedelta(minutes=10))
    open_incident(checkout, now - timedelta(minutes=8))
    post_update(home, "identified", "The shop's database is full.")
    # Earlier, the two monitors failed at overlapping times, and later once alone: two past cards.
    open_incident(world.shop_monitor, now - timedelta(days=2, minutes=30), recovered=now - timedelta(days=2))
    open_incident(checkout, now - timedelta(days=2, minutes=20), recovered=now - timedelta(days=2, minutes=5))
    open_incident(checkout, now - timedelta(days=1), recovered=now - timedelta(days=1) + timedelta(minutes=5))

    status, body = get("/s/bakery/")
    assert status == 200
    assert body.count('<section class="notice incident"') == 1
    assert body.count('<article class="past-incident"') == 2
    assert "The shop&#x27;s database is full." in body
    summary = json.loads(get("/s/bakery/api/status.json")[1])
    (card,) = summary["incidents"]
    assert card["id"] == home.pk and card["started_at"].startswith(
        (now - timedelta(minutes=10)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
    )
    assert card["status"] == "identified"


def test_public_updates_appear_newest_first(world: PageWorld) -> None:
    incident = open_incident(world.shop_monitor, timezone.now() - timedelta(minutes=30))
    post_update(incident, "investigating", "The shop answers slowly, we are looking.")
    post_update(incident, "identified", "A full disk on the shop's server.")
    _status, body = get("/s/bakery/")
    assert body.index("A full disk") < body.index("answers slowly")
    incident.refresh_from_db()
    assert incident.first_client_update_at is not None


def test_maintenance_in_progress_shows_as_under_maintenance(world: PageWorld) -> None:
    # Windows are wall times in the client's zone (Europe/Paris), not the server's.
    local = timezone.now().astimezone(ZoneInfo("Europe/Paris")) - timedelta(minutes=5)
    window = MaintenanceWindow.objects.create(
        client=world.page.client,
        key="upgrade",
        title="Server upgrade",
        start_date=local.date(),
        start_time=local.time().replace(second=0, microsecond=0),
        duration_minutes=60,
        public_note="Moving the blog to a faster server.",
    )
    window.sites.set([world.blog])
    _status, body = get("/s/bakery/")
    assert "Moving the blog to a faster server." in body
    summary = json.loads(get("/s/bakery/api/status.json")[1])
    assert summary["scheduled_maintenances"][0]["note"] == "Moving the blog to a faster server."
    assert "Under maintenance" in body and "Server upgrade" in body
    assert "Maintenance in progress" in body


def test_never_shows_another_clients_sites_or_incidents(world: PageWorld) -> None:
    other = open_incident(world.other_monitor, timezone.now() - timedelta(hours=2))
    post_update(other, "identified", "Florist catalogue database is down")
    for path in ("/s/bakery/", "/s/bakery/history/", "/s/bakery/api/status.json", "/s/bakery/feed.rss"):
        status, body = get(path)
        assert status == 200, path
        assert "Flower" not in body and "Florist" not in body, path
    status, body = get("/s/florist/")
    assert "Flower catalogue (public)" in body and "Major outage" in body


def test_status_json_summary(world: PageWorld) -> None:
    open_incident(world.blog_monitor, timezone.now() - timedelta(minutes=5))
    response = HttpClient().get("/s/bakery/api/status.json", HTTP_HOST="127.0.0.1")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    summary = json.loads(response.content)
    assert summary["status"] == {
        "code": "partial_outage",
        "indicator": "major",
        "description": "Partial outage",
    }
    assert [c["name"] for c in summary["components"]] == ["Web shop (public)", "Bakery blog (public)"]
    assert summary["components"][1]["status"] == "major_outage"
    assert summary["components"][0]["uptime_percent"]["24h"] == 100.0
    assert summary["components"][1]["uptime_percent"]["24h"] < 100
    assert summary["incidents"][0]["component"] == "Bakery blog (public)"
    assert summary["page"]["url"] == "http://127.0.0.1:8000/s/bakery/"


def test_feeds_list_incidents_with_canonical_links(world: PageWorld) -> None:
    incident = open_incident(
        world.shop_monitor,
        timezone.now() - timedelta(days=3),
        recovered=timezone.now() - timedelta(days=3) + timedelta(minutes=7),
    )
    post_update(incident, "resolved", "Back after a restart.")
    response = HttpClient().get("/s/bakery/feed.rss", HTTP_HOST="127.0.0.1")
    assert response["Content-Type"].startswith("application/rss+xml")
    body = response.content.decode()
    assert "Web shop (public): outage (Resolved)" in body and "Back after a restart." in body
    assert f"http://127.0.0.1:8000/s/bakery/history/#incident-{incident.pk}" in body
    atom = HttpClient().get("/s/bakery/feed.atom", HTTP_HOST="127.0.0.1")
    assert atom["Content-Type"].startswith("application/atom+xml") and b"<feed" in atom.content


def test_badges(world: PageWorld) -> None:
    response = HttpClient().get("/s/bakery/badge/status.svg", HTTP_HOST="127.0.0.1")
    assert response.status_code == 200 and response["Content-Type"].startswith("image/svg+xml")
    assert b"Operational" in response.content and b"<svg" in response.content
    component = world.page.components.get(site=world.shop)
    response = HttpClient().get(
        f"/s/bakery/badge/uptime.svg?window=7d&component={component.pk}", HTTP_HOST="127.0.0.1"
    )
    assert response.status_code == 200 and b"uptime 7d" in response.content and b"100%" in response.content
    other_component = world.other_page.components.get()
    status, _ = get(f"/s/bakery/badge/status.svg?component={other_component.pk}")
    assert status == 404
    status, body = get("/s/bakery/badge/uptime.svg?window=1y")
    assert status == 400 and "unknown window" in body
    status, body = get("/s/bakery/badge/nope.svg")
    assert status == 400


def test_verified_custom_domain_serves_its_page_at_the_root(world: PageWorld) -> None:
    StatusPage.objects.filter(pk=world.page.pk).update(
        custom_domain="status.bakery.example", domain_verified_at=timezone.now()
    )
    status, body = get("/", host="status.bakery.example")
    assert status == 200 and "Web shop (public)" in body
    assert 'href="/history/"' in body and "/s/bakery/" not in body
    status, body = get("/", host="STATUS.Bakery.example:443")
    assert status == 200
    # Another page's slug is not reachable through this domain.
    status, body = get("/s/florist/", host="status.bakery.example")
    assert status == 404 and "Flower" not in body
    # Neither is the agency's application.
    status, _ = get("/admin/", host="status.bakery.example")
    assert status == 404


def test_unverified_or_unknown_hosts_get_no_page(world: PageWorld) -> None:
    StatusPage.objects.filter(pk=world.page.pk).update(custom_domain="status.bakery.example")
    for host in ("status.bakery.example", "evil.example", "127.0.0.2"):
        status, body = get("/", host=host)
        assert status == 400, host
        assert "Bakery" not in body and "Web shop" not in body
    status, _ = get("/s/bakery/", host="evil.example")
    assert status == 400


def test_links_never_come_from_forwarded_host(world: PageWorld) -> None:
    status, body = get("/s/bakery/api/status.json", HTTP_X_FORWARDED_HOST="evil.example")
    assert status == 200 and "evil.example" not in body
    status, body = get("/s/bakery/feed.atom", HTTP_X_FORWARDED_HOST="evil.example")
    assert "evil.example" not in body


def test_cached_page_costs_one_query_and_follows_state_changes(world: PageWorld) -> None:
    get("/s/bakery/")
    with CaptureQueriesContext(connection) as queries:
        status, body = get("/s/bakery/")
    assert status == 200 and len(queries) == 1  # the page and its version
    assert "All systems operational" in body
    incident = open_incident(world.shop_monitor, timezone.now() - timedelta(minutes=3))
    status, body = get("/s/bakery/")
    assert "Partial outage" in body
    post_update(incident, "monitoring", "A fix is deployed.")
    status, body = get("/s/bakery/")
    assert "A fix is deployed." in body


def test_state_changes_replace_the_cached_rendering_instead_of_adding_one(world: PageWorld) -> None:
    """Each incident opened or closed changes the page's state: the rendering of the new state takes
    the place of the old one in the cache, so a process's memory does not grow with incidents."""
    from django.core.cache import cache

    def page_entries() -> int:
        return sum(1 for key in cache._cache if "statuspage:" in key)  # type: ignore[attr-defined]

    cache.clear()
    get("/s/bakery/")
    before = page_entries()
    for minutes in (30, 20, 10):
        open_incident(
            world.shop_monitor,
            timezone.now() - timedelta(minutes=minutes),
            recovered=timezone.now() - timedelta(minutes=minutes - 5),
        )
        status, _body = get("/s/bakery/")
        assert status == 200
    assert before >= 1 and page_entries() == before


def test_page_queries_do_not_grow_with_components(world: PageWorld) -> None:
    from tests.statuspages.conftest import make_client_with_page

    small, _, _ = make_client_with_page(world.page.agency, "small", "Small", [("a", "A")])
    large, _, _ = make_client_with_page(
        world.page.agency, "large", "Large", [(f"site{i}", f"Site {i}") for i in range(12)]
    )
    for page in (small, large):
        for monitor_site in page.components.all():
            open_incident(
                monitor_site.site.monitors.get(),
                timezone.now() - timedelta(days=2),
                recovered=timezone.now() - timedelta(days=2) + timedelta(minutes=5),
            )
    counts = []
    for slug in ("small", "large"):
        with CaptureQueriesContext(connection) as queries:
            status, _ = get(f"/s/{slug}/")
        assert status == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_head_requests_are_answered_and_other_methods_refused(world: PageWorld) -> None:
    browser = HttpClient(HTTP_HOST="127.0.0.1")
    assert browser.head("/s/bakery/").status_code == 200
    assert browser.head("/s/bakery/api/status.json").status_code == 200
    assert browser.post("/s/bakery/").status_code == 405
    assert browser.delete("/s/bakery/api/status.json").status_code == 405


@pytest.mark.parametrize("host", ["bad host", "exa_mple.com:80:80", "[::1", "a" * 300])
def test_malformed_host_headers_get_a_400(world: PageWorld, host: str) -> None:
    response = HttpClient().get("/s/bakery/", HTTP_HOST=host)
    assert response.status_code == 400
    assert b"Web shop" not in response.content
