"""TLS certificate inspection: what a site presents, whether it verifies, and when it expires.

A separate handshake from the HTTP probe, so that the certificate can still be read when
verification fails (that is exactly when an agency needs to see it): a verifying handshake
first tells whether and why the chain is rejected, then, only if it was, a non-verifying one
reads the certificate anyway. Both go to an address vetted by the same SSRF guard.
"""

from __future__ import annotations

import asyncio
import functools
import math
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp.abc import AbstractResolver
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from veilleur.probes.errors import classify_certificate_error, classify_exception, short
from veilleur.probes.guard import AddressGuard, GuardedResolver, IPNetwork, parse_ip
from veilleur.probes.outcome import ErrorClass, ProbeFailure


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    """The leaf certificate a server presented, as of ``checked_at``."""

    host: str
    port: int
    peer_ip: str
    subject: str  # RFC 4514, e.g. "CN=www.example.com,O=Example"
    subject_cn: str | None
    sans: tuple[str, ...]  # DNS names and IP addresses, as listed
    issuer: str
    issuer_cn: str | None
    not_before: datetime  # aware, UTC
    not_after: datetime  # aware, UTC
    serial: str  # hexadecimal, upper case
    fingerprint_sha256: str  # hexadecimal, upper case
    verified: bool  # chain and host name verified against the trust store
    verify_error: str | None  # why not, in OpenSSL's words ("certificate has expired")
    verify_error_class: ErrorClass | None  # tls_expired, tls_hostname, tls_untrusted, tls_other
    protocol: str | None  # "TLSv1.3", "TLSv1.2", …
    days_until_expiry: int  # whole days left; negative once expired
    checked_at: datetime


@dataclass(frozen=True, slots=True)
class _Handshake:
    der: bytes
    protocol: str | None
    peer_ip: str
    chain: tuple[bytes, ...] = ()  # every certificate the server sent, leaf first (DER)


