"""One validation path: the same bad value is refused by the staff pages' form, the API and the
config file, naming the same field with the same words, and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as Browser
from django.urls import reverse

from tests.api.conftest import Api, issue_token
from tests.dashboard.conftest import World
from veilleur.clients.models import MaintenanceWindow, Site
from veilleur.configfile.apply import apply_document
from veilleur.configfile.issues import ConfigFileError, format_path
from veilleur.configfile.loader import read_document
from veilleur.monitoring.models import Monitor

pytestmark = pytest.mark.django_db

YAML = """\
agency:
  name: Atelier Lumière
clients:
  - key: {client}
    name: Client
    plan: standard
    contacts:
      - email: "{email}"
    sites:
      - key: shop
        name: Boutique
        url: {url}
        monitors:
          - key: home
            timeout: {timeout}
            interval: {interval}
    maintenance_windows:
      - key: tuesday
        title: Tuesday updates
        start: "2026-01-06 22:00"
        duration_minutes: {duration}
        rrule: "{rrule}"
"""
GOOD = {
    "email": "claire@example.com",
    "url": "https://shop.example/",
    "timeout": 10,
    "interval": 60,
    "duration": 60,
    "rrule": "FREQ=DAILY",
}


def yaml_problems(world: World, **bad: Any) -> dict[str, str]:
    """Apply a config file with one bad value: the problems it reports, by field path."""
    text = YAML.format(client=world.client.key, **{**GOOD, **bad})
    with pytest.raises(ConfigFileError) as raised:
        apply_document(read_document(text), agency_key=None, dry_run=False, prune=False)
    return {format_path(issue.path): issue.message for issue in raised.value.issues}


def form_errors(browser: Browser, url: str, data: dict[str, Any]) -> dict[str, list[str]]:
    """POST a staff form, read in English like the API and the config file: the errors shown,
    by the field they are shown at."""
    response = browser.post(url, data, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    form = response.context["form"]
    return {name: list(errors) for name, errors in form.errors.items()}


def api_fields(api: Api, path: str, body: dict[str, Any]) -> dict[str, str]:
    response = api.post(path, body)
    assert response.status_code == 422, response.content
    return dict(response.json()["fields"])


@pytest.fixture
def api(world: World) -> Api:
    client = Api(issue_token(world.agency))
    client.http.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # Django's own validators speak the asked language
    return client


def window_form(world: World, **bad: Any) -> dict[str, Any]:
    good = {"title": "Nuit", "key": "nuit", "start_date": "2026-02-03", "start_time": "22:00"}
    return {**good, "duration_minutes": 60, "rrule": "", **bad}


def test_a_timeout_longer_than_the_interval(world: World, owner_browser: Browser, api: Api) -> None:
    words = "the timeout must be shorter than the interval (30 s)"
    form = form_errors(
        owner_browser,
        reverse("monitor-create", args=[world.site.pk]),
        {
            "key": "slow",
            "url": world.site.url,
            "method": "GET",
            "expected_status": "200-399",
            "timeout_seconds": 30,
            "interval_seconds": 30,
        },
    )
    assert form == {"timeout_seconds": [words]}
    body = {"site_id": world.site.pk, "key": "slow", "timeout_seconds": 30, "interval_seconds": 30}
    assert api_fields(api, "/monitors", body) == {"timeout_seconds": words}
    assert yaml_problems(world, timeout=30, interval=30) == {"clients[0].sites[0].monitors[0].timeout": words}
    assert not Monitor.objects.filter(key="slow").exists()


def test_a_window_of_no_minutes(world: World, owner_browser: Browser, api: Api) -> None:
    form = form_errors(
        owner_browser,
        reverse("window-create", args=[world.client.pk]),
        window_form(world, duration_minutes=0),
    )
    (words,) = form["duration_minutes"]
    assert "greater than or equal to 1" in words
    body = {
        "client_id": world.client.pk,
        "key": "nuit",
        "title": "Nuit",
        "start": "2026-02-03 22:00",
        "duration_minutes": 0,
    }
    assert api_fields(api, "/maintenance-windows", body) == {"duration_minutes": words}
    assert yaml_problems(world, duration=0) == {"clients[0].maintenance_windows[0].duration_minutes": words}
    assert not MaintenanceWindow.objects.filter(key="nuit").exists()


def test_a_recurrence_rule_that_is_not_one(world: World, owner_browser: Browser, api: Api) -> None:
    rule = "FREQ=SOMETIMES"
    form = form_errors(
        owner_browser, reverse("window-create", args=[world.client.pk]), window_form(world, rrule=rule)
    )
    (words,) = form["rrule"]
    assert words.startswith(f"invalid recurrence rule '{rule}'")
    body = {
        "client_id": world.client.pk,
        "key": "nuit",
        "title": "Nuit",
        "start": "2026-02-03 22:00",
        "duration_minutes": 60,
        "rrule": rule,
    }
    assert api_fields(api, "/maintenance-windows", body) == {"rrule": words}
    assert yaml_problems(world, rrule=rule) == {"clients[0].maintenance_windows[0].rrule": words}


def test_a_site_address_that_is_not_http(world: World, owner_browser: Browser, api: Api) -> None:
    url = "htp://shop.example"
    words = f"invalid URL '{url}': it must start with http:// or https://"
    form = form_errors(
        owner_browser,
        reverse("site-create", args=[world.client.pk]),
        {"name": "Autre", "key": "autre", "url": url, "apdex_threshold_ms": 500},
    )
    assert words in form["url"]
    assert api_fields(
        api, "/sites", {"client_id": world.client.pk, "key": "autre", "name": "Autre", "url": url}
    ) == {"url": words}
    (problem,) = yaml_problems(world, url=url).items()
    assert problem[0] == "clients[0].sites[0].url" and words in problem[1]
    assert not Site.objects.filter(key="autre").exists()


def test_a_window_over_another_clients_site(world: World, owner_browser: Browser, api: Api) -> None:
    from tests.dashboard.conftest import build_world

    neighbour = build_world(world.agency, key="voisin")
    words = f"site {neighbour.site.pk} belongs to another client"
    form = form_errors(
        owner_browser,
        reverse("window-create", args=[world.client.pk]),
        window_form(world, sites=[neighbour.site.pk]),
    )
    assert form == {"sites": [words]}
    body = {
        "client_id": world.client.pk,
        "key": "nuit",
        "title": "Nuit",
        "start": "2026-02-03 22:00",
        "duration_minutes": 60,
        "site_ids": [neighbour.site.pk],
    }
    assert api_fields(api, "/maintenance-windows", body) == {"site_ids": words}
    assert not MaintenanceWindow.objects.filter(key="nuit").exists()


def test_a_key_already_used_by_the_client_is_a_field_error_not_a_crash(
    world: World, owner_browser: Browser
) -> None:
    form = form_errors(
        owner_browser,
        reverse("site-create", args=[world.client.pk]),
        {"name": "Doublon", "key": world.site.key, "url": "https://x.example", "apdex_threshold_ms": 500},
    )
    assert form == {"key": ["Key: this value is already used here; choose another."]}
    assert Site.objects.filter(client=world.client).count() == 1


def test_an_email_address_that_is_not_one(world: World, owner_browser: Browser, api: Api) -> None:
    email = "claire@"
    form = form_errors(owner_browser, reverse("contact-create", args=[world.client.pk]), {"email": email})
    assert form == {"email": ["Enter a valid email address."]}
    assert api_fields(api, "/contacts", {"client_id": world.client.pk, "email": email}) == {
        "email": "Enter a valid email address."
    }
    assert yaml_problems(world, email=email) == {
        "clients[0].contacts[0].email": "Enter a valid email address."
    }
