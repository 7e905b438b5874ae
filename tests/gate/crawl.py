"""Finding the pages a person reads: from entry points, following same-site links.

A page is covered because something links to it, not because a list names it. Links that are
actions or are not pages (signing out, the admin and API, feeds, JSON, badges, static files) are
not followed. Pages of one shape (``/incidents/{n}/``) are visited a few times, not once per row:
their template is what is validated, and the demo has dozens of incidents (the list shows
the ongoing ones first, then the latest ended ones).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urldefrag, urlsplit

from playwright.sync_api import Page, Response

# Followed never: actions, other applications, and what is not an HTML page.
NOT_PAGES = (
    re.compile(r"/logout/$"),
    re.compile(r"^/admin/"),  # Django's own administration, not Veilleur's pages
    re.compile(r"^/api/"),  # the REST API and its reference
    re.compile(r"^/static/"),
    re.compile(r"^/internal/"),
    re.compile(r"/badge/"),
    re.compile(r"\.(rss|atom|json|svg|xml|txt|pdf|png|ico)$"),
    re.compile(r"/pdf$"),  # a report's or the offer sheet's PDF
    # A stored report, in its own language whatever the reader's: the same documents are
    # validated as files, in each language (monthly_reports in test_validators_gate.py).
    re.compile(r"^/(portal/)?reports/\d+/$"),
)
PAGES_PER_SHAPE = 5
# A form to add, change or delete a row is one template whatever the row: one visit per shape.
FORM_PAGE = re.compile(r"/(new|edit|delete)/$")


def is_page(path: str) -> bool:
    return not any(pattern.search(path) for pattern in NOT_PAGES)


def shape(url: str) -> str:
    """The page's URL with its numbers as placeholders: ``/incidents/12/`` → ``/incidents/{n}/``."""
    parts = urlsplit(url)
    return re.sub(r"\d+", "{n}", f"{parts.scheme}://{parts.netloc}{parts.path}")


@dataclass(frozen=True)
class Visit:
    """How to reach one page: open an address, or fill and send a form."""

    label: str
    go: Callable[[Page], Response | None]


def open_url(url: str) -> Visit:
    return Visit(url, lambda page: page.goto(url))


def submit_form(url: str, fields: dict[str, str], label: str) -> Visit:
    """Open ``url``, fill the form fields (CSS selector → value) and send it with its button."""

    def go(page: Page) -> Response | None:
        page.goto(url)
        return fill_and_send(page, fields)

    return Visit(f"{label} ({url})", go)


def fill_and_send(page: Page, fields: dict[str, str]) -> Response | None:
    """Fill the fields of the page's form and press its button; the answer."""
    for selector, value in fields.items():
        page.fill(selector, value)
    first = next(iter(fields))
    with page.expect_navigation() as navigation:
        page.locator(first).locator("xpath=ancestor::form").locator("button[type=submit]").click()
    return navigation.value


def links_of(page: Page, origin: str) -> list[str]:
    """Same-site addresses linked from the page, without their fragment."""
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "links => links.map((a) => a.href)")
    found = []
    for href in hrefs:
        url, _fragment = urldefrag(href)
        if url.startswith(origin + "/") and is_page(urlsplit(url).path):
            found.append(url)
    return found


class Crawl:
    """The pages reached so far, in the order they were reached, and what is left to visit."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.queue: list[Visit] = []
        self.queued: set[str] = set()
        self.per_shape: dict[str, int] = {}

    def add(self, visits: Iterable[Visit]) -> None:
        for visit in visits:
            if visit.label not in self.queued:
                self.queued.add(visit.label)
                self.queue.append(visit)

    def follow(self, urls: Iterable[str]) -> None:
        for url in urls:
            if url in self.queued:
                continue
            key = shape(url)
            if self.per_shape.get(key, 0) >= (1 if FORM_PAGE.search(key) else PAGES_PER_SHAPE):
                continue
            self.per_shape[key] = self.per_shape.get(key, 0) + 1
            self.add([open_url(url)])

    def next(self) -> Visit | None:
        return self.queue.pop(0) if self.queue else None
