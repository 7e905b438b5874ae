"""A loopback web page for the lab metrics tests: a large image that paints late, a script that
shifts the layout, and addresses that lead where the guard must refuse to go."""

from __future__ import annotations

import asyncio
import io
import random
import threading

from aiohttp import web
from PIL import Image

PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Boulangerie Martin</title>
<script src="/shift.js" defer></script></head>
<body style="margin:0"><p style="font-size:32px;margin:0">Pain de campagne, tous les matins.</p>
<img src="/hero.png" width="1000" height="600" alt="La vitrine">
{extra}
</body></html>
"""
# Pushes the page down 300 px after it first painted: a layout shift a visitor would see.
SHIFT = """setTimeout(() => {
  const banner = document.createElement("div");
  banner.style.height = "300px";
  document.body.prepend(banner);
}, 150);
"""
# Requests the page makes: the page, its script and its image.
PAGE_REQUESTS = 3


def noisy_png(width: int = 1000, height: int = 600, seed: int = 13) -> bytes:
    """An image that does not compress: about 1.8 MB whatever the encoder."""
    noise = random.Random(seed).randbytes(width * height * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), noise).save(out, format="PNG", compress_level=1)
    return out.getvalue()


class LabSite:
    """The page on 127.0.0.1, served from its own thread (the lab probe runs its own event loop)."""

    def __init__(self) -> None:
        self.port = 0
        self.hero = noisy_png()
        self.requests: list[str] = []
        self.extra_html = ""
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    async def _page(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        return web.Response(text=PAGE.format(extra=self.extra_html), content_type="text/html")

    async def _script(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        return web.Response(text=SHIFT, content_type="text/javascript")

    async def _image(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        await asyncio.sleep(0.2)  # paints after the text: the image is the largest paint
        return web.Response(body=self.hero, content_type="image/png")

    async def _elsewhere(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        raise web.HTTPFound(request.query["to"])

    async def _other(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        return web.Response(status=404, text="not here")

    def start(self) -> None:
        threading.Thread(target=self._serve, daemon=True).start()
        assert self._ready.wait(10)

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_get("/", self._page)
        app.router.add_get("/shift.js", self._script)
        app.router.add_get("/hero.png", self._image)
        app.router.add_get("/redirect", self._elsewhere)
        app.router.add_get("/{tail:.*}", self._other)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        self._loop.run_forever()

    def stop(self) -> None:
        assert self._loop is not None and self._runner is not None
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
