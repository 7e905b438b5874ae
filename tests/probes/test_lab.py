"""Lab page metrics: a loopback page with a large late image and a layout shift, measured in
headless Chromium, and the guarded proxy every one of its requests goes through."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterator

import pytest

from tests.probes.lab_site import PAGE_REQUESTS, LabSite
from tests.probes.servers import http_server
from veilleur.probes.guard import AddressGuard
from veilleur.probes.lab import (
    BrowserMissing,
    LabFailure,
    LayoutShift,
    cumulative_layout_shift,
    measure,
)
from veilleur.probes.lab_proxy import GuardedProxy

# Private targets stay refused; only the test page's own address is let through, standing in for
# a public site. 127.0.0.2 is loopback too, but outside the exemption: what the guard must refuse.
ONLY_THE_SITE = AddressGuard(allow_private=False, exempt_networks=(ipaddress.ip_network("127.0.0.1/32"),))


@pytest.fixture
def site() -> Iterator[LabSite]:
    server = LabSite()
    server.start()
    yield server
    server.stop()


def test_a_page_with_a_late_large_image_and_a_layout_shift(site: LabSite, chromium_path: str) -> None:
    metrics = measure(site.url, executable_path=chromium_path, guard=ONLY_THE_SITE)
    assert metrics.request_count == PAGE_REQUESTS
    assert metrics.transferred_bytes > len(site.hero)  # the image, plus the page, script and headers
    assert metrics.ttfb_ms is not None and metrics.ttfb_ms >= 0
    assert metrics.lcp_ms is not None and metrics.lcp_ms > 0
    assert metrics.cls > 0
    assert metrics.blocked_requests == 0
    assert {"/", "/shift.js", "/hero.png"} <= set(site.requests)


def test_a_subresource_on_a_refused_address_is_blocked_and_counted(site: LabSite, chromium_path: str) -> None:
    site.extra_html = f'<img src="http://127.0.0.2:{site.port}/elsewhere.png" alt="">'
    metrics = measure(site.url, executable_path=chromium_path, guard=ONLY_THE_SITE)
    assert metrics.blocked_requests == 1
    assert metrics.request_count == PAGE_REQUESTS
    assert "/elsewhere.png" not in site.requests


def test_a_redirect_to_a_refused_address_fails_the_measurement(site: LabSite, chromium_path: str) -> None:
    url = f"{site.url}redirect?to=http://127.0.0.2:{site.port}/"
    with pytest.raises(LabFailure, match=r"redirects to a refused address: 127\.0\.0\.2"):
        measure(url, executable_path=chromium_path, guard=ONLY_THE_SITE)
    assert site.requests == ["/redirect"]


def test_a_page_on_a_refused_address_is_not_loaded_at_all(site: LabSite, chromium_path: str) -> None:
    with pytest.raises(LabFailure, match="refused"):
        measure(site.url, executable_path=chromium_path, guard=AddressGuard(allow_private=False))
    assert site.requests == []


def test_a_missing_chromium_is_reported_before_anything_starts(site: LabSite) -> None:
    with pytest.raises(BrowserMissing, match="Chromium is not installed at /nowhere/chromium"):
        measure(site.url, executable_path="/nowhere/chromium", guard=ONLY_THE_SITE)
    assert site.requests == []


# --- the proxy, without a browser --------------------------------------------------------------


async def _exchange(proxy_port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy_port)
    writer.write(request)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer


def test_the_proxy_tunnels_to_an_accepted_address_and_refuses_others() -> None:
    async def scenario() -> None:
        async def hello(request: object) -> object:
            from aiohttp import web

            return web.Response(text="bonjour")

        async with http_server(lambda app: app.router.add_get("/", hello)) as port:
            proxy = GuardedProxy(ONLY_THE_SITE)
            await proxy.start()
            try:
                tunnelled = await _exchange(
                    proxy.port,
                    f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\n"
                    f"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode(),
                )
                assert tunnelled.startswith(b"HTTP/1.1 200 Connection established")
                assert tunnelled.endswith(b"bonjour")
                forwarded = await _exchange(
                    proxy.port, f"GET http://127.0.0.1:{port}/ HTTP/1.1\r\nHost: x\r\n\r\n".encode()
                )
                assert forwarded.startswith(b"HTTP/1.1 200") and forwarded.endswith(b"bonjour")
                refused = await _exchange(proxy.port, f"CONNECT 127.0.0.2:{port} HTTP/1.1\r\n\r\n".encode())
                assert refused.startswith(b"HTTP/1.1 403")
                silent = await _exchange(
                    proxy.port, f"GET http://127.0.0.2:{port}/ HTTP/1.1\r\n\r\n".encode()
                )
                assert silent == b""  # no answer the site never gave
                assert set(proxy.refused_hosts) == {"127.0.0.2"}
            finally:
                await proxy.close()

    asyncio.run(scenario())


# --- cumulative layout shift ---------------------------------------------------------------------


def test_shifts_right_after_input_do_not_count() -> None:
    assert cumulative_layout_shift([LayoutShift(0.5, 100, had_recent_input=True)]) == 0
    assert cumulative_layout_shift([LayoutShift(0.1, 100), LayoutShift(0.2, 600)]) == pytest.approx(0.3)
    # Two windows, 3 s apart: the larger one counts, not the sum.
    assert cumulative_layout_shift([LayoutShift(0.1, 0), LayoutShift(0.2, 3000)]) == pytest.approx(0.2)
    # A window closes 5 s after it began even when shifts keep coming every 0.9 s.
    steady = [LayoutShift(0.1, 900 * i) for i in range(8)]  # 0 … 6.3 s
    assert cumulative_layout_shift(steady) == pytest.approx(0.6)  # 0 … 4.5 s: six shifts
