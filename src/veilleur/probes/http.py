"""The HTTP(S) probe: one request (plus redirects) on fresh connections, judged and timed.

Nothing is reused between checks: every check opens new connections (DNS, TCP, TLS every time),
so it measures what a first-time visitor gets and a broken server cannot hide behind a
kept-alive connection. ``force_close`` also makes every redirect hop open a new connection,
which the SSRF guard therefore sees; no cookie outlives its check. Redirects are followed here
rather than by aiohttp so that every hop is recorded and its target judged before anything is
sent to it.

The checker makes hundreds of checks a second, so the aiohttp session and connector that carry
them are shared (``ProbeSession``): building and closing them for every check was about 5 % of a
busy checker's time (bench/README.md, "checker"). What belongs to one check (its SSRF guard,
its phase recorder, its resolver, the certificate it notes) travels with the check in a context
variable, which asyncio hands to everything the check's task runs: the connector's resolver and
socket factory read it. A check without a session (``veilleur check``, tests) gets a session of its own.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import hashlib
import os
import socket
import ssl
from collections.abc import AsyncIterator, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from multidict import CIMultiDict
from yarl import URL

from veilleur.domain.validators import status_matches
from veilleur.probes.errors import classify_exception, short
from veilleur.probes.guard import AddressGuard, GuardedResolver, IPNetwork
from veilleur.probes.outcome import (
    ErrorClass,
    ProbeFailure,
    ProbeOutcome,
    ProbeRequest,
    RedirectHop,
)
from veilleur.probes.timing import TRACE_CONFIG, PhaseRecorder, TimedSocket

READ_CHUNK = 64 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Credentials a user configured for the monitored origin must not follow a redirect elsewhere.
ORIGIN_BOUND_HEADERS = ("authorization", "cookie", "proxy-authorization")


def make_tls_context(ca_file: str | os.PathLike[str] | None = None) -> ssl.SSLContext:
    """The verifying TLS context, created once and shared by every probe.

    Verifies like a browser: the system trust store (or only ``ca_file``, for tests and private
    CAs), host name checked, TLS 1.2 at least.
    """
    context = ssl.create_default_context(cafile=os.fspath(ca_file) if ca_file is not None else None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


@dataclass
class _Progress:
    """What is known so far, so that a failure at any point still reports it."""

    url: URL
    status: int | None = None
    reason: str = ""
    hops: list[RedirectHop] = field(default_factory=list)
    body: bytes = b""
    bytes_read: int = 0
    truncated: bool = False
    charset: str | None = None
    certificate_sha256: str | None = None
    # Cookies set by a redirect response, sent on the next hops of this check only.
    cookies: aiohttp.CookieJar | None = None


@dataclass
class _Check:
    """What the shared connector needs to know about the check it connects for."""

    request: ProbeRequest
    guard: AddressGuard
    recorder: PhaseRecorder
    progress: _Progress
    resolver: GuardedResolver


_CURRENT_CHECK: ContextVar[_Check] = ContextVar("veilleur_probe_check")


def _current_check() -> _Check:
    try:
        return _CURRENT_CHECK.get()
    except LookupError:  # a request not made by probe(): refuse rather than connect unguarded
        raise ProbeFailure(ErrorClass.OTHER, "connection outside a check") from None


class _CheckResolver(AbstractResolver):
    """Resolves with the current check's guarded resolver (a new lookup every check)."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return await _current_check().resolver.resolve(host, port, family)

    async def close(self) -> None:
        pass


def _create_socket(addr_info: tuple[Any, ...]) -> TimedSocket:
    check = _current_check()
    family, type_, proto, _, sockaddr = addr_info
    check.guard.check(str(sockaddr[0]), str(sockaddr[0]))  # the very address about to be dialled
    check.recorder.note_socket_created()
    return TimedSocket(check.recorder, family, type_, proto)


class _CheckConnector(aiohttp.TCPConnector):
    """A connector that never keeps a connection (``force_close``), caches no DNS answer, puts
    no limit of its own (the checker bounds its checks), and hands the leaf certificate of each
    new TLS connection of the monitored host to its check as it is made: a small body may be
    read, and the connection closed, before the response is seen. One hash of about a kilobyte
    already in memory (bench/premium measures its cost)."""

    def __init__(self) -> None:
        super().__init__(
            resolver=_CheckResolver(),
            use_dns_cache=False,
            force_close=True,
            limit=0,
            limit_per_host=0,
            socket_factory=_create_socket,
        )

    async def _create_connection(self, req: Any, traces: Any, timeout: Any) -> Any:
        protocol = await super()._create_connection(req, traces, timeout)
        check = _current_check()
        progress = check.progress
        if not check.request.capture_certificate or progress.hops or progress.url.scheme != "https":
            return protocol
        transport = protocol.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        if der:
            progress.certificate_sha256 = hashlib.sha256(der).hexdigest().upper()
        return protocol


