"""The probe refuses non-public targets before any connection is made.

Loopback targets are real servers that count their connections (which must stay at zero).
Other targets (10.0.0.1, 169.254.169.254, …) must never be dialled from a test run, so there
socket.connect itself is replaced by a spy that refuses and records: if the guard failed, the
test would fail without a packet leaving.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from tests.probes.servers import Handler, StaticResolver, answer_ok, http_server, raw_server
from veilleur.probes import ErrorClass, ProbeOutcome, ProbeRequest, make_tls_context, probe
from veilleur.probes import http as http_module
from veilleur.probes.guard import AddressGuard

CONTEXT = make_tls_context()
LOOPBACK_V6 = (ipaddress.ip_network("::1/128"),)


async def guarded_probe(url: str, resolver: AbstractResolver | None = None, **options: Any) -> ProbeOutcome:
    return await probe(
        ProbeRequest(url, total_timeout=3.0, connect_timeout=3.0),
        tls_context=CONTEXT,
        allow_private=False,
        resolver=resolver,
        **options,
    )


@pytest.fixture
def connect_spy(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every outgoing connect in this process is recorded and refused, never performed."""
    attempts: list[Any] = []

    def refuse(_sock: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise ConnectionRefusedError("connect blocked by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


@pytest.mark.parametrize("url", ["http://127.0.0.1:{port}/", "http://localhost:{port}/"])
def test_loopback_targets_are_refused_without_a_connection(url: str) -> None:
    # "localhost" goes through the system resolver, answered from /etc/hosts.
    async def scenario() -> tuple[ProbeOutcome, int]:
        async with raw_server(answer_ok) as server:
            outcome = await guarded_probe(url.format(port=server.port))
            return outcome, server.connections

    outcome, connections = asyncio.run(scenario())
    assert outcome.error_class is ErrorClass.BLOCKED_ADDRESS and not outcome.ok
    assert "loopback address" in outcome.message
    assert connections == 0
    assert outcome.peer_ip is None and outcome.timings.connect_ms is None


def test_ipv6_loopback_is_refused_without_a_connection() -> None:
    async def scenario() -> tuple[ProbeOutcome, int]:
        async with raw_server(answer_ok, host="::1") as server:
            return await guarded_probe(f"http://[::1]:{server.port}/"), server.connections

    outcome, connections = asyncio.run(scenario())
    assert outcome.error_class is ErrorClass.BLOCKED_ADDRESS
    assert outcome.message.startswith("refused to connect to ::1: loopback address")
    assert connections == 0


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://10.0.0.1/", "private"),
        ("https://192.168.1.1/admin", "private"),
        ("http://[fd00:ec2::254]/", "cloud metadata"),
        ("http://[::ffff:10.0.0.1]/", "private"),
        ("http://100.64.0.1/", "shared (carrier-grade NAT)"),
        ("http://0.0.0.0/", "unspecified"),
    ],
)
def test_private_literals_are_refused_before_any_connect(
    connect_spy: list[Any], url: str, reason: str
) -> None:
    outcome = asyncio.run(guarded_probe(url))
    assert outcome.error_class is ErrorClass.BLOCKED_ADDRESS
    assert f"{reason} address" in outcome.message
    assert connect_spy == []


def test_metadata_stays_refused_when_private_targets_are_allowed(connect_spy: list[Any]) -> None:
    outcome = asyncio.run(
        probe(ProbeRequest("http://169.254.169.254/"), tls_context=CONTEXT, allow_private=True)
    )
    assert outcome.error_class is ErrorClass.BLOCKED_ADDRESS
    assert connect_spy == []


def test_a_name_resolving_to_a_private_address_is_refused_before_any_connect(connect_spy: list[Any]) -> None:
    resolver = StaticResolver({"intranet.test": ["10.1.2.3"]})
    outcome = asyncio.run(guarded_probe("http://intranet.test/", resolver))
    assert outcome.error_class is ErrorClass.BLOCKED_ADDRESS
    assert "intranet.test (10.1.2.3): private address" in outcome.message
    assert resolver.calls == ["intranet.test"]
    assert connect_spy == []


