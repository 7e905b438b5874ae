"""Exceptions map to stable error classes and short messages, whatever wraps them."""

from __future__ import annotations

import errno
import socket
import ssl

import aiohttp
import pytest
from aiohttp.client_reqrep import ConnectionKey
from aiohttp.http_exceptions import BadStatusLine

from veilleur.probes.errors import MAX_MESSAGE, classify_exception, short
from veilleur.probes.outcome import ErrorClass, ProbeFailure

KEY = ConnectionKey("site.example", 443, True, True, None, None, None)


def verify_error(code: int, message: str) -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, f"[SSL: CERTIFICATE_VERIFY_FAILED] {message}")
    error.verify_code = code
    error.verify_message = message
    return error


def connector_error(os_error: OSError) -> aiohttp.ClientConnectorError:
    return aiohttp.ClientConnectorError(KEY, os_error)


def caused(outer: Exception, cause: BaseException) -> Exception:
    outer.__cause__ = cause
    return outer


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (verify_error(10, "certificate has expired"), ErrorClass.TLS_EXPIRED),
        (verify_error(62, "Hostname mismatch"), ErrorClass.TLS_HOSTNAME),
        (verify_error(64, "IP address mismatch"), ErrorClass.TLS_HOSTNAME),
        (verify_error(18, "self-signed certificate"), ErrorClass.TLS_UNTRUSTED),
        (verify_error(19, "self-signed certificate in certificate chain"), ErrorClass.TLS_UNTRUSTED),
        (verify_error(20, "unable to get local issuer certificate"), ErrorClass.TLS_UNTRUSTED),
        (verify_error(21, "unable to verify the first certificate"), ErrorClass.TLS_UNTRUSTED),
        (verify_error(9, "certificate is not yet valid"), ErrorClass.TLS_OTHER),
        (verify_error(23, "certificate revoked"), ErrorClass.TLS_OTHER),
        (
            aiohttp.ClientConnectorCertificateError(KEY, verify_error(10, "certificate has expired")),
            ErrorClass.TLS_EXPIRED,
        ),
        (aiohttp.ClientConnectorSSLError(KEY, ssl.SSLError(1, "wrong version number")), ErrorClass.TLS_OTHER),
        (
            aiohttp.ClientConnectorDNSError(KEY, socket.gaierror(-2, "Name or service not known")),
            ErrorClass.DNS,
        ),
        (socket.gaierror(-3, "Temporary failure in name resolution"), ErrorClass.DNS),
        (connector_error(ConnectionRefusedError(errno.ECONNREFUSED, "refused")), ErrorClass.REFUSED),
        (connector_error(OSError(errno.ECONNREFUSED, "Multiple exceptions: …")), ErrorClass.REFUSED),
        (connector_error(ConnectionResetError(errno.ECONNRESET, "reset")), ErrorClass.RESET),
        (aiohttp.ClientOSError(errno.ECONNRESET, "Connection reset by peer"), ErrorClass.RESET),
        (aiohttp.ServerDisconnectedError(), ErrorClass.RESET),
        (TimeoutError(), ErrorClass.TIMEOUT),
        (aiohttp.ConnectionTimeoutError(), ErrorClass.TIMEOUT),
        (aiohttp.SocketTimeoutError(), ErrorClass.TIMEOUT),
        (aiohttp.ClientPayloadError("Response payload is not completed"), ErrorClass.PROTOCOL),
        (
            caused(aiohttp.ClientPayloadError("incomplete"), ConnectionResetError(errno.ECONNRESET, "reset")),
            ErrorClass.RESET,
        ),
        (caused(aiohttp.ClientError("bad"), BadStatusLine("HTTP/9 nope")), ErrorClass.PROTOCOL),
        (aiohttp.InvalidURL("http://[bad"), ErrorClass.OTHER),
        (connector_error(OSError(errno.EHOSTUNREACH, "No route to host")), ErrorClass.OTHER),
        (
            ProbeFailure(ErrorClass.TOO_MANY_REDIRECTS, "more than 10 redirects"),
            ErrorClass.TOO_MANY_REDIRECTS,
        ),
        (RuntimeError("surprise"), ErrorClass.OTHER),
    ],
)
def test_exceptions_map_to_their_class(exc: BaseException, expected: ErrorClass) -> None:
    error_class, message = classify_exception(exc)
    assert error_class is expected
    assert message and "\n" not in message and "Traceback" not in message


def test_certificate_messages_name_the_reason() -> None:
    assert classify_exception(verify_error(10, "certificate has expired")) == (
        ErrorClass.TLS_EXPIRED,
        "TLS certificate has expired (certificate has expired)",
    )


def test_an_unknown_exception_is_named_not_dumped() -> None:
    assert classify_exception(KeyError("secret internals")) == (
        ErrorClass.OTHER,
        "unexpected error (KeyError)",
    )


def test_messages_are_one_bounded_line() -> None:
    text = short("line one\nline two\t" + "x" * 1000)
    assert "\n" not in text and "\t" not in text
    assert len(text) == MAX_MESSAGE and text.endswith("…")


def test_error_classes_are_the_stable_vocabulary() -> None:
    assert [item.value for item in ErrorClass] == [
        "ok",
        "dns",
        "refused",
        "reset",
        "timeout",
        "tls_expired",
        "tls_hostname",
        "tls_untrusted",
        "tls_other",
        "http_status",
        "keyword",
        "forbidden_keyword",
        "too_many_redirects",
        "body_too_large",
        "blocked_address",
        "protocol",
        "other",
    ]
