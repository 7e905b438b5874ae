"""HTTPS checks and certificate inspection against loopback servers with test certificates."""

from __future__ import annotations

import asyncio
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.probes.conftest import Pki
from tests.probes.servers import StaticResolver, answer_ok, closed_port, http_server, raw_server
from tests.probes.test_http_probe import page, run_probe
from veilleur.probes import CertificateInfo, ErrorClass, ProbeFailure, ProbeOutcome, inspect_certificate


def serve_page(app: web.Application) -> None:
    app.router.add_get("/", page("secure hello"))


async def https_probe(pki: Pki, server_context: ssl.SSLContext, host: str = "localhost") -> ProbeOutcome:
    async with http_server(serve_page, ssl_context=server_context) as port:
        return await run_probe(
            f"https://{host}:{port}/",
            tls_context=pki.client_context,
            resolver=StaticResolver({"localhost": ["127.0.0.1"]}),
            keyword="secure hello",
        )


def test_a_healthy_https_page_times_tls_apart_from_tcp(pki: Pki) -> None:
    outcome = asyncio.run(https_probe(pki, pki.good))
    assert outcome.ok, outcome.message
    phases = outcome.timings
    measured = [phases.dns_ms, phases.connect_ms, phases.tls_ms, phases.ttfb_ms, phases.download_ms]
    assert all(value is not None and value > 0 for value in measured)
    assert sum(value for value in measured if value is not None) <= phases.total_ms
    assert outcome.peer_ip == "127.0.0.1"


def test_an_ip_literal_https_url_verifies_against_the_ip_in_the_certificate(pki: Pki) -> None:
    outcome = asyncio.run(https_probe(pki, pki.good, host="127.0.0.1"))
    assert outcome.ok, outcome.message
    assert outcome.timings.dns_ms is None


@pytest.mark.parametrize(
    ("which", "error_class", "detail"),
    [
        ("expired", ErrorClass.TLS_EXPIRED, "certificate has expired"),
        ("unknown_ca", ErrorClass.TLS_UNTRUSTED, "unable to get local issuer certificate"),
        ("wrong_host", ErrorClass.TLS_HOSTNAME, "Hostname mismatch"),
    ],
)
def test_certificate_problems_have_their_own_class(
    pki: Pki, which: str, error_class: ErrorClass, detail: str
) -> None:
    outcome = asyncio.run(https_probe(pki, getattr(pki, which)))
    assert outcome.error_class is error_class
    assert detail in outcome.message
    assert outcome.status is None and outcome.timings.tls_ms is None


def self_signed_context(directory: Path) -> ssl.SSLContext:
    """A server certificate that is its own issuer, as made by a hurried ``openssl req -x509``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "self.pem", directory / "self.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


def test_a_self_signed_certificate_is_untrusted(pki: Pki, tmp_path: Path) -> None:
    outcome = asyncio.run(https_probe(pki, self_signed_context(tmp_path)))
    assert outcome.error_class is ErrorClass.TLS_UNTRUSTED
    assert "self-signed certificate" in outcome.message


async def inspect(pki: Pki, server_context: ssl.SSLContext, host: str = "localhost") -> CertificateInfo:
    async with http_server(serve_page, ssl_context=server_context) as port:
        return await inspect_certificate(
            host,
            port,
            tls_context=pki.client_context,
            timeout=3.0,
            allow_private=True,
            resolver=StaticResolver({"localhost": ["127.0.0.1"]}),
        )


def test_inspecting_a_good_certificate(pki: Pki) -> None:
    info = asyncio.run(inspect(pki, pki.good))
    now = datetime.now(UTC)
    assert info.verified and info.verify_error is None and info.verify_error_class is None
    assert info.subject_cn == "localhost" and info.subject.startswith("CN=localhost,")
    assert info.sans == ("localhost", "127.0.0.1", "::1")
    assert "Veilleur Test CA" in info.issuer
    assert info.not_before <= now < info.not_after
    assert info.not_after.tzinfo is not None and info.not_after.utcoffset() == timedelta(0)
    assert info.days_until_expiry > 300
    assert int(info.serial, 16) > 0 and len(info.fingerprint_sha256) == 64
    assert info.protocol == "TLSv1.3"
    assert info.peer_ip == "127.0.0.1" and info.host == "localhost"


@pytest.mark.parametrize(
    ("which", "error_class", "reason"),
    [
        ("expired", ErrorClass.TLS_EXPIRED, "certificate has expired"),
        ("unknown_ca", ErrorClass.TLS_UNTRUSTED, "unable to get local issuer certificate"),
        (
            "wrong_host",
            ErrorClass.TLS_HOSTNAME,
            "Hostname mismatch, certificate is not valid for 'localhost'.",
        ),
    ],
)
def test_inspecting_a_bad_certificate_still_reads_it(
    pki: Pki, which: str, error_class: ErrorClass, reason: str
) -> None:
    info = asyncio.run(inspect(pki, getattr(pki, which)))
    assert not info.verified
    assert info.verify_error == reason and info.verify_error_class is error_class
    assert info.subject_cn in ("localhost", "other.example") and info.sans and info.serial
    assert info.protocol == "TLSv1.3"
    if which == "expired":
        assert info.days_until_expiry in (-3, -2)
        assert info.not_after < datetime.now(UTC)
    if which == "wrong_host":
        assert info.sans == ("other.example",)


def test_inspecting_by_ip_literal(pki: Pki) -> None:
    info = asyncio.run(inspect(pki, pki.good, host="127.0.0.1"))
    assert info.verified and info.host == "127.0.0.1"


def test_inspection_is_guarded_like_the_probe() -> None:
    async def scenario() -> tuple[ProbeFailure, int]:
        async with raw_server(answer_ok) as server:
            with pytest.raises(ProbeFailure) as raised:
                await inspect_certificate(
                    "127.0.0.1",
                    server.port,
                    tls_context=ssl.create_default_context(),
                    timeout=2,
                    allow_private=False,
                )
            return raised.value, server.connections

    failure, connections = asyncio.run(scenario())
    assert failure.error_class is ErrorClass.BLOCKED_ADDRESS and connections == 0


def test_inspecting_a_closed_port_is_refused(pki: Pki) -> None:
    with pytest.raises(ProbeFailure) as raised:
        asyncio.run(
            inspect_certificate(
                "127.0.0.1", closed_port(), tls_context=pki.client_context, timeout=2, allow_private=True
            )
        )
    assert raised.value.error_class is ErrorClass.REFUSED


def test_inspecting_a_server_that_never_answers_times_out(pki: Pki) -> None:
    async def silent(_reader: asyncio.StreamReader, _writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    async def scenario() -> ProbeFailure:
        async with raw_server(silent) as server:
            with pytest.raises(ProbeFailure) as raised:
                await inspect_certificate(
                    "127.0.0.1", server.port, tls_context=pki.client_context, timeout=0.3, allow_private=True
                )
            return raised.value

    failure = asyncio.run(scenario())
    assert failure.error_class is ErrorClass.TIMEOUT
    assert failure.message == "timed out reading the TLS certificate (limit 0.3 s)"


def test_https_to_a_plain_http_server_is_another_tls_error(pki: Pki) -> None:
    async def plain_http(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()

    async def scenario() -> ProbeOutcome:
        async with raw_server(plain_http) as server:
            return await run_probe(f"https://127.0.0.1:{server.port}/", tls_context=pki.client_context)

    outcome = asyncio.run(scenario())
    assert outcome.error_class is ErrorClass.TLS_OTHER
    assert outcome.message.startswith("TLS handshake failed (")
