"""Lab page metrics: a page loaded once in headless Chromium, and what it cost.

A check times one request; a visitor waits for a whole page: its images, scripts and fonts, and
the moment the main content shows. Once a day the worker loads a site's home page in a fresh
headless Chromium (no cache, no cookies, a 1280 x 800 window) and records:

- ``ttfb_ms``: time to first byte of the page, from the start of the navigation (Navigation
  Timing ``responseStart``), redirects included;
- ``lcp_ms``: Largest Contentful Paint, when the biggest image or text block appeared;
- ``cls``: Cumulative Layout Shift, how much the page jumped around while loading (the largest
  session window of shifts, see :func:`cumulative_layout_shift`; no unit, 0.1 or less is good);
- ``transferred_bytes`` and ``request_count``: what the page downloaded (headers and body as
  sent, compressed) over how many requests, the page itself included.

Every connection the page makes, navigations, redirects, subresources and WebSockets alike,
goes through the guarded proxy of :mod:`veilleur.probes.lab_proxy`, which lets it through only
when the SSRF guard (``probes.guard.AddressGuard``) accepts every address of the host, and then
dials one of exactly those addresses. Refused requests fail in the page and are counted in
``blocked_requests``; the page's own address is judged before the browser even starts.

Chromium is started for one page and closed after it: its processes hold about 390 MiB while
it runs, nothing in between (bench/README.md, "lab"). Playwright is imported only here and only
when a page is measured, so the checker and the worker start without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from veilleur.probes.guard import AddressGuard
from veilleur.probes.lab_proxy import GuardedProxy, Refused

if TYPE_CHECKING:
    from playwright.async_api import Request

PAGE_TIMEOUT_SECONDS = 30.0  # the whole measurement, browser start to browser closed
QUIET_SECONDS = 5.0  # after the load event, wait at most this long for the network to go quiet
SETTLE_SECONDS = 1.0  # then this long for late layout shifts and paint candidates
VIEWPORT_WIDTH, VIEWPORT_HEIGHT = 1280, 800
# No GPU, no background traffic to the browser vendor's services: only the page's own requests.
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    # WebRTC could open UDP paths around the proxy: only proxied connections are allowed.
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
)
# Session windows of layout shifts (web.dev/articles/cls): a window ends after 1 s without a
# shift or 5 s after it began; CLS is the largest window's total.
SHIFT_GAP_MS = 1000.0
SHIFT_WINDOW_MS = 5000.0

# Registered before the page's own scripts run, so no paint or shift is missed.
OBSERVERS = """
(() => {
  const lab = { lcp: null, shifts: [] };
  Object.defineProperty(window, "__veilleurLab", { value: lab });
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) lab.lcp = entry.startTime;
    }).observe({ type: "largest-contentful-paint", buffered: true });
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) lab.shifts.push([e.value, e.startTime, e.hadRecentInput]);
    }).observe({ type: "layout-shift", buffered: true });
  } catch (error) {}
})();
"""
READ_METRICS = """
() => {
  const lab = window.__veilleurLab || { lcp: null, shifts: [] };
  const navigation = performance.getEntriesByType("navigation")[0];
  return { ttfb: navigation ? navigation.responseStart : null, lcp: lab.lcp, shifts: lab.shifts };
}
"""


class BrowserMissing(Exception):
    """Chromium (or the Playwright package that drives it) is not installed here."""


class LabFailure(Exception):
    """The page could not be measured; the message says why, in plain words."""


@dataclass(frozen=True)
class LayoutShift:
    value: float
    start_ms: float
    had_recent_input: bool = False


@dataclass(frozen=True)
class LabMetrics:
    ttfb_ms: int | None
    lcp_ms: int | None
    cls: float
    transferred_bytes: int
    request_count: int
    blocked_requests: int


def cumulative_layout_shift(shifts: Iterable[LayoutShift]) -> float:
    """The largest session window of layout shifts not caused by the visitor's own input."""
    largest = current = 0.0
    window_start = previous = -math.inf
    for shift in sorted((s for s in shifts if not s.had_recent_input), key=lambda s: s.start_ms):
        if shift.start_ms - previous > SHIFT_GAP_MS or shift.start_ms - window_start > SHIFT_WINDOW_MS:
            window_start, current = shift.start_ms, 0.0
        current += shift.value
        previous = shift.start_ms
        largest = max(largest, current)
    return largest


def browser_missing_reason(executable_path: str) -> str | None:
    """Why no page can be measured here, or None when Chromium and Playwright are both there."""
    if not (os.path.isfile(executable_path) and os.access(executable_path, os.X_OK)):
        return f"Chromium is not installed at {executable_path}"
    try:
        import playwright.async_api  # noqa: F401  (only asking whether it is there)
    except ImportError:
        return "the Playwright package is not installed (pip install 'veilleur[lab]')"
    return None


