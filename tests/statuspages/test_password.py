"""A password-protected page leaks nothing without the password: not the page, the history, the
JSON, the feeds nor the badges; the unlock cookie opens it and a new password closes it again."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.utils import timezone, translation

from tests.statuspages.conftest import PageWorld, open_incident
from veilleur.incidents.updates import post_update
from veilleur.statuspages.models import StatusPage
from veilleur.statuspages.throttles import UNLOCK_PER_ADDRESS, UNLOCK_PER_PAGE
from veilleur.throttling.models import Attempt

pytestmark = pytest.mark.django_db

PATHS = (
    "/s/bakery/",
    "/s/bakery/history/",
    "/s/bakery/api/status.json",
    "/s/bakery/feed.rss",
    "/s/bakery/feed.atom",
    "/s/bakery/badge/status.svg",
    "/s/bakery/badge/uptime.svg?window=90d",
)
SECRETS = ("Web shop", "Bakery blog", "Disk full on the shop", "outage", "Operational", "uptime")


@pytest.fixture
def protected(world: PageWorld) -> PageWorld:
    world.page.visibility = StatusPage.Visibility.PASSWORD
    world.page.set_password("croissant-2026")
    world.page.save()
    incident = open_incident(world.shop_monitor, timezone.now() - timedelta(minutes=20))
    post_update(incident, "identified", "Disk full on the shop")
    return world


def test_nothing_leaks_without_the_password(protected: PageWorld) -> None:
    browser = HttpClient(HTTP_HOST="127.0.0.1")
    for path in PATHS:
        response = browser.get(path)
        assert response.status_code == 401, path
        body = response.content.decode()
        for secret in SECRETS:
            assert secret not in body, (path, secret)
        assert "no-store" in response.get("Cache-Control", "no-store"), path


def test_wrong_password_then_right_password(protected: PageWorld) -> None:
    browser = HttpClient(HTTP_HOST="127.0.0.1")
    wrong = browser.post("/s/bakery/unlock/", {"password": "baguette"})
    assert wrong.status_code == 403
    assert "This password is not the right one." in wrong.content.decode()
    assert "Web shop" not in wrong.content.decode()
    assert browser.get("/s/bakery/").status_code == 401

    right = browser.post("/s/bakery/unlock/", {"password": "croissant-2026"})
    assert right.status_code == 303 and right["Location"] == "/s/bakery/"
    cookie = right.cookies[f"veilleur_status_{protected.page.pk}"]
    assert cookie["httponly"] and cookie["path"] == "/s/bakery/"
    for path in PATHS:
        response = browser.get(path)
        assert response.status_code == 200, path
    page = browser.get("/s/bakery/").content.decode()
    assert (
        "Disk full on the shop" in page and browser.get("/s/bakery/")["Cache-Control"] == "private, no-store"
    )


def test_a_new_password_closes_the_page_again(protected: PageWorld) -> None:
    browser = HttpClient(HTTP_HOST="127.0.0.1")
    browser.post("/s/bakery/unlock/", {"password": "croissant-2026"})
    assert browser.get("/s/bakery/").status_code == 200
    page = StatusPage.objects.get(pk=protected.page.pk)
    page.set_password("pain-au-chocolat")
    page.save()
    assert browser.get("/s/bakery/").status_code == 401


def test_a_cookie_for_one_page_does_not_open_another(protected: PageWorld) -> None:
    other = protected.other_page
    other.visibility = StatusPage.Visibility.PASSWORD
    other.set_password("croissant-2026")  # the same password, a different page
    other.save()
    browser = HttpClient(HTTP_HOST="127.0.0.1")
    browser.post("/s/bakery/unlock/", {"password": "croissant-2026"})
    forged = browser.cookies[f"veilleur_status_{protected.page.pk}"].value
    browser.cookies[f"veilleur_status_{other.pk}"] = forged
    assert browser.get("/s/florist/").status_code == 401
    browser.cookies[f"veilleur_status_{protected.page.pk}"] = "tampered" + forged
    assert browser.get("/s/bakery/").status_code == 401


def test_unlocking_a_public_page_just_redirects(world: PageWorld) -> None:
    response = HttpClient(HTTP_HOST="127.0.0.1").post("/s/bakery/unlock/", {"password": "x"})
    assert response.status_code == 303 and response["Location"] == "/s/bakery/"


def test_short_passwords_are_refused(world: PageWorld) -> None:
    from django.core.exceptions import ValidationError

    with translation.override("en"), pytest.raises(ValidationError, match="at least 8 characters"):
        world.page.set_password("short")


# --- brute force ---------------------------------------------------------------------------


def visitor(address: str) -> HttpClient:
    """A visitor at ``address``, as the TLS proxy on loopback reports it."""
    return HttpClient(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_FOR=address, HTTP_ACCEPT_LANGUAGE="en")


def unlock(browser: HttpClient, password: str) -> int:
    return browser.post("/s/bakery/unlock/", {"password": password}).status_code


def test_the_eleventh_wrong_password_is_refused_even_when_right(protected: PageWorld) -> None:
    guesser = visitor("198.51.100.7")
    for _ in range(UNLOCK_PER_ADDRESS.attempts):
        assert unlock(guesser, "baguette") == 403
    refused = guesser.post("/s/bakery/unlock/", {"password": "croissant-2026"})
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= UNLOCK_PER_ADDRESS.window.total_seconds()
    assert "Too many attempts. Try again in 15 minutes." in refused.content.decode()
    assert not refused.cookies and guesser.get("/s/bakery/").status_code == 401
    # Another address is not concerned.
    assert unlock(visitor("198.51.100.8"), "croissant-2026") == 303


def test_the_right_password_does_not_count(protected: PageWorld) -> None:
    reader = visitor("198.51.100.7")
    for _ in range(UNLOCK_PER_ADDRESS.attempts - 1):
        unlock(reader, "baguette")
    for _ in range(3):
        assert unlock(reader, "croissant-2026") == 303
    assert unlock(reader, "baguette") == 403  # the tenth failure, still answered
    assert unlock(reader, "croissant-2026") == 429


def test_a_page_is_limited_whatever_the_addresses(protected: PageWorld) -> None:
    for number in range(UNLOCK_PER_PAGE.attempts):
        assert unlock(visitor(f"203.0.{number // 200}.{number % 200 + 1}"), "baguette") == 403
    assert unlock(visitor("192.0.2.99"), "croissant-2026") == 429
    # Visitors who unlocked before keep reading, and the other page is not concerned.
    other = protected.other_page
    other.visibility = StatusPage.Visibility.PASSWORD
    other.set_password("tulipe-2026")
    other.save()
    assert visitor("192.0.2.99").post("/s/florist/unlock/", {"password": "tulipe-2026"}).status_code == 303


def test_the_limit_expires_after_its_window(protected: PageWorld) -> None:
    guesser = visitor("198.51.100.7")
    for _ in range(UNLOCK_PER_ADDRESS.attempts):
        unlock(guesser, "baguette")
    assert unlock(guesser, "croissant-2026") == 429
    # The window passes: every counted attempt is now older than it.
    Attempt.objects.update(at=timezone.now() - UNLOCK_PER_ADDRESS.window - timedelta(seconds=1))
    assert unlock(guesser, "croissant-2026") == 303


@pytest.mark.django_db(transaction=True)
def test_racing_guesses_get_exactly_the_limit(protected: PageWorld) -> None:
    """Web processes share only the database: guesses sent at once are counted exactly."""
    racers = UNLOCK_PER_ADDRESS.attempts + 4
    start = threading.Barrier(racers)
    statuses: list[int] = []

    def guess() -> None:
        try:
            start.wait()
            statuses.append(unlock(visitor("198.51.100.7"), "baguette"))
        finally:
            connection.close()

    threads = [threading.Thread(target=guess) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [403] * UNLOCK_PER_ADDRESS.attempts + [429] * 4
