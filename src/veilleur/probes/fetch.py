"""A small file fetched through the SSRF guard: what the server downloads for itself (logos).

The same guard as the probe and the webhooks: a literal host is judged before anything
happens, a name is resolved once by ``GuardedResolver`` and only vetted addresses are dialled,
and every socket address is judged again right before its connect. Each redirect hop opens a
new connection (``force_close``), so it is judged the same way. The body is read in chunks
and the download stops as soon as it passes ``max_bytes``: a huge or endless answer costs at
most that much memory.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver
from yarl import URL

from veilleur.probes.guard import AddressGuard, GuardedResolver
from veilleur.probes.outcome import DEFAULT_USER_AGENT, ProbeFailure

MAX_REDIRECTS = 3
READ_CHUNK = 16 * 1024


class FetchFailed(Exception):
    """The file could not be fetched; the message says why in a few words. ``status`` is the
    HTTP status when the server answered something other than 200 (an RDAP 404 means "no
    such domain", not a failure)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    content_type: str  # as the server announced it, without parameters ("" when none)
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()  # the answer's headers, in order


def fetch_small(
    url: str,
    *,
    guard: AddressGuard,
    max_bytes: int,
    timeout_seconds: float,
    tls_context: ssl.SSLContext,
    accept: str = "*/*",
    resolver: AbstractResolver | None = None,
    first_bytes_only: bool = False,
) -> Fetched:
    """GET ``url`` through the guard; raise ``FetchFailed`` for anything but a 200 answer of
    at most ``max_bytes`` bytes within ``timeout_seconds``. With ``first_bytes_only`` a longer
    answer is cut at ``max_bytes`` instead (a page read for what its head says)."""
    try:
        return asyncio.run(
            _fetch(url, guard, max_bytes, timeout_seconds, tls_context, accept, resolver, first_bytes_only)
        )
    except FetchFailed:
        raise
    except ProbeFailure as failure:  # the guard's refusal, with its own words
        raise FetchFailed(failure.message) from None
    except TimeoutError:
        raise FetchFailed(f"no complete answer within {timeout_seconds:g} s") from None
    except aiohttp.TooManyRedirects:
        raise FetchFailed(f"more than {MAX_REDIRECTS} redirects") from None
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        raise FetchFailed(f"{type(exc).__name__}: {exc}") from None


async def _fetch(
    url: str,
    guard: AddressGuard,
    max_bytes: int,
    timeout_seconds: float,
    tls_context: ssl.SSLContext,
    accept: str,
    resolver: AbstractResolver | None,
    first_bytes_only: bool = False,
) -> Fetched:
    target = URL(url)
    if target.scheme not in {"http", "https"}:
        raise FetchFailed("only http:// and https:// addresses can be fetched")
    guard.check_literal_host(target.host or "")  # before any connection is even prepared
    session = guarded_session(guard, tls_context=tls_context, resolver=resolver, auto_decompress=False)
    async with asyncio.timeout(timeout_seconds), session:
        getting = session.get(
            target,
            headers={"User-Agent": DEFAULT_USER_AGENT, "Accept": accept, "Accept-Encoding": "identity"},
            max_redirects=MAX_REDIRECTS,
        )
        async with getting as answer:
            if answer.status != 200:
                raise FetchFailed(f"the server answered HTTP {answer.status}", status=answer.status)
            declared = answer.content_length
            if declared is not None and declared > max_bytes and not first_bytes_only:
                raise FetchFailed(f"larger than {max_bytes} bytes ({declared} bytes)")
            body = bytearray()
            async for chunk in answer.content.iter_chunked(READ_CHUNK):
                body.extend(chunk)
                if len(body) > max_bytes:
                    if first_bytes_only:
                        del body[max_bytes:]
                        break
                    raise FetchFailed(f"larger than {max_bytes} bytes")
            headers = tuple((name, value) for name, value in answer.headers.items())
            return Fetched(str(answer.url), answer.content_type or "", bytes(body), headers)


def guarded_session(
    guard: AddressGuard,
    *,
    tls_context: ssl.SSLContext | None = None,
    resolver: AbstractResolver | None = None,
    **options: Any,
) -> aiohttp.ClientSession:
    """An aiohttp session that can only connect where ``guard`` allows: the one path of the
    server's own HTTP requests (webhooks, logos; the probe adds its timings to the same rules).
    """

    def create_socket(addr_info: tuple[Any, ...]) -> socket.socket:
        family, type_, proto, _, sockaddr = addr_info
        guard.check(str(sockaddr[0]), str(sockaddr[0]))  # the very address about to be dialled
        return socket.socket(family, type_, proto)

    connector = aiohttp.TCPConnector(
        resolver=GuardedResolver(guard, resolver),
        use_dns_cache=False,
        force_close=True,  # every redirect hop on a new, judged connection
        ssl=tls_context if tls_context is not None else True,
        socket_factory=create_socket,
    )
    return aiohttp.ClientSession(connector=connector, **options)
