"""Status page renderings compressed once and served compressed to the browsers that ask for it."""

from __future__ import annotations

import gzip
import os

import pytest
from django.db import OperationalError
from django.test import Client as HttpClient
from django.test import RequestFactory

from tests.statuspages.conftest import PageWorld
from veilleur.statuspages import fallback
from veilleur.statuspages.encoding import accepts_gzip, compressed

pytestmark = pytest.mark.django_db

BROWSER = "gzip, deflate, br, zstd"  # what Chromium and Firefox send


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        (BROWSER, True),
        ("gzip", True),
        ("x-gzip", True),
        ("GZip ; Q=0.5", True),
        ("*", True),
        ("br, *;q=0.1", True),
        ("", False),
        ("identity", False),
        ("br, deflate", False),
        ("gzip;q=0", False),
        ("gzip;q=0.000", False),
        ("*;q=0", False),
        ("gzip;q=0, *", False),  # named refusal wins over the wildcard
        ("gzip;q=often", False),
    ],
)
def test_accept_encoding_is_read_with_its_weights(header: str, accepted: bool) -> None:
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING=header)
    assert accepts_gzip(request) is accepted


def test_only_bodies_that_shrink_are_compressed() -> None:
    assert compressed(b"<p>short</p>") is None
    assert compressed(os.urandom(4096)) is None  # does not shrink
    page = b"<li class=component>Web shop: operational</li>\n" * 200
    packed = compressed(page)
    assert packed is not None and len(packed) < len(page) // 10
    assert gzip.decompress(packed) == page
    assert compressed(page) == packed  # the same bytes every time


def test_a_browser_gets_the_page_compressed_and_a_plain_client_gets_it_plain(world: PageWorld) -> None:
    for path in ("/s/bakery/", "/s/bakery/history/"):
        plain = HttpClient().get(path, HTTP_HOST="127.0.0.1")
        packed = HttpClient().get(path, HTTP_HOST="127.0.0.1", HTTP_ACCEPT_ENCODING=BROWSER)
        assert plain.status_code == packed.status_code == 200
        assert "Content-Encoding" not in plain and packed["Content-Encoding"] == "gzip"
        assert gzip.decompress(packed.content) == plain.content
        assert len(packed.content) < len(plain.content)
        assert packed["Content-Type"] == plain["Content-Type"]
        for response in (plain, packed):
            assert "Accept-Encoding" in response["Vary"]  # shared caches keep the two apart


def test_a_small_answer_is_never_compressed(world: PageWorld) -> None:
    badge = HttpClient().get("/s/bakery/badge/status.svg", HTTP_HOST="127.0.0.1", HTTP_ACCEPT_ENCODING="gzip")
    assert badge.status_code == 200 and len(badge.content) < 1024
    assert "Content-Encoding" not in badge and "Vary" not in badge


def test_during_an_outage_each_visitor_gets_the_encoding_they_asked_for(world: PageWorld) -> None:
    fallback.forget_all()
    plain = HttpClient().get("/s/bakery/", HTTP_HOST="127.0.0.1").content
    HttpClient().get("/s/bakery/", HTTP_HOST="127.0.0.1", HTTP_ACCEPT_ENCODING=BROWSER)  # kept last
    away = OperationalError("the database is away")
    requests = RequestFactory()

    for_browser = fallback.answer_without_database(
        requests.get("/s/bakery/", HTTP_ACCEPT_ENCODING=BROWSER), "127.0.0.1", away
    )
    for_script = fallback.answer_without_database(requests.get("/s/bakery/"), "127.0.0.1", away)
    assert for_browser.status_code == for_script.status_code == 200
    assert for_browser["Content-Encoding"] == "gzip" and gzip.decompress(for_browser.content) == plain
    assert "Content-Encoding" not in for_script and for_script.content == plain
    assert for_script["Content-Type"].startswith("text/html")
    assert for_script["Cache-Control"] == "no-store"
    fallback.forget_all()