@pytest.mark.parametrize("host", ["2130706433", "127.1", "0x7f.0.0.1", "017700000001"])
def test_odd_spellings_of_loopback_never_connect(host: str) -> None:
    async def scenario() -> tuple[ProbeOutcome, int]:
        async with raw_server(answer_ok) as server:
            return await guarded_probe(f"http://{host}:{server.port}/"), server.connections

    outcome, connections = asyncio.run(scenario())
    assert not outcome.ok
    assert outcome.error_class in (ErrorClass.BLOCKED_ADDRESS, ErrorClass.OTHER), outcome.message
    assert connections == 0


def _redirecting_to(location: str) -> Handler:
    async def handler(_request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": location})

    return handler


@pytest.mark.parametrize("target", ["http://127.0.0.1:{port}/", "http://internal.test:{port}/"])
def test_a_redirect_to_a_private_target_is_refused_at_that_hop(target: str) -> None:
    """The first server stands for a public site (its ::1 address is exempted for the test)."""

    async def scenario() -> tuple[ProbeOutcome, int]:
        async with raw_server(answer_ok) as inside:
            location = target.format(port=inside.port)
            setup = lambda app: app.router.add_get("/", _redirecting_to(location))  # noqa: E731
            async with http_server(setup, host="::1") as port:
                resolver = StaticResolver({"public.test": ["::1"], "internal.test": ["127.0.0.1"]})
                outcome = await guarded_probe(
                    f"http://public.test:{port}/", resolver, exempt_networks=LOOPBACK_V6
                )
            return outcome, inside.connections

    outcome, connections = asyncio.run(scenario())
    assert outcome.error_class is ErrorClass.BLOCKED_ADDRESS
    assert [hop.status for hop in outcome.redirects] == [302]
    assert outcome.final_url.startswith(target.split("{")[0])
    assert connections == 0


def test_a_dns_answer_that_changes_between_hops_is_judged_again() -> None:
    """DNS rebinding: the name first answers with an allowed address, then with loopback. Each
    connection dials exactly what its own lookup returned, after the guard judged it."""

    async def scenario() -> tuple[ProbeOutcome, int, list[str]] | None:
        setup = lambda app: app.router.add_get("/", _redirecting_to("/again"))  # noqa: E731
        async with http_server(setup, host="::1") as port:
            try:
                inside_cm = raw_server_on(port)
                async with inside_cm as inside:
                    resolver = StaticResolver({"flip.test": ["::1"]}, then={"flip.test": ["127.0.0.1"]})
                    outcome = await guarded_probe(
                        f"http://flip.test:{port}/", resolver, exempt_networks=LOOPBACK_V6
                    )
                    return outcome, inside.connections, resolver.calls
            except OSError:
                return None  # the same port number is taken on 127.0.0.1

    result = asyncio.run(scenario())
    if result is None:
        pytest.skip("could not listen on the same port on 127.0.0.1 and ::1")
    outcome, connections, calls = result
    assert calls == ["flip.test", "flip.test"]
    assert outcome.error_class is ErrorClass.BLOCKED_ADDRESS
    assert "flip.test (127.0.0.1): loopback address" in outcome.message
    assert connections == 0


def raw_server_on(port: int) -> Any:
    """A counting server on 127.0.0.1 at a given port (raw_server picks its own)."""

    class _Server:
        connections = 0

        async def __aenter__(self) -> _Server:
            async def on_connect(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                self.connections += 1
                writer.transport.abort()

            self._server = await asyncio.start_server(on_connect, "127.0.0.1", port)
            return self

        async def __aexit__(self, *_exc: object) -> None:
            self._server.close()

    return _Server()


class _UnfilteredResolver(AbstractResolver):
    """A resolver that forgot to filter: stands for a bug in the second line of defence."""

    def __init__(self, _guard: AddressGuard, inner: AbstractResolver | None = None) -> None:
        assert inner is not None
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return await self._inner.resolve(host, port, family)

    async def close(self) -> None:
        return None


def test_the_socket_factory_refuses_even_if_resolution_let_an_address_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(http_module, "GuardedResolver", _UnfilteredResolver)

    async def scenario() -> tuple[ProbeOutcome, int]:
        async with raw_server(answer_ok) as server:
            resolver = StaticResolver({"sneaky.test": ["127.0.0.1"]})
            return await guarded_probe(f"http://sneaky.test:{server.port}/", resolver), server.connections

    outcome, connections = asyncio.run(scenario())
    assert outcome.error_class is ErrorClass.BLOCKED_ADDRESS
    assert connections == 0
