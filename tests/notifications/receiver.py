"""A webhook receiver on 127.0.0.1: an aiohttp server in its own thread that keeps every request,
and answers as the test says — 200, an error status, or not at all until released."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

# The server logs every request at INFO; the tests' output needs none of it.
logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    def __init__(self) -> None:
        self.status = 200
        self.hang = False
        self.on_request: Callable[[Request], None] | None = None
        self._requests: list[Request] = []
        self._lock = threading.Lock()
        self._released: asyncio.Event | None = None  # made in the server's own loop
        self.hanging = 0  # requests being held right now
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._requests)

    def start(self) -> Receiver:
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        assert ready.wait(10), "the receiver did not start"
        return self

    def stop(self) -> None:
        """Close the server; requests still held are cancelled, never answered late."""
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)

    def release(self) -> None:
        """Let the requests held so far be answered."""
        if self._released is not None:
            self._loop.call_soon_threadsafe(self._released.set)

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._released = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # A held request whose client gave up is cancelled, not answered into a closed socket.
        self._runner = web.AppRunner(app, handler_cancellation=True)
        self._loop.run_until_complete(self._runner.setup())
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        self.port = listener.getsockname()[1]
        self._loop.run_until_complete(web.SockSite(self._runner, listener).start())
        ready.set()
        self._loop.run_forever()

    async def _handle(self, request: web.Request) -> web.Response:
        received = Request(request.path_qs, dict(request.headers), await request.read())
        with self._lock:
            self._requests.append(received)
        if self.on_request is not None:
            self.on_request(received)
        if self.hang:
            self.hanging += 1
            try:
                assert self._released is not None
                await asyncio.wait_for(self._released.wait(), 60)
            finally:
                self.hanging -= 1
        return web.Response(status=self.status, text="ok" if self.status < 300 else "no")
