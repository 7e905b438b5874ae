"""Phase timings of one check, from aiohttp trace hooks and a socket that notes its connect.

aiohttp's hooks give DNS start/end, connection start/end (TCP *and* TLS) and "request headers
sent". They have no mark between the TCP handshake and the TLS handshake, so the socket the
probe hands to aiohttp notes it: asyncio asks a just-connected socket for its peer address when
it wraps it in a transport, which happens before the TLS handshake begins. That first answer is
both the end of the TCP connect and the address really connected to. Should a future event loop
not ask, ``tls_ms`` is ``None`` and ``connect_ms`` covers TCP and TLS together.
"""

from __future__ import annotations

import socket
from time import perf_counter
from types import SimpleNamespace
from typing import Any

import aiohttp

from veilleur.probes.outcome import PhaseTimings


def _span_ms(start: float | None, end: float | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start) * 1000, 3)


class PhaseRecorder:
    """Monotonic marks (``perf_counter`` seconds) of the current request hop."""

    def __init__(self) -> None:
        self.check_started = perf_counter()
        self.peer_ip: str | None = None
        self.start_hop()

    def start_hop(self) -> None:
        """Every hop opens a fresh connection, so every mark starts over."""
        self.hop_started = perf_counter()
        self.dns_start: float | None = None
        self.dns_end: float | None = None
        self.socket_created: float | None = None
        self.tcp_connected: float | None = None
        self.connection_ready: float | None = None
        self.request_sent: float | None = None
        self.headers_received: float | None = None
        self.body_done: float | None = None

    def note_socket_created(self) -> None:
        if self.socket_created is None:
            self.socket_created = perf_counter()

    def note_tcp_connected(self, peer_ip: str) -> None:
        if self.tcp_connected is None:
            self.tcp_connected = perf_counter()
            self.peer_ip = peer_ip

    def note_headers_received(self) -> None:
        self.headers_received = perf_counter()

    def note_body_done(self) -> None:
        self.body_done = perf_counter()

    def hop_elapsed_ms(self) -> float:
        return round((perf_counter() - self.hop_started) * 1000, 3)

    def timings(self, *, tls: bool) -> PhaseTimings:
        tcp_end = self.tcp_connected if tls and self.tcp_connected is not None else self.connection_ready
        return PhaseTimings(
            dns_ms=_span_ms(self.dns_start, self.dns_end),
            connect_ms=_span_ms(self.socket_created, tcp_end),
            tls_ms=_span_ms(self.tcp_connected, self.connection_ready) if tls else None,
            ttfb_ms=_span_ms(self.request_sent, self.headers_received),
            download_ms=_span_ms(self.headers_received, self.body_done),
            total_ms=round((perf_counter() - self.check_started) * 1000, 3),
        )

    def current_phase(self, *, tls: bool) -> str:
        """Where the hop stands, for a timeout message."""
        if self.headers_received is not None:
            return "reading the response body"
        if self.connection_ready is not None:
            return "waiting for the response"
        if self.tcp_connected is not None and tls:
            return "during the TLS handshake"
        if self.socket_created is not None:
            return "connecting"
        if self.dns_start is not None:
            return "resolving the host name"
        return "before connecting"


class TimedSocket(socket.socket):
    """A TCP socket that tells its recorder when, and to whom, it got connected (see above)."""

    def __init__(self, recorder: PhaseRecorder, family: int, type_: int, proto: int) -> None:
        super().__init__(family, type_, proto)
        self._recorder = recorder

    def getpeername(self) -> Any:
        peer = super().getpeername()
        self._recorder.note_tcp_connected(str(peer[0]))
        return peer


def _recorder_of(context: SimpleNamespace) -> PhaseRecorder | None:
    found = getattr(context, "trace_request_ctx", None)
    return found if isinstance(found, PhaseRecorder) else None


async def _on_dns_start(
    _session: aiohttp.ClientSession, context: SimpleNamespace, _params: aiohttp.TraceDnsResolveHostStartParams
) -> None:
    if recorder := _recorder_of(context):
        recorder.dns_start = perf_counter()


async def _on_dns_end(
    _session: aiohttp.ClientSession, context: SimpleNamespace, _params: aiohttp.TraceDnsResolveHostEndParams
) -> None:
    if recorder := _recorder_of(context):
        recorder.dns_end = perf_counter()


async def _on_connection_ready(
    _session: aiohttp.ClientSession,
    context: SimpleNamespace,
    _params: aiohttp.TraceConnectionCreateEndParams,
) -> None:
    if recorder := _recorder_of(context):
        recorder.connection_ready = perf_counter()


async def _on_request_sent(
    _session: aiohttp.ClientSession,
    context: SimpleNamespace,
    _params: aiohttp.TraceRequestHeadersSentParams,
) -> None:
    if recorder := _recorder_of(context):
        recorder.request_sent = perf_counter()


def make_trace_config() -> aiohttp.TraceConfig:
    """One trace configuration shared by every probe; the per-request recorder travels as
    ``trace_request_ctx``."""
    config = aiohttp.TraceConfig()
    config.on_dns_resolvehost_start.append(_on_dns_start)
    config.on_dns_resolvehost_end.append(_on_dns_end)
    config.on_connection_create_end.append(_on_connection_ready)
    config.on_request_headers_sent.append(_on_request_sent)
    config.freeze()
    return config


TRACE_CONFIG = make_trace_config()
