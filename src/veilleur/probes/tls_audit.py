"""The deep certificate check: what a browser would object to, and what will soon be a problem.

Run daily per HTTPS host of a site on a plan with certificate monitoring, and as soon as the
checks see a different certificate. Every connection goes to one address vetted by the SSRF
guard (as in ``probes/tls.py``, whose handshakes it reuses):

1. the certificate and its verification, as ``inspect_certificate`` reads them, plus every
   certificate the server sent (the chain);
2. the chain: does it lead from the certificate to a root of the trust store through
   certificates the server sent? A missing intermediate is a finding (browsers that cannot
   fetch it, and most API clients, refuse the site);
3. the key and the signatures: RSA or DSA under 2048 bits, EC under 256 bits, SHA-1 or MD5;
4. the old protocol versions: one handshake pinned to TLS 1.0, one to TLS 1.1, each in a
   context of its own (``@SECLEVEL=0``) used for nothing else. When this machine's TLS library
   cannot even offer a version, that version is reported "could not test", never "refused";
5. OCSP stapling: Python's ``ssl`` cannot read a stapled response, so a TLS 1.2 ClientHello
   asking for one (``status_request``) is written by hand and the server's first flight read
   up to its end (ServerHelloDone): a CertificateStatus message there is a stapled response.
   A server that speaks only TLS 1.3 sends its stapled response encrypted, which this does not
   decrypt: stapling is then reported "could not test". Nothing after the first flight is sent.

Findings are plain data (code, severity, English words, parameters); the Django side words
them in the reader's language and decides which are notified.
"""

from __future__ import annotations

import asyncio
import functools
import os
import ssl
import struct
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp.abc import AbstractResolver
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509 import ocsp

from veilleur.probes.errors import short
from veilleur.probes.guard import AddressGuard, IPNetwork, parse_ip
from veilleur.probes.outcome import ErrorClass
from veilleur.probes.tls import CertificateInfo, read_served

CRITICAL, WARNING, INFO = "critical", "warning", "info"
MIN_RSA_BITS = 2048
MIN_EC_BITS = 256
WEAK_HASHES = frozenset({"sha1", "md5"})
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    LEGACY_VERSIONS = (("TLSv1", ssl.TLSVersion.TLSv1), ("TLSv1.1", ssl.TLSVersion.TLSv1_1))
# The first flight of a server is a few certificates; more than this is not a TLS server.
MAX_FIRST_FLIGHT = 256 * 1024