class ProbeSession:
    """The aiohttp session and connector shared by the probes of one event loop (see above).

    Created on first use, in the loop that uses it (again in another loop, should the first one
    have ended); ``close()`` when done."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def client(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            self._loop = loop
            self._session = aiohttp.ClientSession(
                connector=_CheckConnector(),
                trace_configs=[TRACE_CONFIG],
                cookie_jar=aiohttp.DummyCookieJar(),  # a cookie of one check is not the next one's
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


@contextlib.asynccontextmanager
async def _session_for(shared: ProbeSession | None) -> AsyncIterator[aiohttp.ClientSession]:
    if shared is not None:
        yield shared.client()
        return
    own = ProbeSession()
    try:
        yield own.client()
    finally:
        await own.close()


async def probe(
    request: ProbeRequest,
    *,
    tls_context: ssl.SSLContext,
    allow_private: bool,
    resolver: AbstractResolver | None = None,
    exempt_networks: Iterable[IPNetwork] = (),
    session: ProbeSession | None = None,
) -> ProbeOutcome:
    """Check ``request.url`` once; never raises for anything the site or the network does.

    ``resolver`` replaces the system resolver (tests; a future per-region resolver); its
    answers still go through the SSRF guard. ``exempt_networks`` are allowed even when private
    targets are not. ``session`` is the shared session of the caller's event loop, if any.
    """
    guard = AddressGuard(allow_private=allow_private, exempt_networks=tuple(exempt_networks))
    recorder = PhaseRecorder()
    progress = _Progress(url=URL(request.url))
    guarded = GuardedResolver(guard, resolver)
    token = _CURRENT_CHECK.set(_Check(request, guard, recorder, progress, guarded))
    checked_at = datetime.now(UTC)
    try:
        async with asyncio.timeout(request.total_timeout), _session_for(session) as client:
            await _follow_redirects(client, request, tls_context, guard, recorder, progress)
        error_class, message = _judge(request, progress)
    except Exception as exc:  # CancelledError is not an Exception and goes through, as it must
        error_class, message = classify_exception(exc)
        if error_class is ErrorClass.TIMEOUT:
            message = _timeout_message(exc, request, recorder, progress)
    finally:
        _CURRENT_CHECK.reset(token)
        await guarded.close()
    return ProbeOutcome(
        ok=error_class is ErrorClass.OK,
        error_class=error_class,
        message=message,
        url=request.url,
        final_url=str(progress.url),
        checked_at=checked_at,
        status=progress.status,
        redirects=tuple(progress.hops),
        timings=recorder.timings(tls=progress.url.scheme == "https"),
        bytes_read=progress.bytes_read,
        body_truncated=progress.truncated,
        peer_ip=recorder.peer_ip,
        certificate_sha256=progress.certificate_sha256,
    )


async def _follow_redirects(
    session: aiohttp.ClientSession,
    request: ProbeRequest,
    tls_context: ssl.SSLContext,
    guard: AddressGuard,
    recorder: PhaseRecorder,
    progress: _Progress,
) -> None:
    method = request.method
    visited = {progress.url}
    while True:
        guard.check_literal_host(progress.url.host or "")
        recorder.start_hop()
        async with session.request(
            method,
            progress.url,
            headers=_headers_for(request, progress.url),
            cookies=progress.cookies.filter_cookies(progress.url) if progress.cookies is not None else None,
            allow_redirects=False,
            ssl=tls_context,
            timeout=aiohttp.ClientTimeout(total=None, connect=request.connect_timeout),
            trace_request_ctx=recorder,
        ) as response:
            recorder.note_headers_received()
            progress.status, progress.reason = response.status, response.reason or ""
            location = response.headers.get("Location") if request.follow_redirects else None
            if response.cookies and location:
                if progress.cookies is None:
                    progress.cookies = aiohttp.CookieJar()
                progress.cookies.update_cookies(response.cookies, response.url)
            if response.status not in REDIRECT_STATUSES or not location:
                progress.charset = response.charset
                await _read_body(response, request, progress)
                recorder.note_body_done()
                return
            progress.hops.append(
                RedirectHop(str(progress.url), response.status, short(location), recorder.hop_elapsed_ms())
            )
        progress.url = _redirect_target(progress.url, location)
        if progress.url in visited:
            raise ProbeFailure(ErrorClass.TOO_MANY_REDIRECTS, f"redirect loop back to {progress.url}")
        if len(progress.hops) > request.max_redirects:
            raise ProbeFailure(ErrorClass.TOO_MANY_REDIRECTS, f"more than {request.max_redirects} redirects")
        visited.add(progress.url)
        method = _method_after_redirect(method, progress.hops[-1].status)


def _headers_for(request: ProbeRequest, url: URL) -> CIMultiDict[str]:
    headers = CIMultiDict({"User-Agent": request.user_agent, "Accept": "*/*"})
    for name, _ in request.headers:  # the monitor's own headers replace the defaults
        headers.popall(name, None)
    headers.extend(request.headers)
    if url.origin() != URL(request.url).origin():
        for name in ORIGIN_BOUND_HEADERS:
            headers.popall(name, None)
    return headers


def _redirect_target(current: URL, location: str) -> URL:
    try:
        target = current.join(URL(location)).with_fragment(None)
    except ValueError as exc:
        raise ProbeFailure(ErrorClass.PROTOCOL, short(f"redirect to an invalid URL: {location}")) from exc
    if target.scheme not in ("http", "https") or not target.host:
        raise ProbeFailure(ErrorClass.PROTOCOL, short(f"redirect to an unsupported URL: {location}"))
    return target


def _method_after_redirect(method: str, status: int) -> str:
    """What browsers do: 303 always, and 301/302 after a POST, continue with GET."""
    if method == "HEAD":
        return method
    if status == 303 or (status in (301, 302) and method == "POST"):
        return "GET"
    return method


async def _read_body(response: aiohttp.ClientResponse, request: ProbeRequest, progress: _Progress) -> None:
    """Read at most ``body_limit`` bytes, streamed; the rest stays on the wire and the connection
    is closed on leaving the response."""
    if request.method == "HEAD":
        return
    buffer = bytearray()
    while len(buffer) < request.body_limit:
        chunk = await response.content.read(min(READ_CHUNK, request.body_limit - len(buffer)))
        if not chunk:
            break
        buffer += chunk
        progress.bytes_read = len(buffer)
    else:
        progress.truncated = not response.content.at_eof()
    progress.body = bytes(buffer)


def _judge(request: ProbeRequest, progress: _Progress) -> tuple[ErrorClass, str]:
    status = progress.status or 0
    status_text = short(f"HTTP {status} {progress.reason}".strip())
    if not status_matches(request.status_ranges, status):
        return ErrorClass.HTTP_STATUS, f"{status_text} (expected {request.expected_status})"
    if request.keyword is None and request.forbidden_keyword is None:
        return ErrorClass.OK, status_text
    text = _decode(progress.body, progress.charset)
    read_note = f"the first {format_size(request.body_limit)}"
    if request.forbidden_keyword is not None and request.forbidden_keyword in text:
        return ErrorClass.FORBIDDEN_KEYWORD, short(f'forbidden keyword "{request.forbidden_keyword}" found')
    if request.keyword is not None and request.keyword not in text:
        if progress.truncated:
            return ErrorClass.KEYWORD, short(
                f'keyword "{request.keyword}" not found in {read_note} of the response '
                "(it is longer; only that much is read)"
            )
        return ErrorClass.KEYWORD, short(f'keyword "{request.keyword}" not found in the response')
    if progress.truncated:
        return ErrorClass.OK, f"{status_text}; keywords checked in {read_note} only"
    return ErrorClass.OK, status_text


def _decode(body: bytes, charset: str | None) -> str:
    """The body as text in its declared charset (UTF-8 when none or unknown); a character cut
    by the read limit or invalid bytes become U+FFFD rather than an error."""
    encoding = "utf-8"
    if charset:
        with contextlib.suppress(LookupError):  # an unknown charset name: fall back to UTF-8
            encoding = codecs.lookup(charset).name
    return body.decode(encoding, errors="replace")


def format_size(size: int) -> str:
    mib, kib = 1024 * 1024, 1024
    if size % mib == 0:
        return f"{size // mib} MiB"
    if size % kib == 0:
        return f"{size // kib} KiB"
    return f"{size} bytes"


def _timeout_message(
    exc: BaseException, request: ProbeRequest, recorder: PhaseRecorder, progress: _Progress
) -> str:
    phase = recorder.current_phase(tls=progress.url.scheme == "https")
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return f"timed out {phase} (connect limit {request.connect_timeout:g} s)"
    return f"timed out {phase} (limit {request.total_timeout:g} s)"
