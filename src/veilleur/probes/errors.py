"""From an exception raised while checking a site to a stable error class and a short message.

Messages are one line of plain words for an alert or a report, never a traceback or a repr.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl

import aiohttp
from aiohttp.http_exceptions import HttpProcessingError

from veilleur.probes.outcome import ErrorClass, ProbeFailure

MAX_MESSAGE = 240

# OpenSSL X509_V_ERR_* codes, as found in ssl.SSLCertVerificationError.verify_code.
_CERT_HAS_EXPIRED = 10
_HOSTNAME_MISMATCH = 62
_IP_ADDRESS_MISMATCH = 64
_UNTRUSTED_CODES = frozenset(
    {
        2,  # unable to get issuer certificate
        18,  # self-signed certificate
        19,  # self-signed certificate in certificate chain
        20,  # unable to get local issuer certificate
        21,  # unable to verify the first certificate
        27,  # certificate not trusted
    }
)


def short(text: str) -> str:
    """One line, bounded length: site-controlled text (reasons, headers) can be anything."""
    line = " ".join(text.split())
    return line if len(line) <= MAX_MESSAGE else line[: MAX_MESSAGE - 1] + "…"


def classify_certificate_error(error: ssl.SSLCertVerificationError) -> tuple[ErrorClass, str]:
    code = getattr(error, "verify_code", None)
    detail = getattr(error, "verify_message", None) or getattr(error, "reason", None) or "verification failed"
    if code == _CERT_HAS_EXPIRED:
        return ErrorClass.TLS_EXPIRED, short(f"TLS certificate has expired ({detail})")
    if code in (_HOSTNAME_MISMATCH, _IP_ADDRESS_MISMATCH):
        return ErrorClass.TLS_HOSTNAME, short(f"TLS certificate does not match the host name ({detail})")
    if code in _UNTRUSTED_CODES:
        return ErrorClass.TLS_UNTRUSTED, short(f"TLS certificate is not trusted ({detail})")
    return ErrorClass.TLS_OTHER, short(f"TLS certificate rejected ({detail})")


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and what it was raised from, outermost first (bounded against cycles)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 8:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _errno_of(exc: BaseException) -> int | None:
    for item in _causes(exc):
        if isinstance(item, OSError) and item.errno is not None:
            return item.errno
    return None


def _classify_os_error(exc: BaseException) -> tuple[ErrorClass, str] | None:
    chain = _causes(exc)
    code = _errno_of(exc)
    if any(isinstance(item, ConnectionRefusedError) for item in chain) or code == errno.ECONNREFUSED:
        return ErrorClass.REFUSED, "connection refused"
    if any(isinstance(item, ConnectionResetError | BrokenPipeError) for item in chain) or code in (
        errno.ECONNRESET,
        errno.EPIPE,
    ):
        return ErrorClass.RESET, "connection reset by the server"
    if code in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return ErrorClass.OTHER, "no route to the host"
    return None


def classify_exception(exc: BaseException, *, timeout_phase: str = "") -> tuple[ErrorClass, str]:
    """The error class and message for an exception raised by a probe or a TLS inspection."""
    if isinstance(exc, ProbeFailure):
        return exc.error_class, short(exc.message)
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        inner = exc.certificate_error
        if isinstance(inner, ssl.SSLCertVerificationError):
            return classify_certificate_error(inner)
        return ErrorClass.TLS_OTHER, short(f"TLS certificate rejected ({inner})")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return classify_certificate_error(exc)
    if isinstance(exc, aiohttp.ClientConnectorDNSError | socket.gaierror):
        return ErrorClass.DNS, short(f"could not resolve the host name ({_dns_detail(exc)})")
    if isinstance(exc, asyncio.TimeoutError):
        where = f" {timeout_phase}" if timeout_phase else ""
        return ErrorClass.TIMEOUT, f"timed out{where}"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return ErrorClass.RESET, "the server closed the connection without answering"
    if isinstance(exc, aiohttp.ClientConnectorSSLError | ssl.SSLError):
        return ErrorClass.TLS_OTHER, short(f"TLS handshake failed ({_ssl_detail(exc)})")
    os_class = _classify_os_error(exc)
    if os_class is not None:
        return os_class
    if isinstance(exc, aiohttp.ClientPayloadError):
        return ErrorClass.PROTOCOL, "the response body was cut short or malformed"
    parse_error = next((item for item in _causes(exc) if isinstance(item, HttpProcessingError)), None)
    if parse_error is not None:
        return ErrorClass.PROTOCOL, short(f"malformed HTTP response ({parse_error.message})")
    if isinstance(exc, aiohttp.InvalidURL):
        return ErrorClass.OTHER, short(f"invalid URL ({exc})")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return ErrorClass.OTHER, short(f"could not connect ({exc.os_error.strerror or exc.os_error})")
    if isinstance(exc, OSError) and exc.strerror:
        return ErrorClass.OTHER, short(exc.strerror)
    return ErrorClass.OTHER, short(f"unexpected error ({type(exc).__name__})")


def _dns_detail(exc: BaseException) -> str:
    for item in _causes(exc):
        if isinstance(item, socket.gaierror) and item.strerror:
            return item.strerror
    if isinstance(exc, aiohttp.ClientConnectorError):
        return str(exc.os_error.strerror or exc.os_error)
    return str(exc) or "no answer"


def _ssl_detail(exc: BaseException) -> str:
    candidates = _causes(exc)
    if isinstance(exc, aiohttp.ClientConnectorError):
        candidates.insert(0, exc.os_error)
    for item in candidates:
        # aiohttp's own SSL errors subclass ssl.SSLError without its attributes: skip them.
        if isinstance(item, ssl.SSLError) and not isinstance(item, aiohttp.ClientError):
            return str(getattr(item, "reason", None) or item.strerror or "handshake error")
    return "handshake error"