@functools.cache
def _reading_context() -> ssl.SSLContext:
    """Only for reading a certificate that already failed verification; never for trusting one."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def inspect_certificate(
    host: str,
    port: int = 443,
    *,
    tls_context: ssl.SSLContext,
    timeout: float,
    allow_private: bool,
    resolver: AbstractResolver | None = None,
    exempt_networks: Iterable[IPNetwork] = (),
) -> CertificateInfo:
    """Read and judge the certificate ``host:port`` presents.

    Raises ``ProbeFailure`` (with its error class: dns, refused, timeout, blocked_address,
    tls_other, …) when no certificate could be obtained at all.
    """
    served = await read_served(
        host,
        port,
        tls_context=tls_context,
        timeout=timeout,
        guard=AddressGuard(allow_private=allow_private, exempt_networks=tuple(exempt_networks)),
        resolver=resolver,
    )
    return served.info


@dataclass(frozen=True)
class Served:
    """What one verifying handshake (then a reading one, if verification failed) obtained."""

    address: str  # the vetted address connected to
    server_name: str
    handshake: _Handshake
    info: CertificateInfo


async def read_served(
    host: str,
    port: int,
    *,
    tls_context: ssl.SSLContext,
    timeout: float,
    guard: AddressGuard,
    resolver: AbstractResolver | None,
) -> Served:
    """Connect to a vetted address of ``host`` and read the certificate it serves: verified with
    ``tls_context`` when it can be, read without trust (and the verification error kept) when not.
    Raises ``ProbeFailure`` when no certificate could be obtained at all."""
    server_name = host.strip("[]")
    checked_at = datetime.now(UTC)
    try:
        async with asyncio.timeout(timeout):
            address = await _vetted_address(server_name, port, guard, resolver)
            verify_error: ssl.SSLCertVerificationError | None = None
            try:
                handshake = await _handshake(address, port, server_name, tls_context)
            except ssl.SSLCertVerificationError as exc:
                verify_error = exc
                handshake = await _handshake(address, port, server_name, _reading_context())
    except ProbeFailure:
        raise
    except Exception as exc:
        error_class, message = classify_exception(exc)
        if error_class is ErrorClass.TIMEOUT:
            message = f"timed out reading the TLS certificate (limit {timeout:g} s)"
        raise ProbeFailure(error_class, message) from exc
    info = _certificate_info(
        host=server_name, port=port, handshake=handshake, verify_error=verify_error, checked_at=checked_at
    )
    return Served(address=address, server_name=server_name, handshake=handshake, info=info)


async def _vetted_address(
    host: str, port: int, guard: AddressGuard, resolver: AbstractResolver | None
) -> str:
    if parse_ip(host) is not None:
        guard.check(host, host)
        return host
    found = await GuardedResolver(guard, resolver).resolve(host, port, socket.AF_UNSPEC)
    return found[0]["host"]


async def _handshake(address: str, port: int, server_name: str, context: ssl.SSLContext) -> _Handshake:
    _reader, writer = await asyncio.open_connection(address, port, ssl=context, server_hostname=server_name)
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        if not der:
            raise ProbeFailure(ErrorClass.TLS_OTHER, "the server presented no certificate")
        peer = writer.get_extra_info("peername")
        return _Handshake(
            der=der,
            protocol=ssl_object.version(),
            peer_ip=str(peer[0]) if peer else address,
            chain=sent_chain(ssl_object),
        )
    finally:
        writer.transport.abort()  # nothing to say to the server; don't wait for a TLS goodbye


def sent_chain(ssl_object: ssl.SSLObject) -> tuple[bytes, ...]:
    """The certificates the server sent, as sent (before any verification), leaf first.

    Public as ``SSLObject.get_unverified_chain`` from Python 3.13; the underlying object has
    had it since 3.10. Empty if neither is there: the chain is then not judged.
    """
    chain_of = getattr(ssl_object, "get_unverified_chain", None) or getattr(
        getattr(ssl_object, "_sslobj", None), "get_unverified_chain", None
    )
    if chain_of is None:
        return ()
    found = chain_of() or []
    return tuple(
        item if isinstance(item, bytes) else item.public_bytes(ssl._ssl.ENCODING_DER)  # type: ignore[attr-defined]
        for item in found
    )


def _certificate_info(
    *,
    host: str,
    port: int,
    handshake: _Handshake,
    verify_error: ssl.SSLCertVerificationError | None,
    checked_at: datetime,
) -> CertificateInfo:
    try:
        certificate = x509.load_der_x509_certificate(handshake.der)
        sans = _subject_alt_names(certificate)
        subject, issuer = certificate.subject.rfc4514_string(), certificate.issuer.rfc4514_string()
    except ValueError as exc:
        raise ProbeFailure(ErrorClass.TLS_OTHER, short(f"the certificate could not be read ({exc})")) from exc
    not_after = certificate.not_valid_after_utc
    error_class = classify_certificate_error(verify_error)[0] if verify_error else None
    return CertificateInfo(
        host=host,
        port=port,
        peer_ip=handshake.peer_ip,
        subject=short(subject),
        subject_cn=_common_name(certificate.subject),
        sans=sans,
        issuer=short(issuer),
        issuer_cn=_common_name(certificate.issuer),
        not_before=certificate.not_valid_before_utc,
        not_after=not_after,
        serial=format(certificate.serial_number, "X"),
        fingerprint_sha256=certificate.fingerprint(hashes.SHA256()).hex().upper(),
        verified=verify_error is None,
        verify_error=short(verify_error.verify_message or str(verify_error)) if verify_error else None,
        verify_error_class=error_class,
        protocol=handshake.protocol,
        days_until_expiry=math.floor((not_after - checked_at).total_seconds() / 86400),
        checked_at=checked_at,
    )


def _common_name(name: x509.Name) -> str | None:
    attributes = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not attributes:
        return None
    value = attributes[0].value
    return short(value.decode(errors="replace") if isinstance(value, bytes) else value)


def _subject_alt_names(certificate: x509.Certificate) -> tuple[str, ...]:
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return ()
    names = extension.value.get_values_for_type(x509.DNSName)
    addresses = [str(ip) for ip in extension.value.get_values_for_type(x509.IPAddress)]
    return tuple(short(name) for name in [*names, *addresses])
