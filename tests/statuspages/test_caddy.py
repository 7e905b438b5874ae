"""Caddy in front of Veilleur with on-demand TLS: a certificate is issued for a verified custom
domain, and only for one, because Caddy asks ``/internal/tls-allowed`` first.

Veilleur's web role runs as a real process on the test database, Caddy (Debian's, 2.6) with
the ``tls internal`` variant of docs/status-pages.md: its own local CA, no ACME, everything on
loopback ports picked by the system.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.checker.roles import role_env
from tests.statuspages.test_domains import create_page
from veilleur.accounts.models import Agency

pytestmark = pytest.mark.django_db(transaction=True)

VERIFIED = "status.boulangerie.example"
UNVERIFIED = "status.fleuriste.example"
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def caddy_path() -> str:
    """Debian's Caddy; these tests are skipped without it, except under CI where they must run."""
    path = shutil.which("caddy")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Caddy is required under CI=true (apt-get install caddy)")
        pytest.skip("Caddy is not installed (apt-get install caddy)")
    return path


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until(ready: Callable[[], bool], process: subprocess.Popen[bytes], log: Path, what: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited with {process.returncode}:\n{log.read_text()}")
        if ready():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not start:\n{log.read_text()}")


def answers_http(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:  # refused, reset, or slow to answer while the process starts (a timeout)
        return False


def accepts_tcp(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def veilleur_web(tmp_path: Path) -> Iterator[int]:
    """``veilleur web`` on a free port, on the test's database."""
    port = free_port()
    log = tmp_path / "web.log"
    command = [sys.executable, "-m", "veilleur.cli", "web", "--no-migrate", "--workers", "1"]
    with log.open("ab") as output:
        process = subprocess.Popen(
            [*command, "--bind", f"127.0.0.1:{port}"],
            # Its own HOME: gunicorn keeps a control socket there.
            env=role_env(VEILLEUR_BASE_URL=f"http://127.0.0.1:{port}", HOME=str(tmp_path)),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(lambda: answers_http(f"http://127.0.0.1:{port}/healthz"), process, log, "veilleur web")
        yield port
    finally:
        stop(process)


@dataclass(frozen=True)
class Caddy:
    https_port: int
    storage: Path

    @property
    def root_certificate(self) -> Path:
        return self.storage / "pki" / "authorities" / "local" / "root.crt"

    def issued_for(self, domain: str) -> bool:
        return (self.storage / "certificates" / "local" / domain / f"{domain}.crt").exists()


def caddyfile(*, storage: Path, http_port: int, https_port: int, veilleur_port: int) -> str:
    """The ``tls internal`` variant of the Caddyfile in docs/status-pages.md, on loopback ports."""
    return f"""\
{{
	admin off
	storage file_system {storage}
	skip_install_trust
	auto_https disable_redirects
	http_port {http_port}
	https_port {https_port}
	on_demand_tls {{
		ask http://127.0.0.1:{veilleur_port}/internal/tls-allowed
	}}
}}

https:// {{
	bind 127.0.0.1
	tls internal {{
		on_demand
	}}
	reverse_proxy 127.0.0.1:{veilleur_port}
}}
"""


@pytest.fixture
def caddy(caddy_path: str, veilleur_web: int, tmp_path: Path) -> Iterator[Caddy]:
    home = tmp_path / "caddy"
    storage = home / "storage"
    home.mkdir()
    https_port = free_port()
    config = home / "Caddyfile"
    config.write_text(
        caddyfile(storage=storage, http_port=free_port(), https_port=https_port, veilleur_port=veilleur_web)
    )
    log = home / "caddy.log"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        # Caddy keeps nothing of its own outside the test's directory.
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
    }
    with log.open("ab") as output:
        process = subprocess.Popen(
            [caddy_path, "run", "--config", str(config), "--adapter", "caddyfile"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        caddy = Caddy(https_port, storage)
        # The local CA is made while the configuration loads, before the port opens.
        wait_until(lambda: accepts_tcp(https_port) and caddy.root_certificate.exists(), process, log, "caddy")
        yield caddy
    finally:
        stop(process)


def handshake(caddy: Caddy, server_name: str, context: ssl.SSLContext) -> dict[str, object]:
    with (
        socket.create_connection(("127.0.0.1", caddy.https_port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=server_name) as tls,
    ):
        return dict(tls.getpeercert() or {})


def trusting_caddy_root(caddy: Caddy) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(caddy.root_certificate))


def unverified_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@pytest.fixture
def pages(agency: Agency) -> None:
    create_page(agency, "boulangerie", VERIFIED, verified=True)
    create_page(agency, "fleuriste", UNVERIFIED)


def test_certificate_only_for_a_verified_domain(pages: None, caddy: Caddy) -> None:
    with pytest.raises(ssl.SSLError):
        handshake(caddy, UNVERIFIED, unverified_context())
    assert not caddy.issued_for(UNVERIFIED)

    # Issued by Caddy's local CA for the name asked: Python checks both during the handshake.
    certificate = handshake(caddy, VERIFIED, trusting_caddy_root(caddy))
    assert ("DNS", VERIFIED) in certificate["subjectAltName"]  # type: ignore[operator]
    assert caddy.issued_for(VERIFIED)

    # Asking again still gets nothing for the unverified name.
    with pytest.raises(ssl.SSLError):
        handshake(caddy, UNVERIFIED, unverified_context())
    assert not caddy.issued_for(UNVERIFIED)


def test_the_verified_domain_serves_its_status_page_through_caddy(pages: None, caddy: Caddy) -> None:
    context = trusting_caddy_root(caddy)
    connection = http.client.HTTPSConnection(VERIFIED, caddy.https_port, context=context, timeout=10)
    # Connect to Caddy on loopback while presenting the domain (SNI and Host), as a visitor's
    # browser does once the domain's DNS points at the agency's host.
    connection.sock = context.wrap_socket(
        socket.create_connection(("127.0.0.1", caddy.https_port), timeout=10), server_hostname=VERIFIED
    )
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        body = response.read().decode()
    finally:
        connection.close()
    assert response.status == 200, body[:500]
    assert "Boulangerie status" in body