def measure(url: str, *, executable_path: str, guard: AddressGuard) -> LabMetrics:
    """Load ``url`` once in a fresh headless Chromium and measure it (blocking, time-boxed)."""
    missing = browser_missing_reason(executable_path)
    if missing:
        raise BrowserMissing(missing)
    try:
        return asyncio.run(
            asyncio.wait_for(_measure(url, executable_path, guard), timeout=PAGE_TIMEOUT_SECONDS)
        )
    except TimeoutError:
        raise LabFailure(f"the page did not finish loading within {PAGE_TIMEOUT_SECONDS:.0f} s") from None


async def _measure(url: str, executable_path: str, guard: AddressGuard) -> LabMetrics:
    proxy = GuardedProxy(guard)
    await _vet_page(url, proxy)
    await proxy.start()
    try:
        return await _load(url, executable_path, proxy)
    finally:
        await proxy.close()


async def _vet_page(url: str, proxy: GuardedProxy) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise LabFailure("only http:// and https:// pages are measured")
    try:
        await proxy.vet(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except Refused as refused:
        raise LabFailure(f"the page's address is refused: {refused}") from None


async def _load(url: str, executable_path: str, proxy: GuardedProxy) -> LabMetrics:
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import async_playwright

    # Everything through the proxy, loopback included (Chromium bypasses it for loopback by default).
    routing = [f"--proxy-server={proxy.address}", "--proxy-bypass-list=<-loopback>"]
    finished: list[Request] = []
    failed: list[Request] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable_path, args=[*CHROMIUM_FLAGS, *routing], headless=True
        )
        try:
            context = await browser.new_context(
                viewport={"width": VIEWPORT_WIDTH, "height": VIEWPORT_HEIGHT}, service_workers="block"
            )
            page = await context.new_page()
            await page.add_init_script(OBSERVERS)

            def note_finished(request: Request) -> None:
                finished.append(request)

            def note_failed(request: Request) -> None:
                failed.append(request)

            page.on("requestfinished", note_finished)
            page.on("requestfailed", note_failed)
            try:
                response = await page.goto(url, wait_until="load", timeout=PAGE_TIMEOUT_SECONDS * 1000)
            except PlaywrightError as exc:
                raise LabFailure(_navigation_error(exc, _refusals(failed, proxy))) from None
            if response is None or response.status >= 400:
                status = response.status if response else "no"
                raise LabFailure(f"the page answered with HTTP status {status}")
            with contextlib.suppress(PlaywrightError):  # a page that keeps polling is measured as it is
                await page.wait_for_load_state("networkidle", timeout=QUIET_SECONDS * 1000)
            await asyncio.sleep(SETTLE_SECONDS)
            raw = await page.evaluate(READ_METRICS)
            sizes = [await _transferred(request) for request in finished if _is_http(request.url)]
        finally:
            await browser.close()
    return _metrics(raw, sizes, len(_refusals(failed, proxy)))


def _refusals(failed: Sequence[Request], proxy: GuardedProxy) -> list[str]:
    """Why each of the page's failed requests was refused, for those the proxy refused (the
    browser's own background requests are not the page's and are left out)."""
    hosts = (urlsplit(request.url).hostname or "" for request in failed)
    return [proxy.refused_hosts[host] for host in hosts if host in proxy.refused_hosts]


def _navigation_error(exc: Exception, refusals: list[str]) -> str:
    if refusals:
        return f"the page redirects to a refused address: {refusals[-1]}"
    first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"the page could not be loaded: {first_line}"[:300]


def _is_http(url: str) -> bool:
    return urlsplit(url).scheme in {"http", "https"}


async def _transferred(request: Request) -> int:
    sizes = await request.sizes()
    return max(0, int(sizes.get("responseHeadersSize", 0))) + max(0, int(sizes.get("responseBodySize", 0)))


def _metrics(raw: Any, sizes: Sequence[int], blocked: int) -> LabMetrics:
    """What the page reported, checked: it runs the site's scripts and could report anything."""
    if not isinstance(raw, dict):
        raise LabFailure("the page's timings could not be read")
    shifts = []
    for entry in raw.get("shifts") or []:
        if isinstance(entry, list) and len(entry) == 3:
            value, start, recent = entry
            if _finite(value) and _finite(start):
                shifts.append(LayoutShift(float(value), float(start), bool(recent)))
    return LabMetrics(
        ttfb_ms=_milliseconds(raw.get("ttfb")),
        lcp_ms=_milliseconds(raw.get("lcp")),
        cls=round(cumulative_layout_shift(shifts), 4),
        transferred_bytes=sum(sizes),
        request_count=len(sizes),
        blocked_requests=blocked,
    )


def _finite(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and value >= 0


def _milliseconds(value: object) -> int | None:
    return round(float(value)) if _finite(value) else None  # type: ignore[arg-type]
