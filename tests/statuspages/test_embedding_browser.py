"""In headless Chromium: a page served over HTTPS from another loopback origin (127.0.0.2) shows
the status page in a frame when the page lists that origin, and the browser refuses the frame
when it lists none or only another site."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import trustme
from django.core.cache import cache
from playwright.sync_api import Browser, BrowserContext, Page

from tests.browser import chromium
from tests.statuspages.conftest import PageWorld
from veilleur.statuspages.models import StatusPage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMBEDDER_ADDRESS = "127.0.0.2"


@dataclass
class Embedder:
    """An HTTPS site on another loopback address whose one page frames ``frame_url``."""

    server: ThreadingHTTPServer
    frame_url: str = ""

    @property
    def origin(self) -> str:
        return f"https://{EMBEDDER_ADDRESS}:{self.server.server_address[1]}"


def _handler(embedder: Embedder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = (
                "<!DOCTYPE html><html lang='en'><title>Agency site</title><h1>Our client</h1>"
                f"<iframe id='status' title='Status' src='{embedder.frame_url}' width='800' height='600' "
                "onload=\"document.body.dataset.framed = 'loaded'\"></iframe>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def embedder() -> Iterator[Embedder]:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(EMBEDDER_ADDRESS).configure_cert(context)
    embedder = Embedder(server=ThreadingHTTPServer((EMBEDDER_ADDRESS, 0), BaseHTTPRequestHandler))
    embedder.server.RequestHandlerClass = _handler(embedder)
    embedder.server.socket = context.wrap_socket(embedder.server.socket, server_side=True)
    thread = threading.Thread(target=embedder.server.serve_forever, daemon=True)
    thread.start()
    yield embedder
    embedder.server.shutdown()
    embedder.server.server_close()


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Browser]:
    with chromium(chromium_path) as browser:
        yield browser


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    made: list[BrowserContext] = []
    yield made
    for context in made:
        context.close()


def open_embedder(
    browser: Browser, contexts: list[BrowserContext], embedder: Embedder, frame_url: str
) -> tuple[Page, list[str]]:
    """The embedder's page in a new browser context: a visitor with nothing cached (a public
    page may be kept by a browser for 30 seconds, headers and all). The embedder's certificate
    comes from a CA made for the test, which the browser does not know."""
    context = browser.new_context(ignore_https_errors=True, locale="en-GB")
    contexts.append(context)
    embedder.frame_url = frame_url
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(f"{embedder.origin}/")
    page.wait_for_selector("body[data-framed='loaded']")
    return page, console


def framed_text(page: Page) -> str:
    """The text in the frame: the status page's, or the browser's error page ("… is blocked")
    when the frame was refused."""
    return page.frame_locator("#status").locator("body").inner_text()


def set_origins(page: StatusPage, origins: list[str]) -> None:
    page.refresh_from_db()
    page.embed_origins = origins
    page.full_clean()
    page.save()


def test_an_allowed_origin_shows_the_page_in_a_frame_and_others_are_refused(
    browser: Browser,
    contexts: list[BrowserContext],
    live_server: Any,
    world: PageWorld,
    embedder: Embedder,
) -> None:
    cache.clear()
    url = f"{live_server.url}/s/bakery/"

    # By default no site may frame the page.
    refused, console = open_embedder(browser, contexts, embedder, url)
    assert world.page.title not in framed_text(refused)
    assert any("frame-ancestors 'none'" in line for line in console), console

    set_origins(world.page, [embedder.origin])
    allowed, _console = open_embedder(browser, contexts, embedder, url)
    assert world.page.title in framed_text(allowed), _console
    history, _console = open_embedder(browser, contexts, embedder, f"{url}history/")
    assert "Incident history" in framed_text(history)

    # Only the sites listed: the same origin on another port is another site.
    other_port = embedder.server.server_address[1] + 1
    set_origins(world.page, [f"https://{EMBEDDER_ADDRESS}:{other_port}"])
    elsewhere, console = open_embedder(browser, contexts, embedder, url)
    assert world.page.title not in framed_text(elsewhere)
    assert any("frame-ancestors" in line for line in console), console
