"""The deep certificate check against real TLS servers on 127.0.0.1 with made-up certificates."""

from __future__ import annotations

import asyncio
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.certificates.pki import CertPki, issue, make_pki, server_context, tls_server
from tests.probes.servers import StaticResolver, raw_server
from veilleur.probes.outcome import ProbeFailure
from veilleur.probes.tls_audit import CertificateAudit, audit_certificate, client_hello, read_first_flight


@pytest.fixture(scope="module")
def test_pki(tmp_path_factory: pytest.TempPathFactory) -> CertPki:
    return make_pki(tmp_path_factory.mktemp("audit-pki"))


async def _audit(pki: CertPki, context: ssl.SSLContext, host: str = "localhost") -> CertificateAudit:
    async with tls_server(context) as server:
        return await audit_certificate(
            host,
            server.port,
            tls_context=pki.client_context(),
            timeout=10,
            allow_private=True,
            resolver=StaticResolver({"localhost": ["127.0.0.1"], "other.example": ["127.0.0.1"]}),
        )


def audit(pki: CertPki, context: ssl.SSLContext, host: str = "localhost") -> CertificateAudit:
    return asyncio.run(_audit(pki, context, host))


def codes(result: CertificateAudit) -> set[str]:
    return {finding.code for finding in result.findings}


def test_a_well_configured_server_has_only_information(test_pki: CertPki) -> None:
    leaf = test_pki.leaf()
    result = audit(test_pki, server_context(leaf, [test_pki.intermediate]))
    assert result.certificate.verified
    assert result.chain_complete is True
    assert [item.subject for item in result.chain] == [
        "CN=localhost,O=Veilleur Test",
        "CN=Veilleur Test Intermediate,O=Veilleur Test",
    ]
    assert result.leaf is not None and result.leaf.key_description == "EC 256"
    assert result.protocols == {"TLSv1": False, "TLSv1.1": False}
    # Python's own servers never staple: that is information, not a problem.
    assert result.stapling.state == "not_stapled"
    assert {finding.severity for finding in result.findings} <= {"info"}
    assert "no_ocsp_stapling" in codes(result)


def test_a_missing_intermediate_is_found(test_pki: CertPki) -> None:
    result = audit(test_pki, server_context(test_pki.leaf()))  # the leaf alone
    assert result.chain_complete is False
    assert not result.certificate.verified
    assert "chain_incomplete" in codes(result)
    assert "untrusted" not in codes(result)  # the incomplete chain is the reason, said once
    finding = next(f for f in result.findings if f.code == "chain_incomplete")
    assert finding.params["issuer"] == "CN=Veilleur Test Intermediate,O=Veilleur Test"


def test_a_weak_key_and_an_sha1_signature_are_found(test_pki: CertPki) -> None:
    weak = test_pki.leaf(key=rsa.generate_private_key(65537, 1024), digest=hashes.SHA1())
    result = audit(test_pki, server_context(weak, [test_pki.intermediate]))
    found = {finding.code: finding for finding in result.findings}
    assert found["weak_key"].params["key"] == "RSA 1024"
    assert found["weak_signature"].params["hash"] == "SHA1"
    assert result.leaf is not None and result.leaf.signature_hash == "sha1"
    assert result.chain_complete is True  # an SHA-1 signature is still followed up the chain


def test_a_self_signed_certificate_is_found(test_pki: CertPki) -> None:
    lone = issue("localhost")
    result = audit(test_pki, server_context(lone))
    assert "self_signed" in codes(result)
    assert "chain_incomplete" not in codes(result)


def test_a_certificate_for_another_name(test_pki: CertPki) -> None:
    result = audit(
        test_pki, server_context(test_pki.leaf(names=["www.example.com"]), [test_pki.intermediate])
    )
    assert "hostname_mismatch" in codes(result)
    assert result.chain_complete is True


def test_an_expired_certificate(test_pki: CertPki) -> None:
    old = test_pki.leaf(not_before=datetime.now(UTC) - timedelta(days=10), lifetime=timedelta(days=7))
    result = audit(test_pki, server_context(old, [test_pki.intermediate]))
    assert "expired" in codes(result)
    assert result.certificate.days_until_expiry < 0


def test_old_protocol_versions_still_accepted_are_found(test_pki: CertPki) -> None:
    result = audit(test_pki, server_context(test_pki.leaf(), [test_pki.intermediate], legacy=True))
    # Where this machine's TLS library cannot offer a version, the audit says so instead.
    for name, code in (("TLSv1", "tls1_0_enabled"), ("TLSv1.1", "tls1_1_enabled")):
        if result.protocols[name] is None:
            assert "protocol_untested" in codes(result)
        else:
            assert result.protocols[name] is True
            assert code in codes(result)


