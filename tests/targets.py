"""A switchable HTTP site on 127.0.0.1 for the checker's and the CLI's tests."""

from __future__ import annotations

import asyncio
import threading

from aiohttp import web


class Target:
    """An HTTP server on 127.0.0.1 whose health the test switches."""

    def __init__(self) -> None:
        self.healthy = True
        self.hang_seconds = 0.0  # how long the site keeps a request waiting before it answers
        self.hits = 0
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        self.hits += 1
        if self.hang_seconds:
            await asyncio.sleep(self.hang_seconds)
        if self.healthy:
            return web.Response(text="<h1>Boulangerie Martin</h1>")
        return web.Response(status=503, text="maintenance")

    def start(self) -> None:
        threading.Thread(target=self._serve, daemon=True).start()
        assert self._ready.wait(10)

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
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
