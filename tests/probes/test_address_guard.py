"""The SSRF address classifier and guard, address by address."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.probes.servers import StaticResolver
from veilleur.probes.guard import (
    NEVER_ALLOWED,
    PRIVATE,
    AddressGuard,
    GuardedResolver,
    IPNetwork,
    allow_private_from_env,
    classify_address,
)
from veilleur.probes.outcome import BlockedAddressError


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("fec0::1", "private"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("fe80::1%2", "link-local"),
        ("100.64.0.1", "shared (carrier-grade NAT)"),
        ("100.127.255.255", "shared (carrier-grade NAT)"),
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("100.100.100.200", "cloud metadata"),
        ("169.254.170.2", "cloud metadata"),
        ("169.254.170.23", "cloud metadata"),
        ("fd00:ec2::23", "cloud metadata"),
        ("192.0.0.192", "cloud metadata"),
        ("168.63.129.16", "cloud metadata"),
        ("169.254.169.253", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("ff02::1", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("240.0.0.1", "reserved"),
        ("192.0.2.10", "reserved"),
        ("198.18.0.1", "reserved"),
        ("2001:db8::1", "reserved"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("::ffff:10.1.2.3", "private"),
        ("::ffff:169.254.169.254", "cloud metadata"),
        ("64:ff9b::a9fe:a9fe", "cloud metadata"),  # NAT64 of 169.254.169.254
        ("64:ff9b::7f00:1", "loopback"),
        ("2002:7f00:1::1", "loopback"),  # 6to4 of 127.0.0.1
        ("2002:c0a8:101::1", "private"),
        ("::127.0.0.1", "reserved"),  # deprecated IPv4-compatible form
    ],
)
def test_non_public_addresses_are_classified(address: str, reason: str) -> None:
    refusal = classify_address(ipaddress.ip_address(address))
    assert refusal is not None and refusal.reason == reason


@pytest.mark.parametrize(
    "address",
    [
        "93.184.216.34",
        "1.1.1.1",
        "8.8.8.8",
        "172.15.255.255",
        "172.32.0.0",
        "100.63.255.255",
        "100.128.0.0",
        "169.253.255.255",
        "192.169.0.1",
        "2a00:1450:4007:80e::200e",
        "2606:4700:4700::1111",
        "::ffff:93.184.216.34",
        "64:ff9b::5db8:d822",  # NAT64 of a public address
        "2002:5db8:d822::1",
    ],
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert classify_address(ipaddress.ip_address(address)) is None
    assert AddressGuard().refusal(address) is None


def _address_in(network: IPNetwork, offset: int) -> str:
    return str(network.network_address + offset % network.num_addresses)


@given(index=st.integers(min_value=0, max_value=len(PRIVATE) - 1), offset=st.integers(min_value=0))
def test_every_private_address_is_refused_unless_allowed(index: int, offset: int) -> None:
    network, _reason = PRIVATE[index]
    address = _address_in(network, offset)
    assert AddressGuard(allow_private=False).refusal(address) is not None
    if network.version == 4:
        assert AddressGuard(allow_private=False).refusal(f"::ffff:{address}") is not None


@given(index=st.integers(min_value=0, max_value=len(NEVER_ALLOWED) - 1), offset=st.integers(min_value=0))
def test_metadata_unspecified_and_multicast_are_refused_even_when_private_is_allowed(
    index: int, offset: int
) -> None:
    network, _reason = NEVER_ALLOWED[index]
    assert AddressGuard(allow_private=True).refusal(_address_in(network, offset)) is not None


@given(offset=st.integers(min_value=0, max_value=2**24 - 1))
def test_all_of_loopback_is_refused(offset: int) -> None:
    address = str(ipaddress.IPv4Address("127.0.0.0") + offset)
    refusal = AddressGuard().refusal(address)
    assert refusal is not None and refusal.reason == "loopback"


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",  # instance metadata
        "169.254.170.2",  # container credentials
        "169.254.170.23",  # pod identity
        "169.254.169.123",  # time service
        "169.254.1.1",
        "fd00:ec2::254",
        "fd00:ec2::23",
        "fe80::a9fe:a9fe",
        "100.100.100.200",
        "::ffff:169.254.170.2",
        "64:ff9b::a9fe:aa02",  # NAT64 of 169.254.170.2
    ],
)
def test_the_metadata_family_stays_refused_and_its_message_never_offers_the_setting(address: str) -> None:
    guard = AddressGuard(allow_private=True)
    refusal = guard.refusal(address)
    assert refusal is not None and not refusal.overridable
    with pytest.raises(BlockedAddressError) as raised:
        guard.check(address, address)
    assert "VEILLEUR_ALLOW_PRIVATE_TARGETS" not in raised.value.message
    assert raised.value.message.endswith("(never allowed)")


def test_a_private_refusal_names_the_setting_that_lifts_it() -> None:
    with pytest.raises(BlockedAddressError) as raised:
        AddressGuard().check("10.0.0.1", "10.0.0.1")
    assert "VEILLEUR_ALLOW_PRIVATE_TARGETS=1 allows them" in raised.value.message


def test_allowing_private_targets_allows_loopback_and_private_ranges() -> None:
    guard = AddressGuard(allow_private=True)
    for address in ("127.0.0.1", "::1", "10.0.0.1", "192.168.0.10", "fd12::1", "100.64.1.1"):
        assert guard.refusal(address) is None


def test_exempt_networks_are_allowed_and_nothing_else() -> None:
    guard = AddressGuard(exempt_networks=(ipaddress.ip_network("::1/128"),))
    assert guard.refusal("::1") is None
    assert guard.refusal("127.0.0.1") is not None


def test_a_literal_host_is_judged_and_a_name_is_left_to_the_resolver() -> None:
    guard = AddressGuard()
    with pytest.raises(BlockedAddressError) as raised:
        guard.check_literal_host("[::1]")
    assert raised.value.message.startswith("refused to connect to ::1: loopback address")
    guard.check_literal_host("example.com")  # resolved, then judged, later


def test_the_resolver_keeps_only_allowed_addresses() -> None:
    inner = StaticResolver({"mixed.test": ["10.0.0.1", "93.184.216.34", "::1", "2606:4700::1"]})
    found = asyncio.run(GuardedResolver(AddressGuard(), inner).resolve("mixed.test", 443))
    assert [entry["host"] for entry in found] == ["93.184.216.34", "2606:4700::1"]


def test_the_resolver_refuses_a_name_with_only_private_addresses() -> None:
    inner = StaticResolver({"intranet.test": ["192.168.1.5", "fd00::5"]})
    with pytest.raises(BlockedAddressError) as raised:
        asyncio.run(GuardedResolver(AddressGuard(), inner).resolve("intranet.test", 80))
    assert raised.value.address == "192.168.1.5" and raised.value.reason == "private"
    assert "intranet.test (192.168.1.5)" in raised.value.message


@pytest.mark.parametrize(
    ("value", "allowed"),
    [("1", True), ("true", True), ("yes", True), ("0", False), ("", False), ("no", False)],
)
def test_allow_private_from_env(monkeypatch: pytest.MonkeyPatch, value: str, allowed: bool) -> None:
    monkeypatch.setenv("VEILLEUR_ALLOW_PRIVATE_TARGETS", value)
    assert allow_private_from_env() is allowed


def test_allow_private_from_env_defaults_to_refusing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VEILLEUR_ALLOW_PRIVATE_TARGETS", raising=False)
    assert allow_private_from_env() is False
