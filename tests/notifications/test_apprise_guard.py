"""Every Apprise service's connections pass the SSRF guard: self-hosted services (ntfy, Gotify,
Mattermost, …) aimed at loopback or metadata addresses never reach them, and services whose
connections Veilleur cannot see are refused."""

from __future__ import annotations

import importlib
import pkgutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import apprise
import apprise.plugins
import pytest

from veilleur.notifications.apprise_target import (
    UNGUARDED_PLUGIN_FAMILIES,
    AppriseFailed,
    check_apprise_url,
    notify_apprise,
)

from .receiver import Receiver

SELF_HOSTED = [
    "ntfy://{host}:{port}/alerts",
    "gotify://{host}:{port}/AbCdEfGhIjKlMnO",
    "mmost://{host}:{port}/abcdefghijklmnopqrstuvwxyz",
    "json://{host}:{port}/hook",
]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
@pytest.mark.parametrize("template", SELF_HOSTED)
def test_self_hosted_services_on_loopback_are_refused_and_never_reached(
    receiver: Receiver, template: str, host: str
) -> None:
    url = template.format(host=host, port=receiver.port)
    check_apprise_url(url)  # a valid URL: it is the address that is refused

    with pytest.raises(AppriseFailed, match=r"refused to connect to .*loopback address"):
        notify_apprise(url, "Down", "The shop is down", allow_private=False)

    assert receiver.requests() == []


@pytest.mark.parametrize("template", SELF_HOSTED)
def test_the_same_services_reach_loopback_once_private_targets_are_allowed(
    receiver: Receiver, template: str
) -> None:
    url = template.format(host="127.0.0.1", port=receiver.port)
    try:
        notify_apprise(url, "Down", "The shop is down", allow_private=True)
    except AppriseFailed as failed:  # the receiver's plain answer may not please the service
        assert "refused" not in str(failed)
    assert len(receiver.requests()) == 1


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


@pytest.mark.parametrize(
    "url",
    [
        "ntfy://169.254.169.254/latest",
        "ntfy://169.254.170.2/v2",
        "gotify://[fd00:ec2::254]/AbCdEfGhIjKlMnO",
        "mmost://100.100.100.200/abcdefghijklmnopqrstuvwxyz",
    ],
)
def test_metadata_addresses_stay_refused_when_private_targets_are_allowed(
    connect_spy: list[Any], url: str
) -> None:
    with pytest.raises(AppriseFailed) as failed:
        notify_apprise(url, "Down", "The shop is down", allow_private=True)
    assert "never allowed" in str(failed.value)
    assert "VEILLEUR_ALLOW_PRIVATE_TARGETS" not in str(failed.value)
    assert connect_spy == []


@pytest.mark.parametrize(
    "url",
    [
        "mailto://user:secret@mail.example.com",
        "ircs://veilleur@irc.example.com/#ops",
        "syslog://",
        "rsyslog://logs.example.com",
        "aprs://CALLSIGN:12345@CALL1",
    ],
)
def test_services_that_connect_on_their_own_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="is not allowed: this Apprise service makes connections"):
        check_apprise_url(url)
    with pytest.raises(AppriseFailed, match="cannot be checked"):
        notify_apprise(url, "Down", "The shop is down", allow_private=True)


# Signs that a plugin opens connections without urllib3, or acts on this machine.
RAW_NETWORK_MARKERS = (
    "smtplib",
    "socket.socket(",
    "SocketTransport",
    "paho",
    "HTTPPolicy",
    "import syslog",
    "gntp",
    "slixmpp",
    "pika",
    "smpplib",
    "dbus",
    "websocket",
    "subprocess",
)


def _plugin_sources() -> Iterator[tuple[str, str]]:
    for module in pkgutil.walk_packages(apprise.plugins.__path__, "apprise.plugins."):
        family = module.name.removeprefix("apprise.plugins.").split(".", 1)[0]
        spec = importlib.util.find_spec(module.name)
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            continue
        yield family, Path(spec.origin).read_text(encoding="utf-8")


def test_every_plugin_that_opens_its_own_connections_is_in_the_refused_families() -> None:
    # An Apprise upgrade that adds such a service fails here until it is judged.
    unguarded = {
        family
        for family, source in _plugin_sources()
        if any(marker in source for marker in RAW_NETWORK_MARKERS) and family != "base"
    }
    assert unguarded <= UNGUARDED_PLUGIN_FAMILIES, unguarded - UNGUARDED_PLUGIN_FAMILIES