@dataclass(frozen=True, slots=True)
class Finding:
    code: str  # stable: weak_key, tls1_0_enabled, chain_incomplete, … (see FINDING_CODES)
    severity: str  # critical, warning or info
    words: str  # English, for the command line and logs
    params: dict[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class ChainCertificate:
    subject: str
    issuer: str
    fingerprint_sha256: str
    not_after: datetime
    key_description: str  # "RSA 2048", "EC 256", "Ed25519"
    signature_hash: str  # "sha256", "sha1", "" (Ed25519 and the like)
    self_issued: bool


@dataclass(frozen=True, slots=True)
class Stapling:
    state: str  # "stapled", "not_stapled" or "untested"
    detail: str = ""  # why untested; the stapled response's status ("good", "revoked", "unknown")


@dataclass(frozen=True, slots=True)
class CertificateAudit:
    certificate: CertificateInfo
    chain: tuple[ChainCertificate, ...]  # as sent, leaf first
    chain_complete: bool | None  # None: the chain could not be read
    protocols: dict[str, bool | None]  # "TLSv1" → accepted? (None: could not test)
    stapling: Stapling
    findings: tuple[Finding, ...]

    @property
    def leaf(self) -> ChainCertificate | None:
        return self.chain[0] if self.chain else None


async def audit_certificate(
    host: str,
    port: int = 443,
    *,
    tls_context: ssl.SSLContext,
    timeout: float,
    allow_private: bool,
    resolver: AbstractResolver | None = None,
    exempt_networks: Iterable[IPNetwork] = (),
) -> CertificateAudit:
    """Audit what ``host:port`` serves. Raises ``ProbeFailure`` when no certificate could be read
    at all; each later step that fails on its own is reported "could not test" instead."""
    served = await read_served(
        host,
        port,
        tls_context=tls_context,
        timeout=timeout,
        guard=AddressGuard(allow_private=allow_private, exempt_networks=tuple(exempt_networks)),
        resolver=resolver,
    )
    info, handshake, address, server_name = served.info, served.handshake, served.address, served.server_name
    sent = _load_chain(handshake.chain or (handshake.der,))
    complete = chain_complete(sent, trust_roots(tls_context)) if sent else None
    protocols = {
        name: await _accepts(address, port, server_name, version, timeout)
        for name, version in LEGACY_VERSIONS
    }
    stapling = await _stapling(address, port, server_name, timeout)
    findings = judge(info, sent, complete, protocols, stapling)
    return CertificateAudit(
        certificate=info,
        chain=tuple(_describe(certificate) for certificate in sent),
        chain_complete=complete,
        protocols=protocols,
        stapling=stapling,
        findings=findings,
    )


# --- the judgement -------------------------------------------------------------------------


def judge(
    info: CertificateInfo,
    sent: Sequence[x509.Certificate],
    complete: bool | None,
    protocols: dict[str, bool | None],
    stapling: Stapling,
) -> tuple[Finding, ...]:
    """Every finding, the most serious first."""
    found: list[Finding] = []
    leaf = sent[0] if sent else None
    if info.not_after <= info.checked_at:
        found.append(Finding("expired", CRITICAL, "the certificate has expired"))
    elif info.not_before > info.checked_at:
        found.append(Finding("not_yet_valid", CRITICAL, "the certificate is not valid yet"))
    if info.verify_error_class is ErrorClass.TLS_HOSTNAME:
        found.append(
            Finding(
                "hostname_mismatch", CRITICAL, f"the certificate is not for {info.host}", {"host": info.host}
            )
        )
    if leaf is not None and _self_signed(leaf) and not info.verified:
        found.append(Finding("self_signed", CRITICAL, "the certificate is self-signed"))
    elif complete is False:
        issuer = _last_issuer(sent)
        found.append(
            Finding(
                "chain_incomplete",
                WARNING,
                f"the server does not send the intermediate certificate (issuer {issuer})",
                {"issuer": issuer},
            )
        )
    elif not info.verified and info.verify_error_class is not ErrorClass.TLS_HOSTNAME and not found:
        reason = info.verify_error or "not trusted"
        found.append(
            Finding("untrusted", CRITICAL, f"the certificate is not trusted ({reason})", {"reason": reason})
        )
    found.extend(_weaknesses(sent))
    for name, accepted in protocols.items():
        code = "tls1_0_enabled" if name == "TLSv1" else "tls1_1_enabled"
        if accepted:
            found.append(Finding(code, WARNING, f"the server still accepts {_version_words(name)}"))
        elif accepted is None:
            found.append(
                Finding(
                    "protocol_untested",
                    INFO,
                    f"{_version_words(name)} could not be tested from here",
                    {"version": _version_words(name)},
                )
            )
    if stapling.state == "stapled" and stapling.detail == "revoked":
        found.append(
            Finding("revoked", CRITICAL, "the stapled OCSP response says the certificate is revoked")
        )
    elif stapling.state == "not_stapled":
        found.append(Finding("no_ocsp_stapling", INFO, "the server does not staple an OCSP response"))
    elif stapling.state == "untested":
        found.append(
            Finding("stapling_untested", INFO, f"OCSP stapling could not be tested ({stapling.detail})")
        )
    order = {CRITICAL: 0, WARNING: 1, INFO: 2}
    return tuple(sorted(found, key=lambda finding: order[finding.severity]))


def _weaknesses(sent: Sequence[x509.Certificate]) -> list[Finding]:
    """Weak keys anywhere in the chain sent; weak signatures on all but a self-signed root (whose
    own signature nobody checks). ``leaf`` says which certificate: "1" the site's, "0" another."""
    found: list[Finding] = []
    for position, certificate in enumerate(sent):
        subject = _name(certificate.subject)
        which = "the certificate" if position == 0 else f"the intermediate {subject}"
        about = {"certificate": subject, "leaf": "1" if position == 0 else "0"}
        key = key_description(certificate)
        if _weak_key(certificate):
            found.append(
                Finding("weak_key", WARNING, f"{which} has a weak key ({key})", {"key": key, **about})
            )
        hash_name = signature_hash(certificate)
        if hash_name in WEAK_HASHES and not _self_signed(certificate):
            words = f"{which} is signed with {hash_name.upper()}"
            found.append(Finding("weak_signature", WARNING, words, {"hash": hash_name.upper(), **about}))
    return found


def _version_words(name: str) -> str:
    return name.replace("TLSv1", "TLS 1.0") if name == "TLSv1" else name.replace("TLSv", "TLS ")


def key_description(certificate: x509.Certificate) -> str:
    try:
        key = certificate.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return "unknown"
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.key_size}"
    if isinstance(key, dsa.DSAPublicKey):
        return f"DSA {key.key_size}"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448"
    return "unknown"


