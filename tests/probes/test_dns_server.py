"""Host names resolved through a chosen DNS server (VEILLEUR_CHECKER_DNS_SERVER), on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.checker.loopback_dns import Resolver
from tests.targets import Target
from veilleur.probes.dns_server import ServerResolver
from veilleur.probes.http import make_tls_context, probe
from veilleur.probes.outcome import ErrorClass, ProbeOutcome, ProbeRequest


@pytest.fixture
def resolver() -> Iterator[Resolver]:
    server = Resolver()
    yield server
    server.stop()


def check(url: str, resolver: Resolver, allow_private: bool = True) -> ProbeOutcome:
    request = ProbeRequest(url=url, total_timeout=5.0, connect_timeout=5.0)
    answers = ServerResolver(resolver.server, lifetime=0.5)
    return asyncio.run(
        probe(request, tls_context=make_tls_context(), allow_private=allow_private, resolver=answers)
    )


def test_a_name_is_resolved_by_the_chosen_server(target: Target, resolver: Resolver) -> None:
    outcome = check(f"http://boulangerie.test:{target.port}/", resolver)
    assert outcome.ok and outcome.peer_ip == "127.0.0.1"


def test_a_name_the_server_does_not_know_is_a_dns_failure(target: Target, resolver: Resolver) -> None:
    resolver.missing.add("lapsed.test")
    outcome = check(f"http://lapsed.test:{target.port}/", resolver)
    assert outcome.error_class is ErrorClass.DNS
    assert outcome.message.startswith("could not resolve the host name")


def test_a_server_that_stops_answering_is_a_dns_failure(target: Target, resolver: Resolver) -> None:
    resolver.answering = False
    outcome = check(f"http://boulangerie.test:{target.port}/", resolver)
    assert outcome.error_class is ErrorClass.DNS
    assert "did not answer" in outcome.message
    assert target.hits == 0


def test_its_answers_still_go_through_the_address_guard(target: Target, resolver: Resolver) -> None:
    outcome = check(f"http://boulangerie.test:{target.port}/", resolver, allow_private=False)
    assert outcome.error_class is ErrorClass.BLOCKED_ADDRESS
    assert target.hits == 0
