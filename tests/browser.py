"""Debian's Chromium under Playwright, started the same way by every browser test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, sync_playwright

# Without the background-networking flags Chromium tries to reach Google's hosts at start-up,
# which this project's tests never do: traffic stays on 127.0.0.1.
QUIET_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


@contextmanager
def chromium(executable_path: str, *extra_args: str) -> Iterator[Browser]:
    """A headless Chromium for the block. Playwright's sync API runs an event loop in this thread;
    the test's own database calls stay synchronous and in this thread, which is what Django's
    async-safety guard is about, so the guard is lifted for the block."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=executable_path, args=[*QUIET_FLAGS, *extra_args]
            )
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
