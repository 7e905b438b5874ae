"""Sites and the monitors that watch them."""

from __future__ import annotations

from tests.api.conftest import Api, World
from veilleur.clients.models import Client, Site
from veilleur.monitoring.models import Monitor


def test_site_lifecycle(api: Api, world: World) -> None:
    created = api.post(
        "/sites", {"client_id": world.client.pk, "key": "shop", "name": "Shop", "url": "https://shop.example"}
    )
    assert created.status_code == 201, created.content
    site = created.json()
    assert site["client_id"] == world.client.pk
    assert site["apdex_threshold_ms"] == 500
    assert api.get(f"/sites/{site['id']}").json() == site

    changed = api.patch(f"/sites/{site['id']}", {"apdex_threshold_ms": 800, "name": "Web shop"})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["apdex_threshold_ms"], changed.json()["name"]) == (800, "Web shop")

    assert api.delete(f"/sites/{site['id']}").status_code == 204
    assert not Site.objects.filter(pk=site["id"]).exists()


def test_site_moves_to_another_client_of_the_agency(api: Api, world: World) -> None:
    other = Client.objects.create(agency=world.agency, key="beta", name="Beta", plan=world.plan)
    moved = api.patch(f"/sites/{world.site.pk}", {"client_id": other.pk})
    assert moved.status_code == 200, moved.content
    assert moved.json()["client_id"] == other.pk


def test_sites_are_filtered_by_client(api: Api, world: World) -> None:
    other = Client.objects.create(agency=world.agency, key="beta", name="Beta", plan=world.plan)
    Site.objects.create(client=other, key="www", name="Beta", url="https://beta.example")
    listed = api.get("/sites", {"client_id": other.pk}).json()["items"]
    assert [site["client_id"] for site in listed] == [other.pk]


def test_duplicate_site_key_in_a_client_is_a_conflict(api: Api, world: World) -> None:
    response = api.post(
        "/sites", {"client_id": world.client.pk, "key": "www", "name": "Again", "url": "https://x.example"}
    )
    assert response.status_code == 409
    assert response.json()["fields"] == {"key": "another site of this client already uses this key"}


def test_monitor_lifecycle(api: Api, world: World) -> None:
    created = api.post(
        "/monitors",
        {
            "site_id": world.site.pk,
            "key": "api",
            "method": "head",
            "expected_status": "200-299, 301",
            "request_headers": {"X-Check": "veilleur"},
            "interval_seconds": 120,
        },
    )
    assert created.status_code == 201, created.content
    monitor = created.json()
    # Defaults and normalisation: the site's URL, the method upper-case, the status spec tidied.
    assert monitor["url"] == world.site.url
    assert monitor["method"] == "HEAD"
    assert monitor["expected_status"] == "200-299,301"
    assert (monitor["site_id"], monitor["client_id"]) == (world.site.pk, world.client.pk)
    assert monitor["effective_interval_seconds"] == 120
    assert api.get(f"/monitors/{monitor['id']}").json() == monitor

    # null brings the plan's interval back.
    changed = api.patch(f"/monitors/{monitor['id']}", {"interval_seconds": None, "paused": True})
    assert changed.status_code == 200, changed.content
    assert changed.json()["interval_seconds"] is None
    assert changed.json()["effective_interval_seconds"] == world.plan.check_interval_seconds
    assert changed.json()["paused"] is True

    assert api.delete(f"/monitors/{monitor['id']}").status_code == 204
    assert not Monitor.objects.filter(pk=monitor["id"]).exists()


def test_monitor_interval_below_the_minimum_is_refused(api: Api, world: World) -> None:
    response = api.patch(f"/monitors/{world.monitor.pk}", {"interval_seconds": 5})
    assert response.status_code == 422
    assert "minimum" in response.json()["fields"]["interval_seconds"]
    world.monitor.refresh_from_db()
    assert world.monitor.interval_seconds is None


def test_monitor_timeout_must_be_shorter_than_the_interval(api: Api, world: World) -> None:
    response = api.patch(f"/monitors/{world.monitor.pk}", {"interval_seconds": 10, "timeout_seconds": 30})
    assert response.status_code == 422
    assert "timeout_seconds" in response.json()["fields"]


def test_monitors_are_filtered_by_site_and_client(api: Api, world: World) -> None:
    other = Client.objects.create(agency=world.agency, key="beta", name="Beta", plan=world.plan)
    other_site = Site.objects.create(client=other, key="www", name="Beta", url="https://beta.example")
    Monitor.objects.create(site=other_site, key="home", url="https://beta.example/")
    by_site = api.get("/monitors", {"site_id": other_site.pk}).json()["items"]
    by_client = api.get("/monitors", {"client_id": world.client.pk}).json()["items"]
    assert [m["site_id"] for m in by_site] == [other_site.pk]
    assert [m["id"] for m in by_client] == [world.monitor.pk]


def test_duplicate_monitor_key_on_a_site_is_a_conflict(api: Api, world: World) -> None:
    response = api.post("/monitors", {"site_id": world.site.pk, "key": world.monitor.key})
    assert response.status_code == 409
    assert "key" in response.json()["fields"]
