"""Every status a page can be in is readable: the banner's white text and the coloured status
words pass axe's contrast rule, in states the demo's pages may not be in when the gate runs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from html import escape

import pytest
from playwright.sync_api import Browser

from tests.browser import chromium
from tests.gate.validators import axe_findings, missing_tools
from veilleur.domain.statuspage import ComponentStatus
from veilleur.statuspages import views

pytestmark = [pytest.mark.browser, pytest.mark.gate]

STYLESHEET = views.__file__.replace("views.py", "static/statuspages/status.css")


@pytest.fixture
def browser(chromium_path: str) -> Iterator[Browser]:
    missing = missing_tools()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail("; ".join(missing))
        pytest.skip("; ".join(missing))
    with chromium(chromium_path) as browser:
        yield browser


def status_markup(status: ComponentStatus) -> str:
    """The banner and a component's status word as page.html writes them for ``status``."""
    return (
        f'<section class="overall status-{status}"><span class="dot" aria-hidden="true"></span>'
        f"<h1>{escape(str(views.OVERALL_WORDS[status]))}</h1>"
        f'<p class="checked">Updated 4 Dec 2026, 14:05</p></section>'
        f'<article class="component"><div class="component-head"><h2>Site</h2>'
        f'<span class="pill status-{status}">{escape(str(views.STATUS_WORDS[status]))}</span></div></article>'
    )


@pytest.mark.parametrize("status", list(ComponentStatus))
def test_each_status_is_readable(browser: Browser, status: ComponentStatus) -> None:
    with open(STYLESHEET) as stylesheet:
        css = stylesheet.read()
    page = browser.new_page()
    page.set_content(
        f'<!doctype html><html lang="en"><head><title>Status</title><style>{css}</style></head>'
        f'<body><main class="wrap">{status_markup(status)}</main></body></html>'
    )
    assert axe_findings(page, str(status)) == []
    page.close()
