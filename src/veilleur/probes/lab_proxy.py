"""The guarded forward proxy every request of a lab page load goes through.

Chromium resolves names and follows redirects by itself, out of reach of a request-by-request
filter (a page's route handler does not see the hops of a redirect). So the lab's Chromium is
told to send everything, loopback included, through this proxy on 127.0.0.1, and the proxy is
where the SSRF guard is applied: it resolves each host once, refuses it unless the guard accepts
every address the name has, and connects to exactly one of those vetted addresses (what was
judged is what is dialled, so no DNS answer can change in between).

HTTPS and WebSockets arrive as ``CONNECT host:port`` and are tunnelled as opaque bytes; plain
HTTP arrives as an absolute URL, is passed on with ``Connection: close`` and the connection is
closed after the answer, one request per connection. A refused plain HTTP request gets no answer
at all (so the page sees a failed request, not a response the site never sent); a refused tunnel
gets ``403``. Refused hosts are kept with the reason, so the measurement can tell which of the
page's failed requests were refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from veilleur.probes.guard import AddressGuard, parse_ip

HEAD_LIMIT = 64 * 1024
CONNECT_TIMEOUT_SECONDS = 10.0
HOP_BY_HOP = {"connection", "proxy-connection", "keep-alive", "proxy-authorization", "te", "upgrade"}


class Refused(Exception):
    pass


@dataclass
class GuardedProxy:
    guard: AddressGuard
    port: int = 0
    refused_hosts: dict[str, str] = field(default_factory=dict)  # host → why, in plain words
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=HEAD_LIMIT)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def vet(self, host: str, port: int) -> list[str]:
        """The addresses of ``host``, every one accepted by the guard; raises ``Refused``."""
        if parse_ip(host) is not None:
            addresses = [host.strip("[]")]
        else:
            try:
                found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except OSError:
                raise Refused(f"{host} does not resolve") from None
            addresses = [str(entry[4][0]) for entry in found]
        if not addresses:
            raise Refused(f"{host} does not resolve")
        for address in addresses:
            refusal = self.guard.refusal(address)
            if refusal is not None:
                raise Refused(f"{host} leads to {address} ({refusal.reason})")
        return addresses

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._relay(reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass  # a broken request or connection: nothing to relay
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *headers = head.decode("latin-1").split("\r\n")[:-2]
        method, target, version = request_line.split(" ", 2)
        if method == "CONNECT":
            host, _, port_text = target.rpartition(":")
            upstream = await self._open(host.strip("[]"), int(port_text))
            if upstream is None:
                writer.write(b"HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
                return
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await _pipe_both(reader, writer, *upstream)
            return
        parts = urlsplit(target)
        if parts.scheme != "http" or not parts.hostname:
            writer.write(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
            return
        upstream = await self._open(parts.hostname, parts.port or 80)
        if upstream is None:
            return
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        kept = [line for line in headers if line.split(":", 1)[0].strip().lower() not in HOP_BY_HOP]
        upstream_head = "\r\n".join([f"{method} {path} {version}", *kept, "Connection: close", "", ""])
        upstream[1].write(upstream_head.encode("latin-1"))
        await _pipe_both(reader, writer, *upstream)

    async def _open(self, host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """A connection to a vetted address of ``host``; None when refused or unreachable."""
        try:
            addresses = await self.vet(host, port)
        except Refused as refused:
            self.refused_hosts[host.lower()] = str(refused)
            return None
        for address in addresses:
            with contextlib.suppress(OSError, TimeoutError):
                return await asyncio.wait_for(asyncio.open_connection(address, port), CONNECT_TIMEOUT_SECONDS)
        return None


async def _pipe_both(
    client_reader: asyncio.StreamReader,
    client_writer: asyncio.StreamWriter,
    upstream_reader: asyncio.StreamReader,
    upstream_writer: asyncio.StreamWriter,
) -> None:
    """Relay both ways until either side is done, then close both: one exchange per connection."""
    directions = {
        asyncio.ensure_future(_pipe(client_reader, upstream_writer)),
        asyncio.ensure_future(_pipe(upstream_reader, client_writer)),
    }
    try:
        await asyncio.wait(directions, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for direction in directions:
            direction.cancel()
        await asyncio.gather(*directions, return_exceptions=True)
        upstream_writer.close()


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while chunk := await source.read(64 * 1024):
            sink.write(chunk)
            await sink.drain()
