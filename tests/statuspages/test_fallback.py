"""The renderings kept for a database outage: bounded in bytes, least recently served first out."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.http import HttpResponse
from django.test import RequestFactory

from veilleur.statuspages import fallback
from veilleur.statuspages.access import cookie_name, grant_access
from veilleur.statuspages.cache import Rendered
from veilleur.statuspages.models import StatusPage

from .conftest import PageWorld


def _rendering(body: bytes) -> HttpResponse:
    response = HttpResponse(body)
    setattr(response, fallback.RENDERING_MARK, Rendered(body, "text/html; charset=utf-8"))
    return response


def test_the_least_recently_served_rendering_goes_first(
    world: PageWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    fallback.forget_all()
    monkeypatch.setattr(fallback, "MAX_BYTES", 250)
    requests = RequestFactory()
    for path in ("/s/bakery/", "/s/bakery/history/", "/s/bakery/api/status.json"):
        fallback.remember(requests.get(path), "testserver", world.page, _rendering(b"x" * 100))
    away = OperationalError("the database is away")

    def answer(path: str) -> int:
        return fallback.answer_without_database(requests.get(path), "testserver", away).status_code

    assert answer("/s/bakery/") == 503  # the oldest of three, 300 bytes in all
    assert answer("/s/bakery/history/") == 200 and answer("/s/bakery/api/status.json") == 200
    # Not a rendering (a form, a "not found"): never kept.
    fallback.remember(requests.get("/s/bakery/x"), "testserver", world.page, HttpResponse(b"form"))
    assert answer("/s/bakery/x") == 503
    fallback.forget_all()


def test_a_protected_page_is_served_during_an_outage_only_to_visitors_it_let_in(world: PageWorld) -> None:
    fallback.forget_all()
    world.page.visibility = StatusPage.Visibility.PASSWORD
    world.page.set_password("croissant-2026")
    world.page.save()
    requests = RequestFactory()
    fallback.remember(requests.get("/s/bakery/"), "testserver", world.page, _rendering(b"the page"))
    opened = HttpResponse()
    grant_access(opened, world.page, "/s/bakery/", secure=False)
    cookie = cookie_name(world.page)
    away = OperationalError("the database is away")

    stranger = fallback.answer_without_database(requests.get("/s/bakery/"), "testserver", away)
    visitor = requests.get("/s/bakery/")
    visitor.COOKIES[cookie] = opened.cookies[cookie].value
    let_in = fallback.answer_without_database(visitor, "testserver", away)
    assert stranger.status_code == 503 and b"the page" not in stranger.content
    assert let_in.status_code == 200 and let_in.content == b"the page"
    fallback.forget_all()