def test_nothing_listening_is_a_probe_failure(test_pki: CertPki, tmp_path: Path) -> None:
    async def nobody() -> None:
        async with raw_server(_close_at_once) as server:
            port = server.port
        await audit_certificate(
            "127.0.0.1", port, tls_context=test_pki.client_context(), timeout=5, allow_private=True
        )

    with pytest.raises(ProbeFailure):
        asyncio.run(nobody())


def test_private_targets_stay_refused_unless_allowed(test_pki: CertPki) -> None:
    async def refused() -> None:
        await audit_certificate(
            "127.0.0.1", 443, tls_context=test_pki.client_context(), timeout=5, allow_private=False
        )

    with pytest.raises(ProbeFailure) as raised:
        asyncio.run(refused())
    assert raised.value.error_class.value == "blocked_address"


async def _close_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()


# --- stapling, read from a server's first flight -----------------------------------------


def _record(kind: int, payload: bytes) -> bytes:
    return bytes([kind, 3, 3]) + len(payload).to_bytes(2, "big") + payload


def _message(kind: int, body: bytes) -> bytes:
    return bytes([kind]) + len(body).to_bytes(3, "big") + body


def _ocsp_response(test_pki: CertPki, leaf_pem: bytes, revoked: bool) -> bytes:
    from cryptography import x509
    from cryptography.x509 import ocsp

    leaf = x509.load_pem_x509_certificate(leaf_pem)
    issuer = test_pki.intermediate
    now = datetime.now(UTC)
    builder = ocsp.OCSPResponseBuilder().add_response(
        cert=leaf,
        issuer=issuer.certificate,
        algorithm=hashes.SHA256(),
        cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
        this_update=now,
        next_update=now + timedelta(days=1),
        revocation_time=now - timedelta(hours=1) if revoked else None,
        revocation_reason=None,
    )
    response = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, issuer.certificate).sign(
        issuer.key, hashes.SHA256()
    )
    return response.public_bytes(serialization.Encoding.DER)


@pytest.mark.parametrize("revoked", [False, True])
def test_a_stapled_response_is_read_from_the_first_flight(test_pki: CertPki, revoked: bool) -> None:
    """A server that staples answers a TLS 1.2 hello with ServerHello, Certificate,
    CertificateStatus, …, ServerHelloDone: written here byte for byte, as a stapling server does."""
    leaf = test_pki.leaf()
    response = _ocsp_response(test_pki, leaf.pem, revoked)
    server_hello = b"\x03\x03" + bytes(32) + b"\x00" + b"\xc0\x2b\x00" + b"\x00\x04\x00\x05\x00\x00"
    certificate = leaf.certificate.public_bytes(
        __import__("cryptography").hazmat.primitives.serialization.Encoding.DER
    )
    certificates = len(certificate).to_bytes(3, "big") + certificate
    flight = (
        _message(2, server_hello)
        + _message(11, len(certificates).to_bytes(3, "big") + certificates)
        + _message(22, b"\x01" + len(response).to_bytes(3, "big") + response)
        + _message(14, b"")
    )
    seen: list[bytes] = []

    async def stapling_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        header = await reader.readexactly(5)
        seen.append(header + await reader.readexactly(int.from_bytes(header[3:5], "big")))
        half = len(flight) // 2  # in two records, as large flights are
        writer.write(_record(22, flight[:half]) + _record(22, flight[half:]))
        await writer.drain()

    async def run() -> tuple[str, str]:
        async with raw_server(stapling_server) as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(client_hello("localhost"))
            result = await read_first_flight(reader)
            writer.close()
            return result.state, result.detail

    assert asyncio.run(run()) == ("stapled", "revoked" if revoked else "good")
    hello = seen[0]
    assert hello[0] == 22 and b"localhost" in hello and b"\x00\x05\x00\x05\x01\x00\x00\x00\x00" in hello


def test_a_server_that_refuses_tls_1_2_leaves_stapling_untested() -> None:
    async def refusing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(5)
        writer.write(_record(21, b"\x02\x46"))  # fatal alert: protocol_version
        await writer.drain()

    async def run() -> str:
        async with raw_server(refusing) as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(client_hello("localhost"))
            result = await read_first_flight(reader)
            writer.close()
            return result.state

    assert asyncio.run(run()) == "untested"