def _weak_key(certificate: x509.Certificate) -> bool:
    kind, _, bits = key_description(certificate).partition(" ")
    if kind in ("RSA", "DSA"):
        return int(bits) < MIN_RSA_BITS
    if kind == "EC":
        return int(bits) < MIN_EC_BITS
    return False


def signature_hash(certificate: x509.Certificate) -> str:
    try:
        algorithm = certificate.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return "unknown"
    return algorithm.name if algorithm is not None else ""


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    if certificate.issuer != issuer.subject:
        return False
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, UnsupportedAlgorithm):
        # cryptography no longer verifies SHA-1 or MD5 certificate signatures this way; those
        # are exactly what the audit must still follow through a chain, to report them.
        return _legacy_signature_valid(certificate, issuer)
    except (TypeError, InvalidSignature):
        return False
    return True


def _legacy_signature_valid(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        algorithm = certificate.signature_hash_algorithm
        key = issuer.public_key()
        if algorithm is None:
            return False
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(
                certificate.signature, certificate.tbs_certificate_bytes, padding.PKCS1v15(), algorithm
            )
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(certificate.signature, certificate.tbs_certificate_bytes, ec.ECDSA(algorithm))
        else:
            return False
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _self_signed(certificate: x509.Certificate) -> bool:
    return _issued_by(certificate, certificate)


def chain_complete(sent: Sequence[x509.Certificate], roots: Sequence[x509.Certificate]) -> bool:
    """Whether the certificates sent lead from the first one to a trusted root (or end with a
    self-signed one, which is then judged by trust, not by completeness)."""
    current, unused = sent[0], list(sent[1:])
    for _ in range(len(sent) + 1):
        if _self_signed(current) or any(_issued_by(current, root) for root in roots):
            return True
        issuer = next((candidate for candidate in unused if _issued_by(current, candidate)), None)
        if issuer is None:
            return False
        unused.remove(issuer)
        current = issuer
    return False


def _last_issuer(sent: Sequence[x509.Certificate]) -> str:
    """The issuer the chain stops at: of the last certificate sent that issued the one before."""
    current, unused = sent[0], list(sent[1:])
    while (issuer := next((c for c in unused if _issued_by(current, c)), None)) is not None:
        unused.remove(issuer)
        current = issuer
    return _name(current.issuer)


def _name(name: x509.Name) -> str:
    return short(name.rfc4514_string())


def _describe(certificate: x509.Certificate) -> ChainCertificate:
    return ChainCertificate(
        subject=_name(certificate.subject),
        issuer=_name(certificate.issuer),
        fingerprint_sha256=certificate.fingerprint(hashes.SHA256()).hex().upper(),
        not_after=certificate.not_valid_after_utc,
        key_description=key_description(certificate),
        signature_hash=signature_hash(certificate),
        self_issued=certificate.issuer == certificate.subject,
    )


def _load_chain(ders: Iterable[bytes]) -> list[x509.Certificate]:
    loaded = []
    for der in ders:
        try:
            loaded.append(x509.load_der_x509_certificate(der))
        except ValueError:
            break  # the rest of a chain after an unreadable certificate cannot be followed
    return loaded


@functools.lru_cache(maxsize=8)
def trust_roots(tls_context: ssl.SSLContext) -> tuple[x509.Certificate, ...]:
    """The roots the verifying context trusts (read once per context)."""
    return tuple(_load_chain(tls_context.get_ca_certs(binary_form=True)))


# --- the old protocol versions ---------------------------------------------------------------


@functools.cache
def _legacy_context(version: ssl.TLSVersion) -> ssl.SSLContext | None:
    """A context that offers only ``version``, at the lowest security level (only for asking
    whether a server still accepts it; nothing is ever sent over it). ``None`` when this
    machine's TLS library cannot offer that version at all."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():  # deprecated versions: asking about them is the point
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = version
            context.maximum_version = version
        hello = context.wrap_bio(ssl.MemoryBIO(), outgoing := ssl.MemoryBIO())
        hello.do_handshake()
    except ssl.SSLWantReadError:
        return context if outgoing.pending else None  # a ClientHello was written: it can offer
    except (ssl.SSLError, ValueError):
        return None
    return None


async def _accepts(
    address: str, port: int, server_name: str, version: ssl.TLSVersion, timeout: float
) -> bool | None:
    context = _legacy_context(version)
    if context is None:
        return None
    try:
        async with asyncio.timeout(timeout):
            _reader, writer = await asyncio.open_connection(
                address, port, ssl=context, server_hostname=server_name
            )
    except (
        ssl.SSLError,
        ConnectionResetError,
        ConnectionAbortedError,
        asyncio.IncompleteReadError,
        EOFError,
    ):
        return False  # the server refused the handshake
    except (TimeoutError, OSError):
        return None  # no answer either way
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        return ssl_object is not None and ssl_object.version() == _legacy_name(version)
    finally:
        writer.transport.abort()


def _legacy_name(version: ssl.TLSVersion) -> str:
    return "TLSv1" if version is ssl.TLSVersion.TLSv1 else "TLSv1.1"


# --- OCSP stapling ---------------------------------------------------------------------------

# The cipher suites and signature algorithms of a current TLS 1.2 client (ECDHE first).
_CIPHER_SUITES = (
    *(0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8),
    *(0xC009, 0xC013, 0xC00A, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035),
)
_SIGNATURE_ALGORITHMS = (0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601, 0x0203, 0x0201)
_GROUPS = (0x001D, 0x0017, 0x0018)  # x25519, secp256r1, secp384r1
EXT_SERVER_NAME, EXT_STATUS_REQUEST = 0x0000, 0x0005
HANDSHAKE, ALERT = 0x16, 0x15
SERVER_HELLO, CERTIFICATE_STATUS, SERVER_HELLO_DONE = 2, 22, 14


def client_hello(server_name: str) -> bytes:
    """A TLS 1.2 ClientHello record that asks for a stapled OCSP response."""

    def vector(data: bytes, length_bytes: int) -> bytes:
        return len(data).to_bytes(length_bytes, "big") + data

    def extension(kind: int, data: bytes) -> bytes:
        return struct.pack("!H", kind) + vector(data, 2)

    extensions = b""
    if parse_ip(server_name) is None:
        name = server_name.encode("idna")
        extensions += extension(EXT_SERVER_NAME, vector(b"\x00" + vector(name, 2), 2))
    extensions += extension(EXT_STATUS_REQUEST, b"\x01\x00\x00\x00\x00")  # OCSP, no responder ids
    extensions += extension(0x000A, vector(b"".join(struct.pack("!H", g) for g in _GROUPS), 2))
    extensions += extension(0x000B, b"\x01\x00")  # uncompressed points
    extensions += extension(0x000D, vector(b"".join(struct.pack("!H", s) for s in _SIGNATURE_ALGORITHMS), 2))
    extensions += extension(0x0017, b"")  # extended master secret
    extensions += extension(0xFF01, b"\x00")  # secure renegotiation
    body = (
        b"\x03\x03"
        + os.urandom(32)
        + vector(os.urandom(32), 1)
        + vector(b"".join(struct.pack("!H", c) for c in _CIPHER_SUITES), 2)
        + b"\x01\x00"
        + vector(extensions, 2)
    )
    handshake = bytes([1]) + vector(body, 3)
    return b"\x16\x03\x01" + vector(handshake, 2)


async def _stapling(address: str, port: int, server_name: str, timeout: float) -> Stapling:
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(address, port)
            try:
                writer.write(client_hello(server_name))
                await writer.drain()
                return await read_first_flight(reader)
            finally:
                writer.transport.abort()
    except (TimeoutError, OSError, asyncio.IncompleteReadError) as exc:
        return Stapling("untested", short(f"no complete answer to a TLS 1.2 hello: {type(exc).__name__}"))


async def read_first_flight(reader: asyncio.StreamReader) -> Stapling:
    """Read the server's answer to ``client_hello`` up to ServerHelloDone; whether it carried a
    CertificateStatus message, and what that response says."""
    buffer, read = b"", 0
    while read < MAX_FIRST_FLIGHT:
        header = await reader.readexactly(5)
        kind, length = header[0], struct.unpack("!H", header[3:5])[0]
        payload = await reader.readexactly(length)
        read += 5 + length
        if kind == ALERT:
            return Stapling("untested", "the server refused a TLS 1.2 hello (it may speak only TLS 1.3)")
        if kind != HANDSHAKE:
            return Stapling("untested", "the server answered something other than a TLS handshake")
        buffer += payload
        while len(buffer) >= 4:
            message_type, size = buffer[0], int.from_bytes(buffer[1:4], "big")
            if len(buffer) < 4 + size:
                break
            message, buffer = buffer[4 : 4 + size], buffer[4 + size :]
            if message_type == SERVER_HELLO and message[:2] != b"\x03\x03":
                return Stapling("untested", "the server chose a TLS version other than 1.2")
            if message_type == CERTIFICATE_STATUS:
                return Stapling("stapled", _ocsp_status(message))
            if message_type == SERVER_HELLO_DONE:
                return Stapling("not_stapled")
    return Stapling("untested", "the server's first answer was too long")


def _ocsp_status(message: bytes) -> str:
    """ "good", "revoked" or "unknown" from a CertificateStatus message (type 1: one OCSP response)."""
    if len(message) < 4 or message[0] != 1:
        return "unknown"
    try:
        response = ocsp.load_der_ocsp_response(message[4 : 4 + int.from_bytes(message[1:4], "big")])
        if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
            return "unknown"
        return response.certificate_status.name.lower()
    except ValueError:
        return "unknown"


# Every finding code, for the pages' and the notices' wording.
FINDING_CODES = (
    "expired",
    "not_yet_valid",
    "hostname_mismatch",
    "self_signed",
    "untrusted",
    "revoked",
    "chain_incomplete",
    "weak_key",
    "weak_signature",
    "tls1_0_enabled",
    "tls1_1_enabled",
    "no_ocsp_stapling",
    "protocol_untested",
    "stapling_untested",
)
