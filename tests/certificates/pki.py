"""Certificates made for the certificate checks: a test CA with an intermediate, and the leaves a
careless or dated server presents (weak key, SHA-1, short lives, wrong name, self-signed).

Built with ``cryptography`` directly where trustme has no knob (key size, signature hash); the
TLS servers that present them are real, on 127.0.0.1 (see ``tls_server``).
"""

from __future__ import annotations

import asyncio
import ssl
import tempfile
import threading
import warnings
from collections.abc import AsyncIterator, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from tests.probes.servers import OK_RESPONSE

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
NAMES = ("localhost", "127.0.0.1")


@dataclass(frozen=True)
class Issued:
    certificate: x509.Certificate
    key: PrivateKey

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Veilleur Test"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def issue(
    common_name: str,
    *,
    issuer: Issued | None = None,
    names: Sequence[str] = NAMES,
    key: PrivateKey | None = None,
    digest: hashes.HashAlgorithm | None = None,
    not_before: datetime | None = None,
    lifetime: timedelta = timedelta(days=90),
    ca: bool = False,
) -> Issued:
    """A certificate for ``names`` (or a CA when ``ca``), signed by ``issuer`` (itself when none)."""
    import ipaddress

    key = key or ec.generate_private_key(ec.SECP256R1())
    start = not_before or datetime.now(UTC) - timedelta(hours=1)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer.certificate.subject if issuer else _name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + lifetime)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
        builder = builder.add_extension(usage, critical=True)
    else:
        alt: list[x509.GeneralName] = []
        for name in names:
            try:
                alt.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                alt.append(x509.DNSName(name))
        builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
    signer = issuer.key if issuer else key
    certificate = builder.sign(signer, hashes.SHA256())
    if digest is not None and digest.name == "sha1":
        certificate = _signed_with_sha1(certificate, signer)
    return Issued(certificate, key)


# cryptography no longer signs certificates with SHA-1, which is the point of this test data: the
# certificate it made with SHA-256 is signed again with SHA-1, rewriting its two algorithm fields.
_SHA1_ALGORITHMS = {
    "ec": bytes.fromhex("300906072a8648ce3d0401"),  # ecdsa-with-SHA1
    "rsa": bytes.fromhex("300d06092a864886f70d0101050500"),  # sha1WithRSAEncryption
}


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _children(der: bytes) -> list[bytes]:
    """The encoded elements inside a DER SEQUENCE."""

    def header(at: int) -> tuple[int, int]:  # (content start, content length)
        first = der[at + 1]
        if first < 0x80:
            return at + 2, first
        count = first & 0x7F
        return at + 2 + count, int.from_bytes(der[at + 2 : at + 2 + count], "big")

    start, size = header(0)
    found, at = [], start
    while at < start + size:
        content, length = header(at)
        found.append(der[at : content + length])
        at = content + length
    return found


def _signed_with_sha1(certificate: x509.Certificate, signer: PrivateKey) -> x509.Certificate:
    from cryptography.hazmat.primitives.asymmetric import padding

    tbs_fields = _children(certificate.tbs_certificate_bytes)
    which = "rsa" if isinstance(signer, rsa.RSAPrivateKey) else "ec"
    algorithm = _SHA1_ALGORITHMS[which]
    position = 1 if tbs_fields[0][0] == 0xA0 else 0  # after the optional version: serial, then it
    tbs_fields[position + 1] = algorithm
    tbs = _der(0x30, b"".join(tbs_fields))
    if isinstance(signer, rsa.RSAPrivateKey):
        signature = signer.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    else:
        signature = signer.sign(tbs, ec.ECDSA(hashes.SHA1()))
    der = _der(0x30, tbs + algorithm + _der(0x03, b"\x00" + signature))
    return x509.load_der_x509_certificate(der)


@dataclass(frozen=True)
class CertPki:
    root: Issued
    intermediate: Issued
    ca_file: Path

    def client_context(self) -> ssl.SSLContext:
        from veilleur.probes.http import make_tls_context

        return make_tls_context(self.ca_file)

    def leaf(self, common_name: str = "localhost", **options: object) -> Issued:
        return issue(common_name, issuer=self.intermediate, **options)  # type: ignore[arg-type]


def make_pki(directory: Path) -> CertPki:
    root = issue("Veilleur Test Root", ca=True, lifetime=timedelta(days=3650))
    intermediate = issue("Veilleur Test Intermediate", issuer=root, ca=True, lifetime=timedelta(days=1000))
    ca_file = directory / "roots.pem"
    ca_file.write_bytes(root.pem)
    return CertPki(root, intermediate, ca_file)


def server_context(leaf: Issued, chain: Sequence[Issued] = (), *, legacy: bool = False) -> ssl.SSLContext:
    """A server context presenting ``leaf`` then ``chain``. At the lowest security level, so
    that this machine's OpenSSL agrees to present a weak key or an SHA-1 signature; ``legacy``
    also accepts TLS 1.0 and 1.1, as an old server does."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    if legacy:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
    with tempfile.TemporaryDirectory() as directory:
        cert_file, key_file = Path(directory) / "cert.pem", Path(directory) / "key.pem"
        cert_file.write_bytes(leaf.pem + b"".join(item.pem for item in chain))
        key_file.write_bytes(leaf.key_pem)
        context.load_cert_chain(cert_file, key_file)
    return context


@dataclass
class TlsServer:
    """A TLS server on 127.0.0.1 answering every request with a small page; its certificate can
    be swapped while it runs (a renewal: new connections get the new one)."""

    context: ssl.SSLContext
    port: int = 0

    def swap(self, context: ssl.SSLContext) -> None:
        self.context = context


@asynccontextmanager
async def tls_server(context: ssl.SSLContext) -> AsyncIterator[TlsServer]:
    state = TlsServer(context)

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(OK_RESPONSE)
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.transport.abort()

    def by_name(ssl_object: ssl.SSLObject, _name: str | None, _context: ssl.SSLContext) -> None:
        ssl_object.context = state.context  # the current certificate, for every new connection

    context.sni_callback = by_name
    server = await asyncio.start_server(on_connect, "127.0.0.1", 0, ssl=context)
    state.port = server.sockets[0].getsockname()[1]
    try:
        yield state
    finally:
        server.close()


class BackgroundTlsServer:
    """A TLS server on 127.0.0.1 in a thread of its own, for code that runs its own event loop
    (the worker's job). ``restart`` serves another certificate on the same port, as a server
    restarted after a renewal does."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> BackgroundTlsServer:
        self._thread.start()
        self._call(self._start())
        return self

    def __exit__(self, *_exc: object) -> None:
        self._call(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def restart(self, context: ssl.SSLContext) -> None:
        self._call(self._stop())
        self.context = context
        self._call(self._start())

    def _call(self, work: Coroutine[object, object, None]) -> None:
        asyncio.run_coroutine_threadsafe(work, self._loop).result(10)

    async def _start(self) -> None:
        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(OK_RESPONSE)
                await writer.drain()
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                pass
            finally:
                writer.transport.abort()

        self._server = await asyncio.start_server(
            on_connect, "127.0.0.1", self.port, ssl=self.context, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
